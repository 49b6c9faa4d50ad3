CREATE TABLE "aibridge_sessions" (
	"initiator_id" uuid NOT NULL,
	"session_id" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone NOT NULL,
	"last_active_at" timestamp with time zone NOT NULL,
	"client" text NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"providers" text[] NOT NULL,
	"models" text[] NOT NULL,
	"interceptions" bigint NOT NULL,
	"threads" bigint NOT NULL,
	"input_tokens" bigint DEFAULT 0 NOT NULL,
	"output_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_read_input_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_write_input_tokens" bigint DEFAULT 0 NOT NULL,
	"cost_micros" bigint,
	"last_prompt" text,
	"last_prompt_at" timestamp with time zone,
	CONSTRAINT "aibridge_sessions_pk" PRIMARY KEY("initiator_id","session_id")
);
--> statement-breakpoint
DROP INDEX "aibridge_interceptions_client_idx";--> statement-breakpoint
CREATE INDEX "aibridge_sessions_started_at_idx" ON "aibridge_sessions" USING btree ("started_at" DESC NULLS FIRST,"session_id" DESC NULLS FIRST,"initiator_id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "aibridge_sessions_initiator_started_at_idx" ON "aibridge_sessions" USING btree ("initiator_id","started_at" DESC NULLS FIRST,"session_id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "aibridge_sessions_session_id_idx" ON "aibridge_sessions" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "aibridge_sessions_models_idx" ON "aibridge_sessions" USING gin ("models");--> statement-breakpoint
CREATE INDEX "aibridge_interceptions_client_pattern_idx" ON "aibridge_interceptions" USING btree ("client" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "aibridge_interceptions_session_idx" ON "aibridge_interceptions" USING btree ("session_id","initiator_id","started_at","id");--> statement-breakpoint
CREATE INDEX "aibridge_tool_usages_call_id_idx" ON "aibridge_tool_usages" USING btree ("provider_tool_call_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);