-- admin: four-eyes limits count a maker's recent amounts (issue #12 review: splitting £75 into
-- four £20 credits avoided the second person). An action with a limit stores its amount, the
-- group its amounts add up in ('refund', 'wallet_adjustment') and the driver they concern.
-- And a request that needs four-eyes can never be marked done by its maker alone.
ALTER TABLE admin.action_requests ADD COLUMN amount bigint CHECK (amount > 0);
ALTER TABLE admin.action_requests ADD COLUMN limit_group text;
ALTER TABLE admin.action_requests ADD COLUMN limit_over bigint CHECK (limit_over >= 0);
ALTER TABLE admin.action_requests ADD CONSTRAINT action_requests_four_eyes_never_done_alone CHECK (four_eyes IS NULL OR state <> 'done');
ALTER TABLE admin.action_requests ADD CONSTRAINT action_requests_limit_has_amount CHECK ((limit_group IS NULL) = (amount IS NULL) AND (limit_group IS NULL) = (limit_over IS NULL));
CREATE INDEX action_requests_limits ON admin.action_requests (maker_id, limit_group, driver_id, created_at) WHERE limit_group IS NOT NULL;
