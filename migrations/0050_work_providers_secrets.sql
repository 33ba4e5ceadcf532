-- work_providers: signing secrets rotated by staff (OPS.md: provider secret rotation, four-eyes).
-- Until a provider's first rotation its secret is the environment's PROVIDER_<NAME>_SECRET. A
-- rotation stores a new random secret here, sealed with AES-256-GCM under PROVIDER_SECRETS_KEY
-- (environment only), never in plain text; the newest row is the provider's secret from then
-- on, and the one before it (or the environment's) still verifies until `previous_valid_until`
-- (the overlap window), so the provider can switch without a moment of refused events.
-- The new secret is shown once, to the member of staff who asked for the rotation
-- (`revealed_at`); afterwards only its fingerprint (the first 16 hex digits of its SHA-256) is.
CREATE TABLE work_providers.secrets (
    id                   uuid PRIMARY KEY,
    provider             text NOT NULL CHECK (provider ~ '^[a-z0-9_]+$'),
    sealed_secret        bytea NOT NULL,
    fingerprint          text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{16}$'),
    previous_fingerprint text NOT NULL CHECK (previous_fingerprint ~ '^[0-9a-f]{16}$'),
    created_at           timestamptz NOT NULL,
    previous_valid_until timestamptz NOT NULL CHECK (previous_valid_until >= created_at),
    maker_id             uuid NOT NULL,
    revealed_at          timestamptz,
    -- The staff action that asked for it (its one-time token): one rotation per request.
    action_request_id    uuid NOT NULL UNIQUE
);
CREATE INDEX secrets_provider_newest ON work_providers.secrets (provider, created_at DESC);
