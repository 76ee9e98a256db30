-- 036_notify_retention: the retention of the notifications to the merchant's server (README
-- "Notifications"; domain/retention.h RETENTION_NOTIFY_DAYS): a delivered or failed row, with
-- its attempts, is deleted by the retention job once it has been done that long.
-- store/sqlite/notify.c notify_purge, jobs/retention.c.
--
-- notify_outbox_done: the done rows by the instant they were done, oldest first, for the
-- purge's batches; pending rows (done_at NULL, or sent again) are not in it.
CREATE INDEX notify_outbox_done ON notify_outbox(done_at, id) WHERE state <> 0;
