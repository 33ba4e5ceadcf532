-- The peer of `hourglass recon import` (issue #13 "How to prove it"): the plain SQL and psql
-- pipeline a good DBA writes by hand, doing the same work in ONE transaction: COPY the report
-- into an UNLOGGED staging table of text columns, convert amounts to minor units, match in three
-- passes against the ledger's published view ledger.clearing_legs (by the processor's id within
-- the report's time window, then by that id across all history, then by the ledger transaction
-- id in the metadata), classify every line as reconciliation.lines does, and write every line
-- with its outcome, the exceptions and the per-payout-and-currency totals (what our import books)
-- into its own schema, bench_baseline. Nothing else is written.
--   zcat s.csv.gz | psql -X -q -v report=s.csv.gz -f scripts/bench/recon_baseline.sql URL
-- Classified in the import's order (ReconciliationStore.classifyStagedLines): a repeated balance
-- transaction or processor id is duplicate_line; one another report settled is already_settled;
-- a processor fee line is a fee; then matched, currency_mismatch, amount_mismatch, or, with no
-- leg, missing_internal (it carries our metadata) or unknown_reference. A re-run of the same
-- report redoes everything and replaces that report's rows (there is no content hash to stop
-- at). Prints `BASELINE_COUNT <kind> <n>`; payout_mismatch and missing_at_psp stay 0 here, as the
-- bench has no processor payout totals and does not run the daily check.
\set ON_ERROR_STOP on
BEGIN;
CREATE SCHEMA IF NOT EXISTS bench_baseline;
-- Column names are the report's header names, so HEADER MATCH refuses a report laid out otherwise.
CREATE UNLOGGED TABLE IF NOT EXISTS bench_baseline.staged (
    row_number                           bigint GENERATED ALWAYS AS IDENTITY,
    automatic_payout_id                  text,
    automatic_payout_effective_at_utc    text,
    balance_transaction_id               text,
    created_utc                          text,
    available_on_utc                     text,
    currency                             text,
    gross                                text,
    fee                                  text,
    net                                  text,
    reporting_category                   text,
    source_id                            text,
    description                          text,
    customer_facing_amount               text,
    customer_facing_currency             text,
    payment_intent_id                    text,
    "payment_metadata[hourglass_txn_id]" text
);
TRUNCATE bench_baseline.staged RESTART IDENTITY;
\copy bench_baseline.staged (automatic_payout_id, automatic_payout_effective_at_utc, balance_transaction_id, created_utc, available_on_utc, currency, gross, fee, net, reporting_category, source_id, description, customer_facing_amount, customer_facing_currency, payment_intent_id, "payment_metadata[hourglass_txn_id]") FROM pstdin WITH (FORMAT csv, HEADER MATCH)

-- Typed, in minor units (Stripe's zero-decimal currencies have none), with each balance
-- transaction's repeats marked. Line numbers count the header as line 1.
DROP TABLE IF EXISTS bench_baseline.parsed, bench_baseline.matches;
CREATE UNLOGGED TABLE bench_baseline.parsed AS
SELECT s.row_number + 1 AS line_number,
       s.automatic_payout_id AS payout_id,
       (nullif(s.automatic_payout_effective_at_utc, '')::timestamp AT TIME ZONE 'UTC') AS payout_effective_at,
       s.balance_transaction_id,
       (s.created_utc::timestamp AT TIME ZONE 'UTC') AS created_at,
       upper(s.currency)::char(3) AS currency,
       (s.gross::numeric * k.scale)::bigint AS gross,
       (s.fee::numeric * k.scale)::bigint AS fee,
       (s.net::numeric * k.scale)::bigint AS net,
       s.reporting_category AS category,
       nullif(s.source_id, '') AS source_id,
       s.description,
       nullif(s.payment_intent_id, '') AS payment_intent_id,
       nullif(s."payment_metadata[hourglass_txn_id]", '')::uuid AS txn_id,
       row_number() OVER (PARTITION BY s.balance_transaction_id ORDER BY s.row_number) > 1
           OR (nullif(s.source_id, '') IS NOT NULL
               AND row_number() OVER (PARTITION BY nullif(s.source_id, '') ORDER BY s.row_number) > 1) AS repeated,
       (s.gross::numeric * k.scale) % 1 = 0 AND (s.fee::numeric * k.scale) % 1 = 0 AND (s.net::numeric * k.scale) % 1 = 0 AS whole
FROM bench_baseline.staged s
CROSS JOIN LATERAL (SELECT CASE WHEN lower(s.currency) IN ('bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf',
                                                          'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf') THEN 1 ELSE 100 END AS scale) k;
-- An amount with more decimals than its currency has is a malformed report: refuse it whole.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM bench_baseline.parsed WHERE NOT whole) THEN
        RAISE EXCEPTION 'an amount has more decimals than its currency allows: nothing written';
    END IF;
