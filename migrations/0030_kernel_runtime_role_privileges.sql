-- kernel: the server runs as a role that cannot change the schema. `hourglass migrate` runs as
-- the schema's owner and, after every run, calls this function for the runtime role (by
-- default `hourglass_app`, created by whoever runs the database: scripts/run and scripts/test
-- do). The runtime role may read and write rows, but not create, alter or drop anything, not
-- disable triggers (only an owner can), and never rewrite what it must not:
--   * append-only history (a table comment starting 'append-only'): no UPDATE, DELETE, TRUNCATE;
--   * read-only tables (a comment starting 'read-only'): SELECT only. Balances are derived from
--     the entries by a trigger that runs with the owner's rights; rate tables and underwriting
--     rules are written by migrations.
-- A new table is covered by its comment. `hourglass serve` refuses, in production, a role that
-- could still change the schema (Startup.canChangeSchema).
COMMENT ON TABLE ledger.transactions IS 'append-only: one row per posting';
COMMENT ON TABLE ledger.entries IS 'append-only: the lines of each posting';
COMMENT ON TABLE documents.documents IS 'append-only: issued certificates and statements, one row per revision';
COMMENT ON TABLE ledger.balance_shards IS 'read-only: kept from the entries by ledger.apply_entry';
COMMENT ON TABLE rating.rate_tables IS 'read-only: versioned rate tables, written by migrations';
COMMENT ON TABLE rating.base_rates IS 'read-only: written by migrations';
COMMENT ON TABLE rating.factors IS 'read-only: written by migrations';
COMMENT ON TABLE rating.area_bands IS 'read-only: written by migrations';
COMMENT ON TABLE underwriting.rule_sets IS 'read-only: versioned rule sets, written by migrations';
COMMENT ON TABLE underwriting.rules IS 'read-only: written by migrations';

-- The balance trigger writes balance_shards on behalf of whoever inserts an entry, so the
-- runtime role needs no write access to balances. A fixed search_path: a definer function
-- must not resolve names through schemas a caller controls.
ALTER FUNCTION ledger.apply_entry() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION kernel.grant_runtime_privileges(runtime name) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    schema_name name;
    table_name text;
BEGIN
    -- The migrator's lock: replicas starting with `serve --migrate` at once grant in turn
    -- (concurrent GRANTs on one object fail with "tuple concurrently updated").
    PERFORM pg_advisory_xact_lock(7525362636581265779);
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM %I', current_database(), runtime);
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), runtime);
    FOR schema_name IN
        SELECT nspname FROM pg_namespace
        WHERE nspowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
          AND nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema' AND nspname <> 'public'
    LOOP
        -- From nothing, so a right granted by hand earlier (TRUNCATE, TRIGGER, ALL) does not survive.
        EXECUTE format('REVOKE ALL ON SCHEMA %I FROM %I', schema_name, runtime);
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I', schema_name, runtime);
        EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM %I', schema_name, runtime);
        EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA %I FROM %I', schema_name, runtime);
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', schema_name, runtime);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', schema_name, runtime);
        EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', schema_name, runtime);
        EXECUTE format('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA %I TO %I', schema_name, runtime);
    END LOOP;
    EXECUTE format('REVOKE EXECUTE ON FUNCTION kernel.grant_runtime_privileges(name) FROM PUBLIC, %I', runtime);
    FOR table_name IN
        SELECT c.oid::regclass::text FROM pg_class c
        WHERE c.relkind IN ('r', 'p') AND obj_description(c.oid, 'pg_class') LIKE 'append-only%'
    LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %s FROM %I', table_name, runtime);
    END LOOP;
    FOR table_name IN
        SELECT c.oid::regclass::text FROM pg_class c
        WHERE c.relkind IN ('r', 'p') AND obj_description(c.oid, 'pg_class') LIKE 'read-only%'
    LOOP
        EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON %s FROM %I', table_name, runtime);
    END LOOP;
    -- public holds the migrations table: read it (health checks), never write it. Before
    -- PostgreSQL 15 everyone may create in public; take that away where we own public (a
    -- runtime role that can create anywhere could plant objects a query resolves by name).
    EXECUTE format('REVOKE ALL ON SCHEMA public FROM %I', runtime);
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', runtime);
    IF pg_has_role(current_user, (SELECT nspowner FROM pg_namespace WHERE nspname = 'public'), 'USAGE') THEN
        REVOKE CREATE ON SCHEMA public FROM PUBLIC;
    END IF;
    EXECUTE format('REVOKE ALL ON public.schema_migrations FROM %I', runtime);
    EXECUTE format('GRANT SELECT ON public.schema_migrations TO %I', runtime);
END;
$$;
