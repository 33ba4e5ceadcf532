-- jobs: engineers cancel a queued (or failed, waiting for its retry) job from the admin
-- (OPS.md action cancel_job): it stays in the table as `cancelled`, with when it was
-- cancelled in finished_at, and no worker claims it (workers claim only `queued` jobs and
-- `running` ones whose lease ran out). Its unique_key stays taken, so whatever enqueues the
-- same key again does not bring it back.
ALTER TABLE jobs.jobs DROP CONSTRAINT jobs_status_check;
ALTER TABLE jobs.jobs ADD CONSTRAINT jobs_status_check CHECK (status IN ('queued', 'running', 'succeeded', 'dead', 'cancelled'));
