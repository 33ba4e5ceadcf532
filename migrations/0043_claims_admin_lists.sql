-- claims: the admin's list (newest first across all drivers) and the "awaiting triage" queue.
CREATE INDEX claims_created ON claims.claims (created_at DESC, id DESC);
CREATE INDEX claims_submitted ON claims.claims (created_at DESC, id DESC) WHERE status = 'submitted';
