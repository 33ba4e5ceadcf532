-- A session that a late event merged into another, and a later event split out again, comes
-- back as a new row with a new id: the superseded row stays as history beside its charge and
-- correction, and the new one is charged under its own id (the ledger keys charges by it).
ALTER TABLE cover.sessions DROP CONSTRAINT sessions_driver_id_started_at_key;
CREATE UNIQUE INDEX sessions_live_start ON cover.sessions (driver_id, started_at) WHERE status <> 'superseded';
