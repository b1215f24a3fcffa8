CREATE TABLE `actions` (
	`id` text PRIMARY KEY NOT NULL,
	`incident_id` text NOT NULL,
	`title` text NOT NULL,
	`description` text NOT NULL,
	`owner_id` text,
	`agency` text,
	`provision` text,
	`priority` text NOT NULL,
	`status` text NOT NULL,
	`due_at` text,
	`version` integer NOT NULL,
	`created_by` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`updated_by` text NOT NULL,
	`done_at` text,
	`cancelled_at` text,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `actions_incident` ON `actions` (`incident_id`);--> statement-breakpoint
CREATE INDEX `actions_owner` ON `actions` (`owner_id`);--> statement-breakpoint
CREATE INDEX `actions_due` ON `actions` (`due_at`);