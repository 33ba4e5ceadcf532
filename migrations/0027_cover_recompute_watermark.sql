-- cover: how far each PAYG policy's sessions have been computed. A recompute reads shift events
-- from 48 hours before the earlier of now and this mark, so a clock that jumps ahead (a test
-- clock advanced by days, or a worker that was down) still applies every event it has not
-- applied yet, not only the last 48 hours' worth.
CREATE TABLE cover.policy_progress (
    policy_id       uuid PRIMARY KEY,
    driver_id       uuid NOT NULL,
    computed_until  timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
