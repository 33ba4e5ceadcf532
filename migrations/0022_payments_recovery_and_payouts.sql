-- payments: what the recovery job and the webhook need (issue #9, item 6).
--
-- `recorded_at` is the real (database) time of a payment's last change. `updated_at` follows the
-- driver's clock (a test clock in sandbox), so it cannot tell how long a payment has really
-- been waiting; the recovery job asks the processor about payments unsettled for minutes.
ALTER TABLE payments.payments ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX payments_unsettled ON payments.payments (recorded_at) WHERE status IN ('processing', 'requires_action');

-- Payouts: the processor's transfers of settled card money to our bank account, as its
-- `payout.*` events report them (reconciliation matches their lines to the ledger).
CREATE TABLE payments.payouts (
    id         text PRIMARY KEY,          -- the processor's id (po_…)
    amount     bigint NOT NULL,
    currency   char(3) NOT NULL,
    status     text NOT NULL,             -- paid, pending, in_transit, failed, canceled
    arrival_at timestamptz,
    last_event text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
