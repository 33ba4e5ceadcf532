-- Two fixes to the ledger's guarantees (issue #9, item 7).
--
-- 1. No shared hot rows. Every posting touches a house account (psp_clearing, premium_income,
--    ipt_payable), and the maintained balance of each was one row: every money transaction of
--    every driver updated the same rows, in whatever order its entries came, so two postings
--    could deadlock (captures debit clearing first, card refunds credit it last). House
--    accounts now keep their balance in 16 shards picked by the transaction id; drivers'
--    accounts keep one row (their postings are serialised by the wallet lock anyway). The
--    application also inserts entries in account order, so row locks are always taken in one
--    order. An account's balance is the sum of its shards.
CREATE TABLE ledger.balance_shards (
    account_id text NOT NULL REFERENCES ledger.accounts (id),
    shard      smallint NOT NULL CHECK (shard BETWEEN 0 AND 15),
    balance    bigint NOT NULL,
    PRIMARY KEY (account_id, shard)
);
INSERT INTO ledger.balance_shards (account_id, shard, balance) SELECT account_id, 0, balance FROM ledger.balances;
DROP TABLE ledger.balances;
CREATE VIEW ledger.balances AS
    SELECT account_id, sum(balance)::bigint AS balance FROM ledger.balance_shards GROUP BY account_id;

CREATE OR REPLACE FUNCTION ledger.apply_entry() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target smallint := CASE WHEN NEW.account_id LIKE 'driver:%' THEN 0
                            ELSE (abs(hashtextextended(NEW.transaction_id::text, 0)) % 16)::smallint END;
BEGIN
    INSERT INTO ledger.balance_shards (account_id, shard, balance) VALUES (NEW.account_id, target, NEW.amount)
    ON CONFLICT (account_id, shard) DO UPDATE SET balance = ledger.balance_shards.balance + EXCLUDED.balance;
    RETURN NEW;
END;
$$;

-- 2. The balance check ran only for the transaction row, so entries added to a transaction
--    after it was checked were never looked at. Every entry now checks its transaction at
--    commit as well (deferred, once all of a posting's entries are in).
CREATE FUNCTION ledger.check_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    total bigint;
    lines integer;
BEGIN
    SELECT coalesce(sum(amount), 0), count(*) INTO total, lines FROM ledger.entries WHERE transaction_id = NEW.transaction_id;
    IF lines < 2 OR total <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % is unbalanced (% entries summing to %)', NEW.transaction_id, lines, total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER entries_balanced AFTER INSERT ON ledger.entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger.check_entry_balanced();
