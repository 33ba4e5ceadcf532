-- cover: every session belongs to the policy it opened under, for good, and a session whose
-- charge is final never changes again (issue #9, item 1).
--
-- A session becomes final when nothing can change it any more: its policy stopped covering
-- (cancelled: the cancellation closed it), or it closed long enough ago that no event may
-- still arrive for it (events are at most 24 hours late, PRODUCT.md). Until then a late event
-- may still extend it, or merge it into another (a correction); after, never.
ALTER TABLE cover.sessions ADD COLUMN final boolean NOT NULL DEFAULT false;
ALTER TABLE cover.sessions ADD CONSTRAINT sessions_final_only_when_closed CHECK (NOT final OR status = 'closed');

CREATE FUNCTION cover.protect_sessions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'cover sessions are history: they are never deleted' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.policy_id <> OLD.policy_id OR NEW.driver_id <> OLD.driver_id THEN
        RAISE EXCEPTION 'a session belongs to the policy it opened under' USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.final THEN
        RAISE EXCEPTION 'session % is final: it never changes', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER sessions_protected BEFORE UPDATE OR DELETE ON cover.sessions
    FOR EACH ROW EXECUTE FUNCTION cover.protect_sessions();

CREATE INDEX sessions_policy_open ON cover.sessions (policy_id, started_at) WHERE NOT final AND status <> 'superseded';
CREATE INDEX manual_shifts_open ON cover.manual_shifts (driver_id) WHERE ended_at IS NULL;
