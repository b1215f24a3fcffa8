ALTER TABLE `streams` ADD `head_at` text DEFAULT '' NOT NULL;--> statement-breakpoint
UPDATE `streams` SET `head_at` = coalesce((SELECT `at` FROM `events` WHERE `events`.`stream` = `streams`.`name` AND `events`.`seq` = `streams`.`head_seq`), '');
