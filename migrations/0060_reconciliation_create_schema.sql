-- reconciliation (issue #13): the card processor's settlement report matched, line by line, to
-- the clearing legs of our ledger (through the ledger's published view ledger.clearing_legs).
-- One run per report file: its lines, what each matched or why not, and the exceptions finance
-- works. The same content imported twice is a no-op (content_sha256 is unique).
CREATE SCHEMA reconciliation;

CREATE TABLE reconciliation.runs (
    id              uuid PRIMARY KEY,
    source          text NOT NULL CHECK (source IN ('cli', 'upload', 'payout_webhook')),
    file_name       text NOT NULL,
    file_sha256     text NOT NULL,          -- of the bytes as given (gzipped or not): the quick re-import check
    content_sha256  text NOT NULL UNIQUE,   -- of the CSV text itself: the same report however compressed
    payout_id       text,                   -- the payout whose report this is, when fetched for one
    actor           text NOT NULL,          -- cli:<user>, staff:<id>, system:<job>
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz NOT NULL,
    created_from    timestamptz,            -- the report's time window (its lines' created times)
    created_to      timestamptz,
    line_count      integer NOT NULL CHECK (line_count >= 0),
    matched_count   integer NOT NULL CHECK (matched_count >= 0),
    fee_line_count  integer NOT NULL CHECK (fee_line_count >= 0),
    exception_count integer NOT NULL CHECK (exception_count >= 0),
    payout_count    integer NOT NULL CHECK (payout_count >= 0)
);
CREATE INDEX runs_file_sha256 ON reconciliation.runs (file_sha256);
CREATE INDEX runs_newest ON reconciliation.runs (started_at DESC, id DESC);

-- Where a report is parsed into before matching: unlogged (it is rebuilt from the file on any
-- crash), emptied by its owner's function at the start and end of every run, which holds the
-- import lock (one import at a time).
CREATE UNLOGGED TABLE reconciliation.staged_lines (
    line_number            integer NOT NULL,
    payout_id              text NOT NULL,
    payout_effective_at    timestamptz,
    balance_transaction_id text NOT NULL,
    created_at             timestamptz NOT NULL,
    available_on           timestamptz,
    currency               char(3) NOT NULL,
    gross_amount           bigint NOT NULL,
    fee_amount             bigint NOT NULL,
    net_amount             bigint NOT NULL,
    category               text NOT NULL,
    source_id              text,
    description            text,
    payment_intent_id      text,
    hourglass_txn_id       uuid
);
CREATE FUNCTION reconciliation.clear_staged_lines() RETURNS void LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$ TRUNCATE reconciliation.staged_lines $$;

-- Every line of every run, with its outcome. `entry_id` is the clearing leg it matched (or, for
-- a mismatch, the one it was compared with); `ledger_amount` that leg's amount.
CREATE TABLE reconciliation.lines (
    run_id                 uuid NOT NULL REFERENCES reconciliation.runs (id),
    line_number            integer NOT NULL,
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
    outcome                text NOT NULL CHECK (outcome IN ('matched', 'fee', 'missing_internal', 'unknown_reference',
                               'amount_mismatch', 'currency_mismatch', 'duplicate_line', 'already_settled')),
    matched_by             text CHECK (matched_by IN ('source_in_window', 'source_history', 'metadata')),
    entry_id               bigint,
    ledger_amount          bigint,
    PRIMARY KEY (run_id, line_number)
);
COMMENT ON TABLE reconciliation.lines IS 'append-only: every settlement line as imported, with its outcome';
-- What a later report is checked against: a balance transaction, or a leg, settled once already.
CREATE INDEX lines_settled_balance_transaction ON reconciliation.lines (balance_transaction_id)
    WHERE outcome NOT IN ('duplicate_line', 'already_settled');
CREATE INDEX lines_settled_entry ON reconciliation.lines (entry_id)
    WHERE entry_id IS NOT NULL AND outcome NOT IN ('duplicate_line', 'already_settled');

-- What each run booked, per payout and currency: one settlement posting in the ledger.
CREATE TABLE reconciliation.run_payouts (
    run_id                 uuid NOT NULL REFERENCES reconciliation.runs (id),
    payout_id              text NOT NULL,
    currency               char(3) NOT NULL,
    line_count             integer NOT NULL,
    net_amount             bigint NOT NULL,   -- to the bank
    fee_amount             bigint NOT NULL,   -- the processor's fees
    clearing_amount        bigint NOT NULL,   -- the clearing legs its lines settled
    suspense_amount        bigint NOT NULL,   -- settled but unexplained (its exceptions)
    ledger_transaction_id  uuid,              -- the settlement posting (null when nothing moved)
    PRIMARY KEY (run_id, payout_id, currency)
);
COMMENT ON TABLE reconciliation.run_payouts IS 'append-only: what each run booked per payout';
CREATE INDEX run_payouts_payout ON reconciliation.run_payouts (payout_id);

-- The queue finance works. A line's exception points at its line; `missing_at_psp` (our leg never
-- settled) and `payout_mismatch` (a payout's lines do not add up to it) at a leg or a payout.
CREATE TABLE reconciliation.exceptions (
    id                  uuid PRIMARY KEY,
    kind                text NOT NULL CHECK (kind IN ('missing_internal', 'unknown_reference', 'amount_mismatch', 'currency_mismatch',
                            'duplicate_line', 'already_settled', 'payout_mismatch', 'missing_at_psp')),
    run_id              uuid REFERENCES reconciliation.runs (id),
    line_number         integer,
    entry_id            bigint,
    payout_id           text,
    currency            char(3),
    ledger_amount       bigint,   -- what our books say (null when they say nothing)
    processor_amount    bigint,   -- what the processor says (null when it says nothing)
    opened_at           timestamptz NOT NULL,
    status              text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    assignee            text,     -- staff:<id>
    resolved_at         timestamptz,
    resolved_by         text,
    resolution_note     text CHECK (resolution_note IS NULL OR length(resolution_note) BETWEEN 1 AND 2000),
    correcting_transaction_id uuid,
    FOREIGN KEY (run_id, line_number) REFERENCES reconciliation.lines (run_id, line_number),
    CHECK ((status = 'resolved') = (resolved_at IS NOT NULL AND resolved_by IS NOT NULL AND resolution_note IS NOT NULL))
);
CREATE INDEX exceptions_queue ON reconciliation.exceptions (opened_at DESC, id DESC) WHERE status = 'open';
CREATE INDEX exceptions_by_kind ON reconciliation.exceptions (kind, status, opened_at DESC, id DESC);
CREATE INDEX exceptions_run ON reconciliation.exceptions (run_id, line_number);
CREATE INDEX exceptions_assignee ON reconciliation.exceptions (assignee, opened_at DESC) WHERE status = 'open';
-- The daily check opens one exception per leg, however often it runs.
CREATE UNIQUE INDEX exceptions_missing_at_psp ON reconciliation.exceptions (entry_id) WHERE kind = 'missing_at_psp';

-- How far the daily missing_at_psp check has looked (legs posted before this were checked).
CREATE TABLE reconciliation.checks (
    name         text PRIMARY KEY,
    checked_to   timestamptz NOT NULL
);
