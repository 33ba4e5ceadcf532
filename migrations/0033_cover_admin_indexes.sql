-- cover: indexes for the admin's lists and ops-home counts (sessions newest first across all
-- drivers; sessions covering now; sessions near the 14-hour cut).
CREATE INDEX sessions_started ON cover.sessions (started_at DESC, id DESC);
CREATE INDEX sessions_covered_until ON cover.sessions (covered_until) WHERE status <> 'superseded';
CREATE INDEX sessions_active_started ON cover.sessions (started_at) WHERE status = 'active';
