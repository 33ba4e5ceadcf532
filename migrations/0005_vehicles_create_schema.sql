-- vehicles: what a driver insures.
CREATE SCHEMA vehicles;

CREATE TABLE vehicles.vehicles (
    id           uuid PRIMARY KEY,
    driver_id    uuid NOT NULL REFERENCES identity.users (id),
    registration text NOT NULL CHECK (registration ~ '^[A-Z0-9]{2,8}$'),
    type         text NOT NULL CHECK (type IN ('bicycle', 'e_scooter', 'motorcycle', 'car', 'van')),
    make         text NOT NULL CHECK (length(make) BETWEEN 1 AND 50),
    model        text NOT NULL CHECK (length(model) BETWEEN 1 AND 50),
    year         integer NOT NULL CHECK (year BETWEEN 1950 AND 2100),
    value_amount bigint NOT NULL CHECK (value_amount > 0),
    currency     char(3) NOT NULL DEFAULT 'GBP',
    created_at   timestamptz NOT NULL DEFAULT now()
);
-- A driver registers a vehicle once; two drivers may share one (a household car).
CREATE UNIQUE INDEX vehicles_driver_registration ON vehicles.vehicles (driver_id, registration);
CREATE INDEX vehicles_driver_created ON vehicles.vehicles (driver_id, created_at DESC, id DESC);
