-- kernel: fixed-window counters for rate limits (sign-ups per client address, ...). One row
-- per bucket and window; old windows are deleted by the hourly clean-up job.
CREATE TABLE kernel.rate_limits (
    bucket       text NOT NULL,
    window_start timestamptz NOT NULL,
    hits         integer NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