END $$;
ANALYZE bench_baseline.parsed;

-- The report's time window, as our import takes it (a week before its first line, a day after its last).
SELECT min(created_at) - interval '7 days' AS window_from, max(created_at) + interval '1 day' AS window_to
FROM bench_baseline.parsed \gset

-- Pass 1: the processor's id on the clearing leg, within the window.
CREATE UNLOGGED TABLE bench_baseline.matches AS
SELECT p.line_number, c.entry_id, c.transaction_id, c.amount, c.currency, 'source_in_window'::text AS matched_by
FROM bench_baseline.parsed p
JOIN ledger.clearing_legs c ON c.external_ref = p.source_id
WHERE NOT p.repeated AND p.source_id IS NOT NULL AND c.posted_at BETWEEN :'window_from' AND :'window_to';
-- Pass 2: the rest by the same id across all history.
INSERT INTO bench_baseline.matches
SELECT p.line_number, c.entry_id, c.transaction_id, c.amount, c.currency, 'source_history'
FROM bench_baseline.parsed p
JOIN ledger.clearing_legs c ON c.external_ref = p.source_id
WHERE NOT p.repeated AND p.source_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM bench_baseline.matches m WHERE m.line_number = p.line_number);
-- Pass 3: the rest by our transaction id in the metadata (legs booked before they carried the id).
INSERT INTO bench_baseline.matches
SELECT DISTINCT ON (p.line_number) p.line_number, c.entry_id, c.transaction_id, c.amount, c.currency, 'metadata'
FROM bench_baseline.parsed p
JOIN ledger.clearing_legs c ON c.transaction_id = p.txn_id AND c.external_ref IS NULL
WHERE NOT p.repeated AND p.txn_id IS NOT NULL AND (p.category <> 'fee' OR p.source_id IS NOT NULL)
  AND NOT EXISTS (SELECT 1 FROM bench_baseline.matches m WHERE m.line_number = p.line_number)
ORDER BY p.line_number, c.entry_id;

-- Every line with its outcome, as reconciliation.lines keeps them (and indexed the same way).
CREATE TABLE IF NOT EXISTS bench_baseline.results (
    report                 text NOT NULL,
    line_number            bigint NOT NULL,
    payout_id              text NOT NULL,
    payout_effective_at    timestamptz,
    balance_transaction_id text NOT NULL,
    created_at             timestamptz NOT NULL,
    currency               char(3) NOT NULL,
    gross_amount           bigint NOT NULL,
    fee_amount             bigint NOT NULL,
    net_amount             bigint NOT NULL,
    category               text NOT NULL,
    source_id              text,
    description            text,
    payment_intent_id      text,
    hourglass_txn_id       uuid,
    outcome                text NOT NULL,
    matched_by             text,
    entry_id               bigint,
    ledger_amount          bigint,
    PRIMARY KEY (report, line_number)
);
CREATE INDEX IF NOT EXISTS results_settled_balance_transaction ON bench_baseline.results (balance_transaction_id)
    WHERE outcome NOT IN ('duplicate_line', 'already_settled');
CREATE INDEX IF NOT EXISTS results_settled_entry ON bench_baseline.results (entry_id)
    WHERE entry_id IS NOT NULL AND outcome NOT IN ('duplicate_line', 'already_settled');
