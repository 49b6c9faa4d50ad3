CREATE TYPE "public"."aibridge_error_type" AS ENUM('bad_request', 'unauthorized', 'rate_limited', 'overloaded', 'server_error', 'timeout', 'client_disconnected', 'interrupted', 'unknown');--> statement-breakpoint
CREATE TABLE "aibridge_instances" (
	"id" uuid PRIMARY KEY NOT NULL,
	"hostname" text DEFAULT '' NOT NULL,
	"pid" integer NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "aibridge_model_thoughts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"interception_id" uuid NOT NULL,
	"content" text NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "aibridge_interceptions" ADD COLUMN "thread_parent_id" uuid;--> statement-breakpoint
ALTER TABLE "aibridge_interceptions" ADD COLUMN "thread_root_id" uuid;--> statement-breakpoint
ALTER TABLE "aibridge_interceptions" ADD COLUMN "session_id" text GENERATED ALWAYS AS (COALESCE(client_session_id, thread_root_id::text, id::text)) STORED;--> statement-breakpoint
ALTER TABLE "aibridge_interceptions" ADD COLUMN "instance_id" uuid;--> statement-breakpoint
ALTER TABLE "aibridge_interceptions" ADD COLUMN "status" integer;--> statement-breakpoint
ALTER TABLE "aibridge_interceptions" ADD COLUMN "error_type" "aibridge_error_type";--> statement-breakpoint
ALTER TABLE "aibridge_interceptions" ADD COLUMN "error_message" text;--> statement-breakpoint
CREATE INDEX "aibridge_model_thoughts_interception_id_idx" ON "aibridge_model_thoughts" USING btree ("interception_id");