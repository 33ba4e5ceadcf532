-- drivers: the insured person's profile and licence (one driver per identity account).
CREATE SCHEMA drivers;

CREATE TABLE drivers.drivers (
    id                uuid PRIMARY KEY REFERENCES identity.users (id),
    full_name         text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 100),
    date_of_birth     date NOT NULL,
    phone             text NOT NULL CHECK (phone ~ '^\+44[1-9][0-9]{8,9}$'),
    postcode          text NOT NULL CHECK (postcode ~ '^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$'),
    licence_number    text NOT NULL,
    licence_type      text NOT NULL CHECK (licence_type IN ('full', 'provisional', 'eu', 'international')),
    licence_issued_on date NOT NULL CHECK (licence_issued_on > date_of_birth),
    declared_claims   integer NOT NULL DEFAULT 0 CHECK (declared_claims BETWEEN 0 AND 20),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
