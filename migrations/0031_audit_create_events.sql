-- audit: who did what, from every channel (the REST API, the admin, provider events, card
-- processor webhooks, jobs, the command line), written in the same transaction as the change it
-- records. Append-only: the runtime role may insert and read, never update or delete (0030's
-- grants follow this table's comment), and a trigger refuses it for everyone else too.
CREATE SCHEMA audit;

CREATE TABLE audit.events (
    id            uuid PRIMARY KEY,
    occurred_at   timestamptz NOT NULL DEFAULT now(),
    -- driver:<id>, staff:<id>, provider:<name>, psp, system:<job>, cli:<user>, anonymous
    actor         text NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
    role          text,
    session       text,
    client_address text,
    action        text NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_.]+$'),
    object_type   text NOT NULL CHECK (length(object_type) BETWEEN 1 AND 50),
    object_id     text NOT NULL CHECK (length(object_id) BETWEEN 1 AND 200),
    -- The object it belongs to (a policy's driver), so a driver's history finds it.
    owner_type    text,
    owner_id      text,
    before        jsonb,
    after         jsonb,
    reason_code   text,
    reason_text   text,
    approval_id   uuid,
    request_id    text
);
COMMENT ON TABLE audit.events IS 'append-only: who did what, from every channel';
CREATE INDEX events_object ON audit.events (object_type, object_id, occurred_at DESC);
CREATE INDEX events_owner ON audit.events (owner_type, owner_id, occurred_at DESC) WHERE owner_id IS NOT NULL;
CREATE INDEX events_actor ON audit.events (actor, occurred_at DESC);
CREATE INDEX events_action ON audit.events (action, occurred_at DESC);
CREATE INDEX events_occurred ON audit.events (occurred_at DESC, id DESC);

CREATE FUNCTION audit.append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON audit.events
    FOR EACH ROW EXECUTE FUNCTION audit.append_only();
