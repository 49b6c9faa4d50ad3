CREATE TABLE "aibridge_prices" (
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"input" bigint,
	"output" bigint,
	"cache_read" bigint,
	"cache_write_5m" bigint,
	"cache_write_1h" bigint,
	"threshold_tokens" bigint,
	"long_input" bigint,
	"long_output" bigint,
	"long_cache_read" bigint,
	"long_cache_write_5m" bigint,
	"long_cache_write_1h" bigint,
	"source" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "aibridge_prices_pk" PRIMARY KEY("provider","model")
);
--> statement-breakpoint
CREATE TABLE "aibridge_spend_daily" (
	"initiator_id" uuid NOT NULL,
	"day" timestamp with time zone NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"client" text NOT NULL,
	"input_tokens" bigint DEFAULT 0 NOT NULL,
	"output_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_read_input_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_write_input_tokens" bigint DEFAULT 0 NOT NULL,
	"cost_micros" bigint DEFAULT 0 NOT NULL,
	"unpriced_usages" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "aibridge_spend_daily_pk" PRIMARY KEY("initiator_id","day","provider","model","client")
);
--> statement-breakpoint
CREATE TABLE "aibridge_user_budgets" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"monthly_limit_micros" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "aibridge_token_usages" ADD COLUMN "cost_micros" bigint;--> statement-breakpoint
ALTER TABLE "aibridge_token_usages" ADD COLUMN "priced_model" text;--> statement-breakpoint
ALTER TABLE "aibridge_token_usages" ADD COLUMN "prices" jsonb;--> statement-breakpoint
ALTER TABLE "aibridge_user_budgets" ADD CONSTRAINT "aibridge_user_budgets_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "aibridge_spend_daily_day_idx" ON "aibridge_spend_daily" USING btree ("day");