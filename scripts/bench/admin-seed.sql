-- Seeds a benchmark database for the admin pages (issue #11): :drivers drivers, each with a
-- vehicle, a quote and an active PAYG policy, a card, one top-up and one charged hour of
-- cover (1 in 100 are covered right now), and one heavy driver (bench-1@example.com) with
-- :sessions closed sessions by hand, each charged from the wallet, :top_ups top-ups and an
-- audit trail of two events a session. Rows have the shape the application writes (checked
-- against a database the API filled): the ledger's own triggers balance every posting.
-- Run as the schema owner on a freshly migrated database:
--   psql -v drivers=100000 -v sessions=10000 -v top_ups=500 -f scripts/bench/admin-seed.sql
\set ON_ERROR_STOP on
SET synchronous_commit = off;

BEGIN;
-- A policy number from a counter: HG-XXXX-XXXX in the product's base-32 alphabet.
CREATE FUNCTION pg_temp.policy_number(n bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT 'HG-' || string_agg(substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((n >> (5 * k)) & 31)::int + 1, 1), ''
                               ORDER BY k DESC) FILTER (WHERE k >= 4)
           || '-' || string_agg(substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((n >> (5 * k)) & 31)::int + 1, 1), ''
                               ORDER BY k DESC) FILTER (WHERE k < 4)
    FROM generate_series(0, 7) AS k
$$;

CREATE TEMP TABLE seed ON COMMIT DROP AS
SELECT n, gen_random_uuid() AS driver_id, gen_random_uuid() AS vehicle_id, gen_random_uuid() AS quote_id,
       gen_random_uuid() AS policy_id, gen_random_uuid() AS card_id, gen_random_uuid() AS payment_id,
       gen_random_uuid() AS session_id, gen_random_uuid() AS shift_id,
       -- The heavy driver joined long enough ago for every session; the others within two years.
       CASE WHEN n = 1 THEN now() - interval '3340 days' ELSE now() - (30 + n % 700) * interval '1 day' END AS joined_at
FROM generate_series(1, :drivers) AS n;

INSERT INTO identity.users (id, email, password_hash, created_at)
SELECT driver_id, 'bench-' || n || '@example.com', 'pbkdf2_sha256$10000$YmVuY2g=$bm8gbG9naW4gZm9yIGJlbmNoIGRyaXZlcnM=', joined_at FROM seed;
INSERT INTO drivers.drivers (id, full_name, date_of_birth, phone, postcode, licence_number, licence_type, licence_issued_on,
                             created_at, updated_at)
SELECT driver_id, 'Bench Driver ' || n, date '1975-01-01' + (n % 9000)::int, '+447' || lpad(n::text, 9, '0'), 'E1 6AN',
       'BENCH' || lpad(n::text, 11, '0'), 'full', date '1975-01-01' + (n % 9000)::int + 6600, joined_at, joined_at FROM seed;
INSERT INTO vehicles.vehicles (id, driver_id, registration, type, make, model, year, value_amount, created_at)
SELECT vehicle_id, driver_id, 'BN' || lpad(n::text, 6, '0'), 'car', 'Toyota', 'Yaris', 2020, 900000, joined_at FROM seed;
INSERT INTO quotes.quotes (id, driver_id, vehicle_id, product, usage, hourly_rate_amount, premium_amount, ipt_amount, total_amount,
                           rating_version, underwriting_version, factors, valid_until, created_at, bound_at)
SELECT quote_id, driver_id, vehicle_id, 'payg', 'food_delivery', 203, 181, 22, 203, 1, 1,
       '[{"band": "car", "name": "base_rate", "value": 140}]', joined_at + interval '30 minutes', joined_at, joined_at FROM seed;
INSERT INTO policies.policies (id, number, driver_id, vehicle_id, quote_id, product, usage, status, starts_at, hourly_rate_amount,
                               total_amount, created_at)
SELECT policy_id, pg_temp.policy_number(n), driver_id, vehicle_id, quote_id, 'payg', 'food_delivery', 'active', joined_at, 203, 203,
       joined_at FROM seed;
INSERT INTO payments.payment_methods (id, driver_id, psp_id, brand, last4, is_default, created_at)
SELECT card_id, driver_id, 'pm_bench_' || n, 'visa', '4242', true, joined_at FROM seed;
INSERT INTO ledger.accounts (id, kind) SELECT 'driver:' || driver_id || ':cash', 'liability' FROM seed;

-- Top-ups: one for every driver, :top_ups for the heavy one (six days apart, from their joining).
CREATE TEMP TABLE top_ups ON COMMIT DROP AS
SELECT s.driver_id, s.card_id, CASE WHEN i = 1 THEN s.payment_id ELSE gen_random_uuid() END AS payment_id,
       gen_random_uuid() AS transaction_id, CASE WHEN s.n = 1 THEN 10000 ELSE 2000 END AS amount,
       s.joined_at + interval '10 minutes' + (i - 1) * interval '6 days' AS at, s.n, i
