-- jobs: a PostgreSQL job queue. Workers claim with FOR UPDATE SKIP LOCKED under a lease; a
-- job whose worker died is claimed again when its lease runs out, so handlers must be
-- idempotent. Enqueue in the same transaction as the change that needs the job.
CREATE SCHEMA jobs;

CREATE TABLE jobs.jobs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue        text NOT NULL DEFAULT 'default',   -- separate worker pools (tests use one each)
    kind         text NOT NULL,
    payload      jsonb NOT NULL DEFAULT '{}',
    unique_key   text UNIQUE,              -- at most one job per key, ever (e.g. one close per session)
    run_at       timestamptz NOT NULL DEFAULT now(),
    status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'dead')),
    attempts     integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 10 CHECK (max_attempts > 0),
    locked_by    text,
    locked_until timestamptz,
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE INDEX jobs_due ON jobs.jobs (queue, run_at) WHERE status = 'queued';
CREATE INDEX jobs_leased ON jobs.jobs (locked_until) WHERE status = 'running';
