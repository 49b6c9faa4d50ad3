CREATE TABLE "aibridge_spend_by_model_daily" (
	"day" timestamp with time zone NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"client" text NOT NULL,
	"interceptions" bigint DEFAULT 0 NOT NULL,
	"input_tokens" bigint DEFAULT 0 NOT NULL,
	"output_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_read_input_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_write_input_tokens" bigint DEFAULT 0 NOT NULL,
	"cost_micros" bigint DEFAULT 0 NOT NULL,
	"unpriced_usages" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "aibridge_spend_by_model_daily_pk" PRIMARY KEY("day","provider","model","client")
);
--> statement-breakpoint
CREATE TABLE "aibridge_spend_by_user_daily" (
	"initiator_id" uuid NOT NULL,
	"day" timestamp with time zone NOT NULL,
	"interceptions" bigint DEFAULT 0 NOT NULL,
	"input_tokens" bigint DEFAULT 0 NOT NULL,
	"output_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_read_input_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_write_input_tokens" bigint DEFAULT 0 NOT NULL,
	"cost_micros" bigint DEFAULT 0 NOT NULL,
	"unpriced_usages" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "aibridge_spend_by_user_daily_pk" PRIMARY KEY("initiator_id","day")
);
--> statement-breakpoint
ALTER TABLE "aibridge_spend_daily" ADD COLUMN "interceptions" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "aibridge_spend_by_user_daily_day_idx" ON "aibridge_spend_by_user_daily" USING btree ("day");