CREATE TABLE "aibridge_spend_by_user_monthly" (
	"initiator_id" uuid NOT NULL,
	"month" timestamp with time zone NOT NULL,
	"interceptions" bigint DEFAULT 0 NOT NULL,
	"input_tokens" bigint DEFAULT 0 NOT NULL,
	"output_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_read_input_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_write_input_tokens" bigint DEFAULT 0 NOT NULL,
	"cost_micros" bigint DEFAULT 0 NOT NULL,
	"unpriced_usages" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "aibridge_spend_by_user_monthly_pk" PRIMARY KEY("initiator_id","month")
);
