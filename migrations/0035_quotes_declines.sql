-- quotes: a request the underwriting rules declined is kept, with every reason, so staff can
-- answer "why can I not get cover?" (OPS.md: quotes, declines with every reason).
CREATE TABLE quotes.declines (
    id                   uuid PRIMARY KEY,
    driver_id            uuid NOT NULL,
    vehicle_id           uuid NOT NULL,
    product              text NOT NULL CHECK (product IN ('payg', 'hourly')),
    usage                text NOT NULL,
    reasons              jsonb NOT NULL CHECK (jsonb_typeof(reasons) = 'array' AND jsonb_array_length(reasons) > 0),
    created_at           timestamptz NOT NULL
);
CREATE INDEX declines_driver ON quotes.declines (driver_id, created_at DESC);
CREATE INDEX declines_created ON quotes.declines (created_at DESC, id DESC);
