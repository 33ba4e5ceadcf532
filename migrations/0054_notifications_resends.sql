-- notifications: an engineer resends a notification from the admin (OPS.md action
-- resend_notification). A resend is a new notification (a new item of the driver's feed, with
-- its own id, time and unread state; its cause is the staff action's idempotency key), and the
-- original is kept as it was. resent_from links the new one to the one it repeats.
ALTER TABLE notifications.notifications ADD COLUMN resent_from uuid REFERENCES notifications.notifications (id);
CREATE INDEX notifications_resent_from ON notifications.notifications (resent_from) WHERE resent_from IS NOT NULL;