CREATE TABLE IF NOT EXISTS bench_baseline.exceptions (
    report           text NOT NULL,
    line_number      bigint NOT NULL,
    kind             text NOT NULL,
    entry_id         bigint,
    payout_id        text,
    currency         char(3),
    ledger_amount    bigint,
    processor_amount bigint,
    opened_at        timestamptz NOT NULL,
    PRIMARY KEY (report, line_number),
    FOREIGN KEY (report, line_number) REFERENCES bench_baseline.results (report, line_number)
);
CREATE TABLE IF NOT EXISTS bench_baseline.payouts (
    report    text NOT NULL,
    payout_id text NOT NULL,
    currency  char(3) NOT NULL,
    lines     bigint NOT NULL,
    gross     bigint NOT NULL,
    fees      bigint NOT NULL,
    net       bigint NOT NULL,
    PRIMARY KEY (report, payout_id, currency)
);
DELETE FROM bench_baseline.exceptions WHERE report = :'report';
DELETE FROM bench_baseline.payouts WHERE report = :'report';
DELETE FROM bench_baseline.results WHERE report = :'report';

INSERT INTO bench_baseline.results
SELECT :'report', p.line_number, p.payout_id, p.payout_effective_at, p.balance_transaction_id, p.created_at, p.currency,
       p.gross, p.fee, p.net, p.category, p.source_id, p.description, p.payment_intent_id, p.txn_id,
       CASE WHEN p.repeated THEN 'duplicate_line'
            WHEN EXISTS (SELECT 1 FROM bench_baseline.results r
                         WHERE r.balance_transaction_id = p.balance_transaction_id AND r.report <> :'report'
                           AND r.outcome NOT IN ('duplicate_line', 'already_settled'))
              OR EXISTS (SELECT 1 FROM bench_baseline.results r
                         WHERE r.entry_id = m.entry_id AND r.report <> :'report'
                           AND r.outcome NOT IN ('duplicate_line', 'already_settled')) THEN 'already_settled'
            WHEN p.category = 'fee' AND p.source_id IS NULL THEN 'fee'
            WHEN m.entry_id IS NULL AND p.txn_id IS NULL THEN 'unknown_reference'
            WHEN m.entry_id IS NULL THEN 'missing_internal'
            WHEN m.currency <> p.currency THEN 'currency_mismatch'
            WHEN m.amount <> p.gross THEN 'amount_mismatch'
            ELSE 'matched' END,
       m.matched_by, m.entry_id, m.amount
FROM bench_baseline.parsed p
LEFT JOIN bench_baseline.matches m USING (line_number);

INSERT INTO bench_baseline.exceptions
SELECT report, line_number, outcome, entry_id, payout_id, currency, ledger_amount, gross_amount, now()
FROM bench_baseline.results
WHERE report = :'report' AND outcome NOT IN ('matched', 'fee');

-- What our import books per payout and currency: the fees and the payout, from the same lines.
INSERT INTO bench_baseline.payouts
SELECT :'report', payout_id, currency, count(*), sum(gross), sum(fee), sum(net)
FROM bench_baseline.parsed
GROUP BY payout_id, currency;

TRUNCATE bench_baseline.staged;
DROP TABLE bench_baseline.parsed, bench_baseline.matches;
COMMIT;

SELECT 'BASELINE_COUNT ' || k.kind || ' ' || count(e.kind)
FROM (VALUES (1, 'missing_internal'), (2, 'unknown_reference'), (3, 'amount_mismatch'), (4, 'currency_mismatch'),
             (5, 'duplicate_line'), (6, 'already_settled'), (7, 'payout_mismatch'), (8, 'missing_at_psp')) AS k(position, kind)
LEFT JOIN bench_baseline.exceptions e ON e.kind = k.kind AND e.report = :'report'
GROUP BY k.position, k.kind
ORDER BY k.position;
SELECT 'BASELINE_LINES ' || count(*) || ' matched ' || count(*) FILTER (WHERE outcome = 'matched')
       || ' fee_lines ' || count(*) FILTER (WHERE outcome = 'fee')
       || ' payouts ' || (SELECT count(DISTINCT payout_id) FROM bench_baseline.payouts WHERE report = :'report')
FROM bench_baseline.results WHERE report = :'report';
