-- Platform tables owned by AppKernel (no domain words): idempotency records shared by every
-- module's money- or policy-creating POSTs, and sandbox test clocks.
CREATE SCHEMA IF NOT EXISTS kernel;

-- One row per (scope, key): the first response to a request, replayed for retries.
-- `scope` is the caller (e.g. "driver:<uuid>"), so keys never collide across drivers.
CREATE TABLE kernel.idempotency_keys (
    scope           text        NOT NULL,
    key             text        NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash    text        NOT NULL,
    response_status integer     NOT NULL,
    response_type   text        NOT NULL,
    response_body   bytea       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created_at ON kernel.idempotency_keys (created_at);

-- Sandbox test clocks (PRODUCT.md): frozen time that only moves forward when advanced.
CREATE TABLE kernel.test_clocks (
    id          uuid        PRIMARY KEY,
    frozen_time timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
