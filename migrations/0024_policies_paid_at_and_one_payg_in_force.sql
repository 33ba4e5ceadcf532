-- policies (issue #9, items 1 and 4).
--
-- `paid_at`: when an hourly block's payment succeeded. Cover never starts before it: a block
-- quoted to start "now" starts when it is paid, and one never paid covers nothing.
ALTER TABLE policies.policies ADD COLUMN paid_at timestamptz;
-- Blocks already paid for (scheduled, running or over, or cancelled with something refunded or
-- paid from the wallet) were paid when bound.
UPDATE policies.policies SET paid_at = created_at
WHERE product = 'hourly' AND (status IN ('scheduled', 'active', 'expired') OR (status = 'cancelled' AND (funding = 'wallet' OR refund_amount > 0)));
ALTER TABLE policies.policies ADD CONSTRAINT policies_paid_blocks_only CHECK (paid_at IS NULL OR product = 'hourly');

-- A driver has at most one PAYG policy in force (PRODUCT.md): binding a second is 409, and this
-- index is what makes it so under concurrency. Older duplicates made before the rule are
-- deactivated, newest kept.
WITH ranked AS (
    SELECT id, row_number() OVER (PARTITION BY driver_id ORDER BY created_at DESC, id DESC) AS position
    FROM policies.policies WHERE product = 'payg' AND status IN ('active', 'paused'))
UPDATE policies.policies p SET status = 'deactivated' FROM ranked r WHERE p.id = r.id AND r.position > 1;
CREATE UNIQUE INDEX policies_one_payg_in_force ON policies.policies (driver_id)
    WHERE product = 'payg' AND status IN ('active', 'paused');
