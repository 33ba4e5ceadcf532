-- refunds: money given back, and where it went. Card refunds are `pending` from the moment the
-- refund is owed until the card processor has accepted it; a sweep completes any left pending.
CREATE SCHEMA refunds;

CREATE TABLE refunds.refunds (
    id           uuid PRIMARY KEY,
    driver_id    uuid NOT NULL REFERENCES identity.users (id),
    subject_id   uuid NOT NULL,               -- what is refunded (a policy)
    payment_id   uuid,                        -- the card payment refunded, for card refunds
    amount       bigint NOT NULL CHECK (amount > 0),
    ipt_amount   bigint NOT NULL CHECK (ipt_amount >= 0),
    destination  text NOT NULL CHECK (destination IN ('card', 'wallet')),
    state        text NOT NULL CHECK (state IN ('pending', 'succeeded')),
    reason       text NOT NULL,
    created_at   timestamptz NOT NULL,
    completed_at timestamptz,
    CHECK ((destination = 'card') = (payment_id IS NOT NULL)),
    CHECK ((state = 'succeeded') = (completed_at IS NOT NULL))
);
CREATE UNIQUE INDEX refunds_one_per_subject ON refunds.refunds (subject_id);
CREATE INDEX refunds_pending ON refunds.refunds (created_at) WHERE state = 'pending';
