-- admin: internal notes on a driver (OPS.md driver 360 "internal notes"; action add_note).
-- Staff write them for each other; the driver never sees them. Kept as written.
CREATE TABLE admin.notes (
    id         uuid PRIMARY KEY,
    driver_id  uuid NOT NULL REFERENCES identity.users (id),
    text       text NOT NULL CHECK (length(text) BETWEEN 1 AND 5000),
    author_id  uuid NOT NULL REFERENCES identity.staff (id),
    created_at timestamptz NOT NULL
);
CREATE INDEX notes_driver ON admin.notes (driver_id, created_at DESC, id DESC);
COMMENT ON TABLE admin.notes IS 'append-only: internal notes on a driver, never shown to the driver';
