-- ledger: double-entry bookkeeping for every money movement. Amounts are signed minor units:
-- positive = debit, negative = credit. The database itself guarantees that each transaction
-- has at least two entries summing to zero, and that nothing is ever updated or deleted
-- (corrections are new transactions).
CREATE SCHEMA ledger;

CREATE TABLE ledger.accounts (
    id         text PRIMARY KEY,  -- 'psp_clearing', 'premium_income', 'driver:<uuid>:cash', ...
    kind       text NOT NULL CHECK (kind IN ('asset', 'liability', 'income', 'expense')),
    currency   char(3) NOT NULL DEFAULT 'GBP',
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO ledger.accounts (id, kind) VALUES
    ('psp_clearing', 'asset'),      -- card money held by the PSP for us
    ('premium_income', 'income'),   -- net premium earned
    ('ipt_payable', 'liability'),   -- Insurance Premium Tax owed to HMRC
    ('promo_funding', 'expense');   -- promotional credit we give away

-- One row per posting. `id` is derived from what caused it (e.g. "payment:<id>:captured"), so a
-- retried posting is a no-op. The driver-facing columns feed GET /v1/transactions.
CREATE TABLE ledger.transactions (
    id          uuid PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('top_up', 'session_charge', 'block_purchase', 'refund', 'fee', 'promo_credit')),
    driver_id   uuid,
    description text NOT NULL,
    -- The effect on the driver's balance (+ in, − out); card-funded purchases and refunds
    -- carry their card amount with funding 'card' and leave the balance alone.
    amount      bigint NOT NULL,
    ipt_amount  bigint NOT NULL DEFAULT 0,
    funding     text NOT NULL CHECK (funding IN ('card', 'wallet', 'promo', 'mixed', 'none')),
    related_id  uuid,
    currency    char(3) NOT NULL DEFAULT 'GBP',
    created_at  timestamptz NOT NULL
);
CREATE INDEX transactions_driver_created ON ledger.transactions (driver_id, created_at DESC, id DESC);

CREATE TABLE ledger.entries (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id uuid NOT NULL REFERENCES ledger.transactions (id),
    account_id     text NOT NULL REFERENCES ledger.accounts (id),
    amount         bigint NOT NULL CHECK (amount <> 0)
);
CREATE INDEX entries_transaction ON ledger.entries (transaction_id);
CREATE INDEX entries_account ON ledger.entries (account_id);

-- Maintained balances (sum of entries per account), for fast wallet reads; a test checks
-- them against the entries.
CREATE TABLE ledger.balances (
    account_id text PRIMARY KEY REFERENCES ledger.accounts (id),
    balance    bigint NOT NULL
);

CREATE FUNCTION ledger.apply_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger.balances (account_id, balance) VALUES (NEW.account_id, NEW.amount)
    ON CONFLICT (account_id) DO UPDATE SET balance = ledger.balances.balance + EXCLUDED.balance;
    RETURN NEW;
END;
$$;
CREATE TRIGGER entries_apply AFTER INSERT ON ledger.entries FOR EACH ROW EXECUTE FUNCTION ledger.apply_entry();

-- Checked at commit, once all of a transaction's entries are in.
CREATE FUNCTION ledger.check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    total bigint;
    lines integer;
BEGIN
    SELECT coalesce(sum(amount), 0), count(*) INTO total, lines FROM ledger.entries WHERE transaction_id = NEW.id;
    IF lines < 2 OR total <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % is unbalanced (% entries summing to %)', NEW.id, lines, total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER transactions_balanced AFTER INSERT ON ledger.transactions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger.check_balanced();

CREATE FUNCTION ledger.append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: post a correcting transaction instead' USING ERRCODE = 'check_violation';
END;
$$;
CREATE TRIGGER transactions_append_only BEFORE UPDATE OR DELETE ON ledger.transactions
    FOR EACH ROW EXECUTE FUNCTION ledger.append_only();
CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON ledger.entries
    FOR EACH ROW EXECUTE FUNCTION ledger.append_only();
