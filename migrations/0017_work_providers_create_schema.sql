-- work_providers: driver links and the inbox of signed shift events. An event is stored
-- before it is acknowledged (202), keyed by (provider, event_id) so duplicates are no-ops,
-- and kept even for drivers not linked yet: it applies when the link appears.
CREATE SCHEMA work_providers;

CREATE TABLE work_providers.links (
    provider           text NOT NULL,
    provider_driver_id text NOT NULL CHECK (length(provider_driver_id) BETWEEN 1 AND 100),
    driver_id          uuid NOT NULL REFERENCES identity.users (id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, provider_driver_id),
    UNIQUE (driver_id, provider)
);

CREATE TABLE work_providers.events (
    provider           text NOT NULL,
    event_id           text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 200),
    provider_driver_id text NOT NULL,
    type               text NOT NULL CHECK (type IN ('shift_started', 'shift_ended')),
    shift_id           text,
    occurred_at        timestamptz NOT NULL,
    received_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, event_id)
);
CREATE INDEX events_driver ON work_providers.events (provider, provider_driver_id, occurred_at);
