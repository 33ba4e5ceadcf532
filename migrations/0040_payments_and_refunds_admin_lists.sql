-- payments and refunds: what the admin's lists read (newest first across all drivers), the
-- processor's webhook log and payouts, and a payment's refunds (refunds depend on payments and
-- are shown on its page, so the two modules' admin indexes come in one migration).
CREATE INDEX payments_created ON payments.payments (created_at DESC, id DESC);
CREATE INDEX webhook_events_received ON payments.webhook_events (received_at DESC, event_id DESC);
CREATE INDEX payouts_created ON payments.payouts (created_at DESC, id DESC);

CREATE INDEX refunds_created ON refunds.refunds (created_at DESC, id DESC);
CREATE INDEX refunds_driver ON refunds.refunds (driver_id, created_at DESC, id DESC);
CREATE INDEX refunds_payment ON refunds.refunds (payment_id) WHERE payment_id IS NOT NULL;
