-- refunds: staff refund card payments in full or in part (OPS.md "Actions": refund), several
-- times for one payment, never beyond what it took. A policy's own refund (its cancellation, or
-- a payment that succeeded after it was cancelled) stays one per policy; a staff refund's id is
-- the action's one-time token (also the card processor's idempotency key), and its subject is
-- what the payment paid for (the policy of a block, the payment itself for a top-up).
ALTER TABLE refunds.refunds ADD COLUMN origin text NOT NULL DEFAULT 'policy' CHECK (origin IN ('policy', 'staff'));
DROP INDEX refunds.refunds_one_per_subject;
CREATE UNIQUE INDEX refunds_one_per_subject ON refunds.refunds (subject_id) WHERE origin = 'policy';
