-- payments: the processor's charge (`ch_…`) of a succeeded payment (issue #13). The capture's
-- clearing leg in the ledger records it too, and the settlement report names it; keeping it on
-- the payment lets staff and support find a payment by the id the processor's dashboard shows.
-- Payments recorded before this (or recovered from an intent that did not say) have none.
ALTER TABLE payments.payments ADD COLUMN psp_charge_id text CHECK (psp_charge_id IS NULL OR length(psp_charge_id) BETWEEN 1 AND 255);
CREATE INDEX payments_psp_charge_id ON payments.payments (psp_charge_id) WHERE psp_charge_id IS NOT NULL;
