-- claims: first notification of loss from the driver, with photos and documents.
CREATE SCHEMA claims;

CREATE TABLE claims.claims (
    id            uuid PRIMARY KEY,
    reference     text NOT NULL UNIQUE,
    driver_id     uuid NOT NULL REFERENCES identity.users (id),
    policy_id     uuid NOT NULL,
    session_id    uuid,                          -- the PAYG cover session in force, if any
    occurred_at   timestamptz NOT NULL,
    type          text NOT NULL CHECK (type IN ('accident', 'theft', 'damage', 'injury')),
    description   text NOT NULL CHECK (length(description) BETWEEN 1 AND 5000),
    location      text NOT NULL CHECK (length(location) BETWEEN 1 AND 500),
    third_parties jsonb NOT NULL DEFAULT '[]',
    status        text NOT NULL DEFAULT 'submitted' CHECK (status IN ('submitted', 'in_review', 'settled', 'rejected', 'withdrawn')),
    created_at    timestamptz NOT NULL
);
CREATE INDEX claims_driver ON claims.claims (driver_id, created_at DESC, id DESC);

CREATE TABLE claims.attachments (
    id           uuid PRIMARY KEY,
    claim_id     uuid NOT NULL REFERENCES claims.claims (id),
    content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/heic', 'application/pdf')),
    size_bytes   integer NOT NULL CHECK (size_bytes BETWEEN 1 AND 10485760),
    sha256       text NOT NULL,
    body         bytea NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX attachments_claim ON claims.attachments (claim_id);
