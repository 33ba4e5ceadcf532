-- work_providers: a link needs the provider's confirmation (PRODUCT.md). The driver asks, gets
-- an 8-character code valid 15 minutes, gives it to the provider, and the provider confirms it
-- with a signed request. Only an active link applies shift events. A provider's driver id has
-- at most one active link; a pending request blocks nobody. Links are kept as history when
-- they end (expired requests, unlinks).
ALTER TABLE work_providers.links RENAME TO links_before_confirmation;

CREATE TABLE work_providers.links (
    id                 uuid PRIMARY KEY,
    provider           text NOT NULL,
    provider_driver_id text NOT NULL CHECK (length(provider_driver_id) BETWEEN 1 AND 100),
    driver_id          uuid NOT NULL REFERENCES identity.users (id),
    status             text NOT NULL CHECK (status IN ('pending', 'active', 'expired', 'unlinked')),
    code_hash          bytea,                 -- SHA-256 of the link code, while pending
    code_expires_at    timestamptz,
    failed_attempts    integer NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL,
    confirmed_at       timestamptz,
    ended_at           timestamptz,
    CHECK ((status = 'pending') = (code_hash IS NOT NULL)),
    CHECK ((status = 'active') <= (confirmed_at IS NOT NULL))
);
CREATE UNIQUE INDEX links_one_active_per_provider_driver ON work_providers.links (provider, provider_driver_id) WHERE status = 'active';
CREATE UNIQUE INDEX links_one_active_per_driver ON work_providers.links (driver_id, provider) WHERE status = 'active';
CREATE INDEX links_driver ON work_providers.links (driver_id, created_at DESC, id DESC);
CREATE INDEX links_pending ON work_providers.links (provider, provider_driver_id) WHERE status = 'pending';

-- Links made before confirmations existed were accepted as they were: they stay active.
INSERT INTO work_providers.links (id, provider, provider_driver_id, driver_id, status, created_at, confirmed_at)
SELECT gen_random_uuid(), provider, provider_driver_id, driver_id, 'active', created_at, created_at
FROM work_providers.links_before_confirmation;
DROP TABLE work_providers.links_before_confirmation;
