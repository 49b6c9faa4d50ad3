CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"hashed_secret" "bytea" NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"last_used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "aibridge_interceptions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"initiator_id" uuid NOT NULL,
	"api_key_id" text NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"client" text NOT NULL,
	"client_session_id" text,
	"user_agent" text DEFAULT '' NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"credential_kind" text NOT NULL,
	"credential_hint" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "aibridge_token_usages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"interception_id" uuid NOT NULL,
	"provider_response_id" text DEFAULT '' NOT NULL,
	"input_tokens" bigint,
	"output_tokens" bigint,
	"cache_read_input_tokens" bigint,
	"cache_write_input_tokens" bigint,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "aibridge_tool_usages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"interception_id" uuid NOT NULL,
	"provider_response_id" text DEFAULT '' NOT NULL,
	"server_url" text,
	"tool" text NOT NULL,
	"provider_tool_call_id" text DEFAULT '' NOT NULL,
	"input" text NOT NULL,
	"injected" boolean DEFAULT false NOT NULL,
	"invocation_error" text,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "aibridge_user_prompts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"interception_id" uuid NOT NULL,
	"provider_response_id" text DEFAULT '' NOT NULL,
	"prompt" text NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"username" text NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"email" text DEFAULT '' NOT NULL,
	"avatar_url" text DEFAULT '' NOT NULL,
	"role" text DEFAULT 'member' NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "aibridge_interceptions" ADD CONSTRAINT "aibridge_interceptions_initiator_id_users_id_fk" FOREIGN KEY ("initiator_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "aibridge_token_usages" ADD CONSTRAINT "aibridge_token_usages_interception_id_aibridge_interceptions_id_fk" FOREIGN KEY ("interception_id") REFERENCES "public"."aibridge_interceptions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "aibridge_tool_usages" ADD CONSTRAINT "aibridge_tool_usages_interception_id_aibridge_interceptions_id_fk" FOREIGN KEY ("interception_id") REFERENCES "public"."aibridge_interceptions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "aibridge_user_prompts" ADD CONSTRAINT "aibridge_user_prompts_interception_id_aibridge_interceptions_id_fk" FOREIGN KEY ("interception_id") REFERENCES "public"."aibridge_interceptions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_keys_user_id_idx" ON "api_keys" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "aibridge_interceptions_started_at_id_idx" ON "aibridge_interceptions" USING btree ("started_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "aibridge_interceptions_initiator_started_at_id_idx" ON "aibridge_interceptions" USING btree ("initiator_id","started_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "aibridge_interceptions_model_pattern_idx" ON "aibridge_interceptions" USING btree ("model" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "aibridge_interceptions_provider_idx" ON "aibridge_interceptions" USING btree ("provider");--> statement-breakpoint
CREATE INDEX "aibridge_interceptions_client_idx" ON "aibridge_interceptions" USING btree ("client");--> statement-breakpoint
CREATE INDEX "aibridge_interceptions_unended_idx" ON "aibridge_interceptions" USING btree ("started_at") WHERE "aibridge_interceptions"."ended_at" IS NULL;--> statement-breakpoint
CREATE INDEX "aibridge_token_usages_interception_id_idx" ON "aibridge_token_usages" USING btree ("interception_id");--> statement-breakpoint
CREATE INDEX "aibridge_tool_usages_interception_id_idx" ON "aibridge_tool_usages" USING btree ("interception_id");--> statement-breakpoint
CREATE INDEX "aibridge_user_prompts_interception_id_idx" ON "aibridge_user_prompts" USING btree ("interception_id");--> statement-breakpoint
CREATE UNIQUE INDEX "users_username_key" ON "users" USING btree ("username");