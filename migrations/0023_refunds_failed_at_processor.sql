-- refunds: a card refund the processor reports as failed (refund.failed) is kept as `failed`
-- with the processor's reason, for ops to resolve; the money is still owed to the driver.
ALTER TABLE refunds.refunds DROP CONSTRAINT refunds_state_check;
ALTER TABLE refunds.refunds ADD CONSTRAINT refunds_state_check CHECK (state IN ('pending', 'succeeded', 'failed'));
ALTER TABLE refunds.refunds DROP CONSTRAINT refunds_check1;
ALTER TABLE refunds.refunds ADD CONSTRAINT refunds_completed_when_succeeded CHECK ((state = 'succeeded') = (completed_at IS NOT NULL));
ALTER TABLE refunds.refunds ADD COLUMN psp_refund_id text UNIQUE;
