-- feature_flags: typed flags and runtime settings that ops change without a deploy. A row
-- exists once a value was changed from the default its module declares; every change
-- notifies the channel `feature_flags`, so every process reloads within moments (and each
-- also reloads every 5 seconds, in case a notification was missed).
CREATE SCHEMA feature_flags;

CREATE TABLE feature_flags.values (
    key        text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]*$'),
    -- A setting: its value. A flag: {"mode": "all" | "off" | "percentage" | "drivers", "percentage": 0-100, "drivers": [ids]}.
    value      jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text NOT NULL
);

CREATE FUNCTION feature_flags.notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('feature_flags', NEW.key);
    RETURN NEW;
END;
$$;
CREATE TRIGGER values_notify AFTER INSERT OR UPDATE ON feature_flags.values
    FOR EACH ROW EXECUTE FUNCTION feature_flags.notify_change();
