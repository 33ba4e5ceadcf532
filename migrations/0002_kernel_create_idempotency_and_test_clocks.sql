-- Platform tables owned by AppKernel (no domain words): idempotency records shared by every
-- module's money- or policy-creating POSTs, and sandbox test clocks.
CREATE SCHEMA IF NOT EXISTS kernel;

-- One row per (scope, key): the first response to a request, replayed for retries.
-- `scope` is the caller (e.g. "driver:<uuid>"), so keys never collide across drivers.
-- Requests that call an outside service (a card charge) cannot hold a transaction open across
-- the call: they record `in_flight` with the resource they created, do the call, then complete.
-- A crashed attempt's claim lapses at `locked_until`, and a retry resumes the same resource.
CREATE TABLE kernel.idempotency_keys (
    scope           text        NOT NULL,
    key             text        NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash    text        NOT NULL,
    state           text        NOT NULL DEFAULT 'completed' CHECK (state IN ('in_flight', 'completed')),
    resource_id     uuid,
    locked_until    timestamptz,
    response_status integer,
    response_type   text,
    response_body   bytea,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key),
    CHECK ((state = 'completed') = (response_status IS NOT NULL AND response_type IS NOT NULL AND response_body IS NOT NULL))
);
CREATE INDEX idempotency_keys_created_at ON kernel.idempotency_keys (created_at);

-- Sandbox test clocks (PRODUCT.md): frozen time that only moves forward when advanced.
CREATE TABLE kernel.test_clocks (
    id          uuid        PRIMARY KEY,
    frozen_time timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
