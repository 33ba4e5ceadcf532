-- identity: credentials, bearer tokens (hashes only) and failed-login records for throttling.
CREATE SCHEMA identity;

CREATE TABLE identity.users (
    id            uuid PRIMARY KEY,
    email         text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    password_hash text NOT NULL,
    -- Sandbox only: every "now" for this user comes from this clock.
    test_clock_id uuid REFERENCES kernel.test_clocks (id),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON identity.users (email);
CREATE INDEX users_test_clock ON identity.users (test_clock_id) WHERE test_clock_id IS NOT NULL;

CREATE TABLE identity.tokens (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id    uuid NOT NULL REFERENCES identity.users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX tokens_user ON identity.tokens (user_id);

CREATE TABLE identity.login_failures (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email   text NOT NULL,
    address text NOT NULL,
    at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_email ON identity.login_failures (email, at);
CREATE INDEX login_failures_address ON identity.login_failures (address, at);
