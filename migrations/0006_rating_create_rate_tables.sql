-- rating: versioned rate tables. A quote records the version it was priced with, so a new
-- version (a new rate_tables row with later effective_from) never changes an issued quote.
CREATE SCHEMA rating;

CREATE TABLE rating.rate_tables (
    version        integer PRIMARY KEY,
    effective_from timestamptz NOT NULL,
    description    text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- Base hourly rate (gross, pence, IPT included) per vehicle type.
CREATE TABLE rating.base_rates (
    version            integer NOT NULL REFERENCES rating.rate_tables (version),
    vehicle_type       text NOT NULL,
    hourly_rate_amount bigint NOT NULL CHECK (hourly_rate_amount > 0),
    PRIMARY KEY (version, vehicle_type)
);

-- Multipliers in basis points (10000 = ×1.00). Numeric factors (age, licence_years, claims)
-- use inclusive [lower_bound, upper_bound] bands; categorical ones (usage, area_band) use `band`.
CREATE TABLE rating.factors (
    version       integer NOT NULL REFERENCES rating.rate_tables (version),
    factor        text NOT NULL CHECK (factor IN ('age', 'licence_years', 'area_band', 'usage', 'claims')),
    band          text NOT NULL,
    lower_bound   integer,
    upper_bound   integer,
    multiplier_bp integer NOT NULL CHECK (multiplier_bp BETWEEN 1 AND 100000),
    PRIMARY KEY (version, factor, band)
);

-- Postcode district (E1), or area (E), → area band. A district's own entry wins, then its
-- parent district for sub-districts (SW1A → SW1), then its area; unknown areas are band C.
CREATE TABLE rating.area_bands (
    version         integer NOT NULL REFERENCES rating.rate_tables (version),
    postcode_prefix text NOT NULL,
    band            text NOT NULL,
    PRIMARY KEY (version, postcode_prefix)
);

INSERT INTO rating.rate_tables (version, effective_from, description)
VALUES (1, '2026-01-01T00:00:00Z', 'Launch rates for UK delivery and ride-hail cover');

INSERT INTO rating.base_rates (version, vehicle_type, hourly_rate_amount) VALUES
    (1, 'bicycle', 45), (1, 'e_scooter', 60), (1, 'motorcycle', 95), (1, 'car', 140), (1, 'van', 165);

INSERT INTO rating.factors (version, factor, band, lower_bound, upper_bound, multiplier_bp) VALUES
    (1, 'age', '19-20', 19, 20, 16000), (1, 'age', '21-24', 21, 24, 13500), (1, 'age', '25-29', 25, 29, 11500),
    (1, 'age', '30-49', 30, 49, 10000), (1, 'age', '50-64', 50, 64, 9500), (1, 'age', '65-75', 65, 75, 11000),
    (1, 'licence_years', '1', 1, 1, 13000), (1, 'licence_years', '2', 2, 2, 11500),
    (1, 'licence_years', '3-4', 3, 4, 10500), (1, 'licence_years', '5+', 5, 200, 10000),
    (1, 'claims', '0', 0, 0, 10000), (1, 'claims', '1', 1, 1, 12500), (1, 'claims', '2+', 2, 20, 16000),
    (1, 'usage', 'food_delivery', NULL, NULL, 10000), (1, 'usage', 'parcel_delivery', NULL, NULL, 11000),
    (1, 'usage', 'ride_hail', NULL, NULL, 14500),
    (1, 'area_band', 'A', NULL, NULL, 8500), (1, 'area_band', 'B', NULL, NULL, 9300), (1, 'area_band', 'C', NULL, NULL, 10000),
    (1, 'area_band', 'D', NULL, NULL, 11200), (1, 'area_band', 'E', NULL, NULL, 12600), (1, 'area_band', 'F', NULL, NULL, 14500);

-- Band F: inner London and the densest, highest-claim districts; A: rural areas.
INSERT INTO rating.area_bands (version, postcode_prefix, band) VALUES
    (1, 'E1', 'F'), (1, 'E2', 'F'), (1, 'EC', 'F'), (1, 'WC', 'F'), (1, 'W1', 'F'), (1, 'N1', 'F'), (1, 'SE1', 'F'),
    (1, 'SW1', 'F'), (1, 'NW1', 'F'), (1, 'B', 'E'), (1, 'M', 'E'), (1, 'L', 'E'), (1, 'E', 'E'), (1, 'N', 'E'),
    (1, 'SE', 'E'), (1, 'SW', 'E'), (1, 'W', 'E'), (1, 'NW', 'E'), (1, 'BD', 'E'), (1, 'G', 'E'),
    (1, 'LS', 'D'), (1, 'S', 'D'), (1, 'NG', 'D'), (1, 'LE', 'D'), (1, 'CV', 'D'), (1, 'BS', 'D'), (1, 'NE', 'D'),
    (1, 'EH', 'C'), (1, 'CF', 'C'), (1, 'OX', 'C'), (1, 'CB', 'C'), (1, 'BN', 'C'),
    (1, 'EX', 'B'), (1, 'YO', 'B'), (1, 'IV', 'A'), (1, 'LD', 'A'), (1, 'TR', 'A'), (1, 'KW', 'A'), (1, 'PH', 'A');
