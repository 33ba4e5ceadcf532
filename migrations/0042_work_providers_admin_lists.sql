-- work_providers: the admin's links list (newest first), the event inspector (newest arrival
-- first), and search by a provider's driver id or event id whichever provider it is.
CREATE INDEX links_created ON work_providers.links (created_at DESC, id DESC);
CREATE INDEX links_provider_driver_id ON work_providers.links (provider_driver_id);
CREATE INDEX events_received ON work_providers.events (received_at DESC, provider DESC, event_id DESC);
CREATE INDEX events_provider_driver_id ON work_providers.events (provider_driver_id, received_at DESC);
CREATE INDEX events_event_id ON work_providers.events (event_id);
