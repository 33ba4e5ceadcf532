-- identity, staff side: ops staff accounts, apart from drivers (a driver's token never opens
-- the admin). Passwords are PBKDF2 hashes like drivers'; TOTP secrets are sealed with
-- AES-256-GCM under STAFF_MFA_KEY (they must be read back to check a code); recovery codes,
-- session ids, CSRF tokens' sessions and password-setup tokens are stored as SHA-256 hashes.
CREATE TABLE identity.staff (
    id              uuid PRIMARY KEY,
    email           text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    role            text NOT NULL CHECK (role IN ('support', 'senior_ops', 'finance', 'claims', 'pricing', 'engineer', 'admin')),
    password_hash   text,
    totp_secret     bytea NOT NULL,
    -- The last TOTP step accepted: a code is never accepted twice, nor an older one.
    totp_last_step  bigint NOT NULL DEFAULT 0,
    disabled_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX staff_email_key ON identity.staff (email);

CREATE TABLE identity.staff_recovery_codes (
    staff_id  uuid NOT NULL REFERENCES identity.staff (id),
    code_hash bytea NOT NULL CHECK (length(code_hash) = 32),
    used_at   timestamptz,
    PRIMARY KEY (staff_id, code_hash)
);

CREATE TABLE identity.staff_password_setups (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    staff_id   uuid NOT NULL REFERENCES identity.staff (id),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);

-- Server-side sessions: the cookie holds 256 random bits, the row their hash. A session is
-- "pending" until its second factor (verified_at); idle after 30 minutes, over after 12 hours.
CREATE TABLE identity.staff_sessions (
    id_hash        bytea PRIMARY KEY CHECK (length(id_hash) = 32),
    staff_id       uuid NOT NULL REFERENCES identity.staff (id),
    csrf_token     text NOT NULL,
    created_at     timestamptz NOT NULL,
    last_seen_at   timestamptz NOT NULL,
    verified_at    timestamptz,
    sudo_at        timestamptz,
    client_address text NOT NULL,
    user_agent     text NOT NULL,
    ended_at       timestamptz,
    ended_reason   text CHECK (ended_reason IN ('logout', 'revoked', 'rotated', 'expired'))
);
CREATE INDEX staff_sessions_staff ON identity.staff_sessions (staff_id, created_at DESC);
