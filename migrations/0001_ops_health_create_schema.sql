-- The ops_health module's schema. Health checks themselves read only public.schema_migrations;
-- maintenance mode and metrics state will live here.
CREATE SCHEMA IF NOT EXISTS ops_health;
COMMENT ON SCHEMA ops_health IS 'Owned by the ops_health module: health, metrics, maintenance mode.';
