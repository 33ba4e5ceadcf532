-- kernel: the session settings every connection relies on become defaults in this database, so a
-- connection that cannot send them at start-up (PgBouncer in transaction mode refuses the
-- startup `options` parameter) still gets them. Direct connections still send them
-- (PostgresConfiguration.connectionParameters), and `hourglass serve` and `hourglass worker`
-- refuse to start on a session that lacks them (Startup.checkSessionSettings).
--
-- What the wrapper decodes (UTC, ISO dates, hex bytea, ISO intervals) is the database's default
-- for every role: it is what anyone reading these tables wants. ALTER DATABASE needs the
-- database's owner or a superuser; a schema owner that is neither sets them on its own role in
-- this database (any role may) and is warned that the runtime role needs them too.
DO $$
DECLARE
    settings CONSTANT text[][] := ARRAY[['TimeZone', 'UTC'], ['DateStyle', 'ISO, YMD'], ['bytea_output', 'hex'], ['IntervalStyle', 'iso_8601']];
    may_alter_database boolean;
BEGIN
    SELECT r.rolsuper OR pg_has_role(current_user, d.datdba, 'MEMBER') INTO may_alter_database
    FROM pg_roles r, pg_database d
    WHERE r.rolname = current_user AND d.datname = current_database();
    FOR i IN 1 .. array_length(settings, 1) LOOP
        IF may_alter_database THEN
            EXECUTE format('ALTER DATABASE %I SET %s = %L', current_database(), settings[i][1], settings[i][2]);
        ELSE
            EXECUTE format('ALTER ROLE %I IN DATABASE %I SET %s = %L', current_user, current_database(), settings[i][1], settings[i][2]);
        END IF;
    END LOOP;
    IF NOT may_alter_database THEN
        RAISE WARNING 'role % does not own database %, so TimeZone, DateStyle, bytea_output and IntervalStyle were set for % only: set them for the runtime role as well (ALTER ROLE … IN DATABASE % SET TimeZone = ''UTC'', …) before serving through PgBouncer',
            current_user, current_database(), current_user, current_database();
    END IF;
END
$$;

-- The timeouts bound the runtime role's sessions only (a superuser's psql or a long seed script
-- must not be cut off at 15 s): statements and idle transactions, so a stuck request never holds
-- locks on a server connection PgBouncer shares between many clients. `hourglass migrate` calls
-- this after every run, with the runtime role, as it calls grant_runtime_privileges. Changing
-- another role's defaults needs a superuser or CREATEROLE (ADMIN on the role); without that it
-- warns, with the statements to run, and the runtime role's sessions must get them elsewhere.
CREATE FUNCTION kernel.set_runtime_session_defaults(runtime name) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    settings CONSTANT text[][] := ARRAY[['statement_timeout', '15s'], ['idle_in_transaction_session_timeout', '60s'],
        ['TimeZone', 'UTC'], ['DateStyle', 'ISO, YMD'], ['bytea_output', 'hex'], ['IntervalStyle', 'iso_8601']];
BEGIN
    FOR i IN 1 .. array_length(settings, 1) LOOP
        EXECUTE format('ALTER ROLE %I IN DATABASE %I SET %s = %L', runtime, current_database(), settings[i][1], settings[i][2]);
    END LOOP;
    RETURN true;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'cannot set the session defaults of role % (%): run as a superuser: ALTER ROLE % IN DATABASE % SET statement_timeout = ''15s''; … SET idle_in_transaction_session_timeout = ''60s'' (and TimeZone, DateStyle, bytea_output, IntervalStyle as migration 0065 lists)',
        runtime, SQLERRM, runtime, current_database();
    RETURN false;
END
$$;
REVOKE ALL ON FUNCTION kernel.set_runtime_session_defaults(name) FROM PUBLIC;
