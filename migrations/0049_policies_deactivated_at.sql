-- policies: when ops deactivated a PAYG policy (OPS.md `deactivate_policy`). A deactivated
-- policy is out of force from that instant: no new cover starts under it, its running session
-- ended then (charged as closed), and the driver may bind another. Its past sessions still
-- covered what they covered, so its cover window ends at `deactivated_at` (the policies
-- deactivated by migration 0024, duplicates that never counted, have none).
ALTER TABLE policies.policies ADD COLUMN deactivated_at timestamptz;
ALTER TABLE policies.policies ADD CONSTRAINT policies_deactivated_at_only_when_deactivated
    CHECK (deactivated_at IS NULL OR status = 'deactivated');
