CREATE TABLE "aibridge_interception_counts_by_initiator" (
	"initiator_id" uuid NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"client" text NOT NULL,
	"interceptions" bigint NOT NULL,
	CONSTRAINT "aibridge_interception_counts_by_initiator_pk" PRIMARY KEY("initiator_id","bucket","provider","model","client")
);
--> statement-breakpoint
CREATE TABLE "aibridge_interception_counts" (
	"bucket" timestamp with time zone NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"client" text NOT NULL,
	"interceptions" bigint NOT NULL,
	CONSTRAINT "aibridge_interception_counts_pk" PRIMARY KEY("bucket","provider","model","client")
);
--> statement-breakpoint
ALTER TABLE "aibridge_token_usages" DROP CONSTRAINT "aibridge_token_usages_interception_id_aibridge_interceptions_id_fk";
--> statement-breakpoint
ALTER TABLE "aibridge_tool_usages" DROP CONSTRAINT "aibridge_tool_usages_interception_id_aibridge_interceptions_id_fk";
--> statement-breakpoint
ALTER TABLE "aibridge_user_prompts" DROP CONSTRAINT "aibridge_user_prompts_interception_id_aibridge_interceptions_id_fk";
--> statement-breakpoint
DROP INDEX "aibridge_interceptions_unended_idx";