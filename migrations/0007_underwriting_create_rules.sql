-- underwriting: data-driven acceptance rules, versioned like rate tables. Values are JSON so
-- a rule can be a number, a list or a per-vehicle-type map.
CREATE SCHEMA underwriting;

CREATE TABLE underwriting.rule_sets (
    version        integer PRIMARY KEY,
    effective_from timestamptz NOT NULL,
    description    text NOT NULL
);

CREATE TABLE underwriting.rules (
    version integer NOT NULL REFERENCES underwriting.rule_sets (version),
    key     text NOT NULL CHECK (key IN ('min_age', 'max_age', 'min_licence_years', 'refused_licence_types',
                                         'max_vehicle_age_years', 'max_vehicle_value_amount', 'excluded_postcode_areas')),
    value   jsonb NOT NULL,
    PRIMARY KEY (version, key)
);

INSERT INTO underwriting.rule_sets VALUES (1, '2026-01-01T00:00:00Z', 'Launch acceptance rules');
INSERT INTO underwriting.rules (version, key, value) VALUES
    (1, 'min_age', '19'),
    (1, 'max_age', '75'),
    (1, 'min_licence_years', '1'),
    (1, 'refused_licence_types', '["provisional"]'),
    (1, 'max_vehicle_age_years', '{"bicycle": 30, "e_scooter": 8, "motorcycle": 20, "car": 20, "van": 20}'),
    (1, 'max_vehicle_value_amount', '{"bicycle": 500000, "e_scooter": 300000, "motorcycle": 2500000, "car": 6000000, "van": 6000000}'),
    -- Outside our licence: Northern Ireland, the Channel Islands, the Isle of Man, Shetland and the Outer Hebrides.
    (1, 'excluded_postcode_areas', '["BT", "GY", "JE", "IM", "ZE", "HS"]');
