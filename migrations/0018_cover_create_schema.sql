-- cover: PAYG cover sessions as the session engine computes them from shift history, the
-- driver's manual shifts, and the (sticky) decision whether a shift start could open cover.
CREATE SCHEMA cover;

CREATE TABLE cover.sessions (
    id                 uuid PRIMARY KEY,
    driver_id          uuid NOT NULL REFERENCES identity.users (id),
    policy_id          uuid NOT NULL,
    started_at         timestamptz NOT NULL,
    ended_at           timestamptz,                -- end of the last shift; null while one runs
    covered_until      timestamptz NOT NULL,
    was_cut            boolean NOT NULL DEFAULT false,
    status             text NOT NULL CHECK (status IN ('active', 'closed', 'superseded')),
    billed_minutes     integer NOT NULL CHECK (billed_minutes BETWEEN 60 AND 840),
    hourly_rate_amount bigint NOT NULL CHECK (hourly_rate_amount > 0),
    charged_amount     bigint NOT NULL DEFAULT 0 CHECK (charged_amount >= 0),
    ipt_amount         bigint NOT NULL DEFAULT 0 CHECK (ipt_amount >= 0),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (driver_id, started_at)
);
CREATE INDEX sessions_policy ON cover.sessions (policy_id, started_at DESC);
CREATE INDEX sessions_active ON cover.sessions (driver_id) WHERE status = 'active';

CREATE TABLE cover.manual_shifts (
    id         uuid PRIMARY KEY,
    driver_id  uuid NOT NULL REFERENCES identity.users (id),
    policy_id  uuid NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at   timestamptz,
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX manual_shifts_driver ON cover.manual_shifts (driver_id, started_at);

-- Once decided, whether a shift start opened cover never changes: a later top-up does not
-- create cover in the past, and a later charge does not take cover away.
CREATE TABLE cover.open_decisions (
    driver_id   uuid NOT NULL,
    shift_start timestamptz NOT NULL,
    allowed     boolean NOT NULL,
    decided_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (driver_id, shift_start)
);
