-- policies: bound cover. PAYG policies are standing (no end); hourly blocks cover
-- [starts_at, ends_at) once paid.
CREATE SCHEMA policies;

CREATE TABLE policies.policies (
    id                 uuid PRIMARY KEY,
    number             text NOT NULL UNIQUE CHECK (number ~ '^HG-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$'),
    driver_id          uuid NOT NULL REFERENCES identity.users (id),
    vehicle_id         uuid NOT NULL REFERENCES vehicles.vehicles (id),
    quote_id           uuid NOT NULL UNIQUE REFERENCES quotes.quotes (id),
    product            text NOT NULL CHECK (product IN ('payg', 'hourly')),
    usage              text NOT NULL,
    status             text NOT NULL CHECK (status IN ('pending_payment', 'scheduled', 'active', 'paused',
                                                       'cancelled', 'expired', 'deactivated')),
    starts_at          timestamptz NOT NULL,
    ends_at            timestamptz,
    hourly_rate_amount bigint NOT NULL CHECK (hourly_rate_amount > 0),
    total_amount       bigint NOT NULL CHECK (total_amount >= 0),
    currency           char(3) NOT NULL DEFAULT 'GBP',
    created_at         timestamptz NOT NULL,
    cancelled_at       timestamptz,
    -- How an hourly block was paid, and what its cancellation refunded (see refunds.refunds).
    funding            text CHECK (funding IN ('card', 'wallet')),
    payment_id         uuid,
    refund_amount      bigint NOT NULL DEFAULT 0 CHECK (refund_amount >= 0),
    CHECK ((product = 'hourly') = (ends_at IS NOT NULL)),
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);
CREATE INDEX policies_driver_created ON policies.policies (driver_id, created_at DESC, id DESC);
