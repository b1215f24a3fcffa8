CREATE TABLE "sign_in_failures" (
	"key" text NOT NULL,
	"at" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sign_in_holds" (
	"key" text PRIMARY KEY NOT NULL,
	"until" text NOT NULL
);
--> statement-breakpoint
CREATE INDEX "sign_in_failures_key_at" ON "sign_in_failures" USING btree ("key","at");