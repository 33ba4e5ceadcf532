-- claims: handling by the claims team (issue #12). A claim moves submitted → in_review →
-- settled | rejected, or the driver withdraws it while it is open; every move is a row of its
-- status history, which the driver sees with the team's message. The team may ask the driver
-- for more information (answered by adding attachments), keep internal notes the driver never
-- sees, and hold a reserve: what they expect the claim to cost, in pence.
ALTER TABLE claims.claims ADD COLUMN reserve_amount bigint CHECK (reserve_amount >= 0);
ALTER TABLE claims.claims ADD COLUMN updated_at timestamptz;

CREATE TABLE claims.status_history (
    id          uuid PRIMARY KEY,
    claim_id    uuid NOT NULL REFERENCES claims.claims (id),
    status      text NOT NULL CHECK (status IN ('submitted', 'in_review', 'settled', 'rejected', 'withdrawn')),
    at          timestamptz NOT NULL,
    -- What the driver is told with it (the team's words), if anything.
    message     text CHECK (message IS NULL OR length(message) BETWEEN 1 AND 2000),
    actor       text NOT NULL
);
CREATE INDEX status_history_claim ON claims.status_history (claim_id, at, id);
-- Every existing claim starts its history where it was reported.
INSERT INTO claims.status_history (id, claim_id, status, at, actor)
SELECT gen_random_uuid(), id, 'submitted', created_at, 'driver:' || driver_id FROM claims.claims;
INSERT INTO claims.status_history (id, claim_id, status, at, actor)
SELECT gen_random_uuid(), id, status, created_at, 'driver:' || driver_id FROM claims.claims WHERE status <> 'submitted';

CREATE TABLE claims.information_requests (
    id           uuid PRIMARY KEY,
    claim_id     uuid NOT NULL REFERENCES claims.claims (id),
    message      text NOT NULL CHECK (length(message) BETWEEN 1 AND 2000),
    requested_at timestamptz NOT NULL,
    requested_by text NOT NULL,
    -- When the driver added an attachment after it was asked for.
    answered_at  timestamptz
);
CREATE INDEX information_requests_claim ON claims.information_requests (claim_id, requested_at, id);

CREATE TABLE claims.notes (
    id         uuid PRIMARY KEY,
    claim_id   uuid NOT NULL REFERENCES claims.claims (id),
    text       text NOT NULL CHECK (length(text) BETWEEN 1 AND 5000),
    author     text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX notes_claim ON claims.notes (claim_id, created_at, id);
COMMENT ON TABLE claims.notes IS 'append-only: internal notes on a claim, never shown to the driver';
COMMENT ON TABLE claims.status_history IS 'append-only: every status a claim has had, shown to the driver';
