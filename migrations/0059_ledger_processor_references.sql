-- ledger: what reconciliation (issue #13) needs from the ledger, at 45 million entries and beyond.
--
-- 1. The clearing leg of a card movement records the processor's own id for it (`ch_…` for a
--    charge, `re_…` for a refund): the settlement report names that id, and an index on it makes
--    the match a lookup, never a scan. Older legs have none; reconciliation finds them by the
--    ledger transaction id we attach to every payment intent as metadata.
-- 2. Every entry records when it was posted (its transaction's instant), so a match can be
--    labelled in or outside the report's time window without a join to 22 million
--    transactions. Entries made before this migration keep NULL (their transaction's
--    created_at says when, and the view below falls back to it): rewriting every row of a
--    ledger of tens of millions of entries inside a migration would hold every money write for
--    minutes. New entries must have it (the constraint is checked for every new row).
ALTER TABLE ledger.entries ADD COLUMN external_ref text CHECK (external_ref IS NULL OR length(external_ref) BETWEEN 1 AND 255);
ALTER TABLE ledger.entries ADD COLUMN posted_at timestamptz;
ALTER TABLE ledger.entries ADD CONSTRAINT entries_posted_at_recorded CHECK (posted_at IS NOT NULL) NOT VALID;

-- One clearing leg per processor movement; the match reads amount and instant from the index alone.
CREATE UNIQUE INDEX entries_clearing_external_ref ON ledger.entries (external_ref) INCLUDE (id, amount, posted_at, transaction_id)
    WHERE account_id = 'psp_clearing' AND external_ref IS NOT NULL;

-- Settlement bookings (one posting per payout and currency) and the accounts they need.
ALTER TABLE ledger.transactions DROP CONSTRAINT transactions_kind_check;
ALTER TABLE ledger.transactions ADD CONSTRAINT transactions_kind_check
    CHECK (kind IN ('top_up', 'session_charge', 'block_purchase', 'refund', 'fee', 'promo_credit', 'adjustment', 'write_off',
                    'settlement', 'reconciliation_correction'));
INSERT INTO ledger.accounts (id, kind) VALUES
    ('bank', 'asset'),                  -- our bank account: where the processor pays out
    ('processor_fees', 'expense'),      -- what the card processor charged us
    ('settlement_suspense', 'asset')    -- settled money not yet explained: reconciliation exceptions
ON CONFLICT (id) DO NOTHING;

-- The ledger's published read interface for reconciliation (STYLE.md rule 5: the reconciliation
-- module reads this view, never the tables): every leg on the clearing account, with the
-- account's currency (read once per query, not joined per leg: a match stays one index probe).
CREATE VIEW ledger.clearing_legs AS
    SELECT e.id AS entry_id, e.transaction_id, e.external_ref, e.amount,
           (SELECT a.currency FROM ledger.accounts a WHERE a.id = 'psp_clearing') AS currency,
           coalesce(e.posted_at, (SELECT t.created_at FROM ledger.transactions t WHERE t.id = e.transaction_id)) AS posted_at
    FROM ledger.entries e
    WHERE e.account_id = 'psp_clearing';

-- Reconciliation's daily check walks the clearing legs posted on one more day (those that
-- should have settled by now): a range over the card movements alone.
CREATE INDEX entries_clearing_posted ON ledger.entries (posted_at)
    WHERE account_id = 'psp_clearing' AND external_ref IS NOT NULL;
