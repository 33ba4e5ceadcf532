-- admin: staff actions (OPS.md "Actions"). Every action asked for is one row: the plan the
-- confirmation page showed (effect, facts, the parameters execution uses), its one-time token
-- (the row's id, also the idempotency key of whatever the action causes) and what became of it.
-- A four-eyes action waits here as an approval until another person approves or rejects it,
-- or it expires 72 hours after it was filed.
CREATE SCHEMA admin;

CREATE TABLE admin.action_requests (
    id              uuid PRIMARY KEY,
    action          text NOT NULL CHECK (action ~ '^[a-z_]+$'),
    title           text NOT NULL,
    maker_id        uuid NOT NULL REFERENCES identity.staff (id),
    maker_role      text NOT NULL,
    object_type     text NOT NULL,
    object_id       text NOT NULL,
    driver_id       uuid,
    effect          text NOT NULL,
    facts           jsonb NOT NULL,
    parameters      jsonb NOT NULL,
    reason_code     text NOT NULL CHECK (reason_code IN ('requested_by_driver', 'duplicate', 'goodwill', 'ops_error', 'fraud', 'other')),
    reason_text     text CHECK (reason_text IS NULL OR length(reason_text) BETWEEN 1 AND 1000),
    four_eyes       text,
    return_path     text NOT NULL CHECK (return_path LIKE '/admin/%'),
    state           text NOT NULL CHECK (state IN ('planned', 'done', 'pending_approval', 'approved', 'rejected', 'expired')),
    created_at      timestamptz NOT NULL,
    -- Until when the confirmation (planned) or the approval (pending_approval) may be acted on.
    expires_at      timestamptz NOT NULL,
    filed_at        timestamptz,
    checker_id      uuid REFERENCES identity.staff (id),
    checker_role    text,
    checker_note    text,
    decided_at      timestamptz,
    result_message  text,
    result_path     text,
    CHECK (reason_code <> 'other' OR reason_text IS NOT NULL),
    CHECK (checker_id IS NULL OR checker_id <> maker_id),
    CHECK (state NOT IN ('pending_approval', 'approved', 'rejected') OR (four_eyes IS NOT NULL AND filed_at IS NOT NULL)),
    CHECK ((state IN ('done', 'approved')) = (result_message IS NOT NULL))
);
CREATE INDEX action_requests_pending ON admin.action_requests (filed_at DESC, id DESC) WHERE state = 'pending_approval';
CREATE INDEX action_requests_maker ON admin.action_requests (maker_id, created_at DESC, id DESC);
CREATE INDEX action_requests_decided ON admin.action_requests (decided_at DESC, id DESC) WHERE decided_at IS NOT NULL;