FROM seed s CROSS JOIN LATERAL generate_series(1, CASE WHEN s.n = 1 THEN :top_ups ELSE 1 END) AS i;
INSERT INTO payments.payments (id, driver_id, purpose, amount, payment_method_id, status, psp_intent_id, created_at, updated_at, recorded_at)
SELECT payment_id, driver_id, 'top_up', amount, card_id, 'succeeded', 'pi_bench_' || n || '_' || i, at, at, at FROM top_ups;
INSERT INTO ledger.transactions (id, kind, driver_id, description, amount, funding, related_id, created_at)
SELECT transaction_id, 'top_up', driver_id, 'Top-up by card', amount, 'card', payment_id, at FROM top_ups;
INSERT INTO ledger.entries (transaction_id, account_id, amount)
SELECT transaction_id, 'psp_clearing', amount FROM top_ups
UNION ALL SELECT transaction_id, 'driver:' || driver_id || ':cash', -amount FROM top_ups;

-- Sessions by hand: one closed hour for every driver, :sessions two-hour sessions eight hours
-- apart for the heavy one, and a running one (first hour bought) for 1 driver in 100.
CREATE TEMP TABLE bench_sessions ON COMMIT DROP AS
SELECT s.driver_id, s.policy_id, CASE WHEN i = 1 THEN s.session_id ELSE gen_random_uuid() END AS session_id,
       gen_random_uuid() AS shift_id, gen_random_uuid() AS transaction_id,
       date_trunc('second', s.joined_at) + interval '1 hour' + (i - 1) * interval '8 hours' AS started_at,
       CASE WHEN s.n = 1 THEN 120 ELSE 60 END AS minutes, false AS running, s.n
FROM seed s CROSS JOIN LATERAL generate_series(1, CASE WHEN s.n = 1 THEN :sessions ELSE 1 END) AS i
UNION ALL
SELECT driver_id, policy_id, gen_random_uuid(), gen_random_uuid(), gen_random_uuid(),
       date_trunc('second', now()) - interval '2 hours' + (n % 60) * interval '1 minute', 60, true, n
FROM seed WHERE n % 100 = 0;
INSERT INTO cover.manual_shifts (id, driver_id, policy_id, started_at, ended_at)
SELECT shift_id, driver_id, policy_id, started_at, CASE WHEN NOT running THEN started_at + minutes * interval '1 minute' END
FROM bench_sessions;
-- Gross is 203p an hour, IPT included (12/112 of it, rounded as PremiumTax does).
INSERT INTO cover.sessions (id, driver_id, policy_id, started_at, ended_at, covered_until, status, billed_minutes, hourly_rate_amount,
                            charged_amount, ipt_amount, updated_at, final)
SELECT session_id, driver_id, policy_id, started_at,
       CASE WHEN NOT running THEN started_at + minutes * interval '1 minute' END, started_at + minutes * interval '1 minute',
       CASE WHEN running THEN 'active' ELSE 'closed' END, minutes, 203, 203 * minutes / 60, round(203 * minutes / 60 * 12 / 112.0),
       started_at + minutes * interval '1 minute', NOT running
FROM bench_sessions;
INSERT INTO ledger.transactions (id, kind, driver_id, description, amount, ipt_amount, funding, related_id, created_at)
SELECT transaction_id, 'session_charge', driver_id,
       CASE WHEN running THEN 'Cover session: first hour, bought as it started' ELSE 'Cover session, ' || minutes || ' minutes' END,
       -(203 * minutes / 60), round(203 * minutes / 60 * 12 / 112.0), 'wallet', session_id,
       CASE WHEN running THEN started_at ELSE started_at + minutes * interval '1 minute' END
FROM bench_sessions;
INSERT INTO ledger.entries (transaction_id, account_id, amount)
SELECT transaction_id, 'driver:' || driver_id || ':cash', 203 * minutes / 60 FROM bench_sessions
UNION ALL SELECT transaction_id, 'premium_income', -(203 * minutes / 60 - round(203 * minutes / 60 * 12 / 112.0)) FROM bench_sessions
UNION ALL SELECT transaction_id, 'ipt_payable', -round(203 * minutes / 60 * 12 / 112.0) FROM bench_sessions;
INSERT INTO cover.policy_progress (policy_id, driver_id, computed_until) SELECT policy_id, driver_id, now() FROM seed;

INSERT INTO audit.events (id, occurred_at, actor, action, object_type, object_id, owner_type, owner_id, after)
SELECT gen_random_uuid(), started_at, 'driver:' || driver_id, 'cover.session_opened', 'session', session_id::text, 'driver', driver_id::text,
       jsonb_build_object('status', 'active', 'billed_minutes', 60)
FROM bench_sessions
UNION ALL
SELECT gen_random_uuid(), started_at + minutes * interval '1 minute', 'driver:' || driver_id, 'cover.session_closed', 'session',
       session_id::text, 'driver', driver_id::text, jsonb_build_object('status', 'closed', 'billed_minutes', minutes)
FROM bench_sessions WHERE NOT running;
COMMIT;

VACUUM ANALYZE;
