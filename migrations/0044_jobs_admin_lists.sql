-- jobs: the admin's queue pages: every job newest first (by state), the dead ones (and the
-- ops home count), and the recurring jobs' slots (`recurring:<kind>:<slot>`) per kind.
CREATE INDEX jobs_created ON jobs.jobs (created_at DESC, id DESC);
CREATE INDEX jobs_dead ON jobs.jobs (created_at DESC, id DESC) WHERE status = 'dead';
CREATE INDEX jobs_recurring ON jobs.jobs (queue, kind, run_at DESC) WHERE unique_key LIKE 'recurring:%';
