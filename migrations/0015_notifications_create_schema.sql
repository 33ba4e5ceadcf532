-- notifications: what we tell drivers. Every notification is in the in-app feed
-- (GET /v1/notifications); email and SMS delivery from an outbox will join it.
CREATE SCHEMA notifications;

CREATE TABLE notifications.notifications (
    id         uuid PRIMARY KEY,
    driver_id  uuid NOT NULL REFERENCES identity.users (id),
    kind       text NOT NULL,
    title      text NOT NULL,
    body       text NOT NULL,
    -- Derived from what caused it, so telling twice about one event is a no-op.
    cause      text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    read_at    timestamptz
);
CREATE INDEX notifications_driver ON notifications.notifications (driver_id, created_at DESC, id DESC);
