-- payments: saved cards (PSP payment methods), card payments with their PSP state, and the
-- inbox of PSP webhook events (a replayed event is a no-op).
CREATE SCHEMA payments;

CREATE TABLE payments.payment_methods (
    id         uuid PRIMARY KEY,
    driver_id  uuid NOT NULL REFERENCES identity.users (id),
    psp_id     text NOT NULL UNIQUE,
    brand      text NOT NULL,
    last4      text NOT NULL CHECK (last4 ~ '^[0-9]{4}$'),
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX payment_methods_one_default ON payments.payment_methods (driver_id) WHERE is_default;
CREATE INDEX payment_methods_driver ON payments.payment_methods (driver_id, created_at DESC, id DESC);

CREATE TABLE payments.payments (
    id                uuid PRIMARY KEY,
    driver_id         uuid NOT NULL REFERENCES identity.users (id),
    purpose           text NOT NULL CHECK (purpose IN ('top_up', 'auto_top_up', 'block_purchase')),
    amount            bigint NOT NULL CHECK (amount > 0),
    currency          char(3) NOT NULL DEFAULT 'GBP',
    payment_method_id uuid NOT NULL REFERENCES payments.payment_methods (id),
    status            text NOT NULL CHECK (status IN ('processing', 'requires_action', 'succeeded', 'failed')),
    psp_intent_id     text UNIQUE,
    failure_code      text,
    redirect_url      text,
    related_id        uuid,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX payments_driver ON payments.payments (driver_id, created_at DESC);

CREATE TABLE payments.webhook_events (
    event_id    text PRIMARY KEY,
    type        text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
