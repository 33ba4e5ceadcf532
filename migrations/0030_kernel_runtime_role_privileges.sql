-- kernel: the server runs as a role that cannot change the schema. `hourglass migrate` runs as
-- the schema's owner and, after every run, calls this function for the runtime role (by
-- default `hourglass_app`, created by whoever runs the database: scripts/run and scripts/test
-- do). The runtime role may read and write rows, but not create, alter or drop anything, not
-- disable triggers (only an owner can), and never update or delete the append-only history:
-- every table whose comment starts with 'append-only' (ledger postings and entries, issued
-- documents; later the staff audit trail), so a new history table is covered by its comment.
COMMENT ON TABLE ledger.transactions IS 'append-only: one row per posting';
COMMENT ON TABLE ledger.entries IS 'append-only: the lines of each posting';
COMMENT ON TABLE documents.documents IS 'append-only: issued certificates and statements, one row per revision';

CREATE FUNCTION kernel.grant_runtime_privileges(runtime name) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    schema_name name;
    table_name text;
BEGIN
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), runtime);
    FOR schema_name IN
        SELECT nspname FROM pg_namespace
        WHERE nspowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
          AND nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema'
    LOOP
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', schema_name, runtime);
        EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM %I', schema_name, runtime);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', schema_name, runtime);
        EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', schema_name, runtime);
        EXECUTE format('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA %I TO %I', schema_name, runtime);
    END LOOP;
    -- public holds the migrations table: read it (health checks), never write it.
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', runtime);
    EXECUTE format('REVOKE CREATE ON SCHEMA public FROM %I', runtime);
    EXECUTE format('GRANT SELECT ON public.schema_migrations TO %I', runtime);
    EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON public.schema_migrations FROM %I', runtime);
    -- History is append-only.
    FOR table_name IN
        SELECT c.oid::regclass::text FROM pg_class c
        WHERE c.relkind IN ('r', 'p') AND obj_description(c.oid, 'pg_class') LIKE 'append-only%'
    LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %s FROM %I', table_name, runtime);
    END LOOP;
    EXECUTE format('REVOKE TRUNCATE ON ALL TABLES IN SCHEMA ledger FROM %I', runtime);
END;
$$;
