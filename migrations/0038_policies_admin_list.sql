-- policies: the admin's list of every driver's policies, newest first (keyset on created_at, id).
CREATE INDEX policies_created ON policies.policies (created_at DESC, id DESC);
