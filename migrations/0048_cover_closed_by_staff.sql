-- cover: a session that a member of staff force-closed (OPS.md `force_close_session`). It closed
-- at that instant, charged as closed (the 60-minute minimum included), and became final at once.
-- A shift that started before the instant belongs to the closed session for good (a provider
-- shift still running then no longer covers anything); only a shift starting at or after it
-- opens new cover, as after the 14-hour cut. The recompute reads this column to know that.
ALTER TABLE cover.sessions ADD COLUMN closed_by_staff_at timestamptz;
ALTER TABLE cover.sessions ADD CONSTRAINT sessions_closed_by_staff_final
    CHECK (closed_by_staff_at IS NULL OR (final AND status = 'closed'));
