CREATE TABLE `alert_acknowledgements` (
	`alert_id` text NOT NULL,
	`user_id` text NOT NULL,
	`display_name` text NOT NULL,
	`agency` text NOT NULL,
	`side` text NOT NULL,
	`at` text NOT NULL,
	PRIMARY KEY(`alert_id`, `user_id`),
	FOREIGN KEY (`alert_id`) REFERENCES `alerts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `alerts` (
	`id` text PRIMARY KEY NOT NULL,
	`mineral` text NOT NULL,
	`type` text NOT NULL,
	`severity` text NOT NULL,
	`title` text NOT NULL,
	`body` text NOT NULL,
	`source` text,
	`origin_country` text,
	`tlp` text NOT NULL,
	`status` text NOT NULL,
	`posted_by` text NOT NULL,
	`poster_name` text NOT NULL,
	`poster_agency` text NOT NULL,
	`poster_side` text NOT NULL,
	`posted_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`incident_id` text,
	`dismiss_reason` text,
	`dismissed_by` text,
	`dismissed_by_name` text,
	`dismissed_at` text,
	FOREIGN KEY (`posted_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `alerts_posted` ON `alerts` (`posted_at`);--> statement-breakpoint
CREATE INDEX `alerts_incident` ON `alerts` (`incident_id`);--> statement-breakpoint
CREATE INDEX `alerts_status` ON `alerts` (`status`);--> statement-breakpoint
CREATE TABLE `incident_members` (
	`incident_id` text NOT NULL,
	`user_id` text NOT NULL,
	`added_at` text NOT NULL,
	`added_by` text,
	PRIMARY KEY(`incident_id`, `user_id`),
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `incident_members_user` ON `incident_members` (`user_id`);--> statement-breakpoint
CREATE TABLE `incidents` (
	`id` text PRIMARY KEY NOT NULL,
	`code` text NOT NULL,
	`year` integer NOT NULL,
	`number` integer NOT NULL,
	`title` text NOT NULL,
	`summary` text NOT NULL,
	`status` text NOT NULL,
	`severity` text NOT NULL,
	`tlp` text NOT NULL,
	`minerals` text NOT NULL,
	`us_lead_id` text,
	`jp_lead_id` text,
	`lessons` text NOT NULL,
	`version` integer NOT NULL,
	`created_by` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`closed_at` text,
	FOREIGN KEY (`us_lead_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`jp_lead_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `incidents_code` ON `incidents` (`code`);--> statement-breakpoint
CREATE UNIQUE INDEX `incidents_year_number` ON `incidents` (`year`,`number`);--> statement-breakpoint
CREATE INDEX `incidents_status` ON `incidents` (`status`);