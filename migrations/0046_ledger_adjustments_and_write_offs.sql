-- ledger: staff corrections of a driver's cash (OPS.md "Actions": adjust_wallet, write_off).
-- A wallet adjustment up or down is a balanced posting between the driver's cash and the house
-- account `wallet_adjustments`; writing off a negative balance credits the driver's cash back to
-- zero against `bad_debt`. Both are expenses of the insurer (an adjustment down lowers it).
INSERT INTO ledger.accounts (id, kind) VALUES
    ('wallet_adjustments', 'expense'),  -- cash given to (or taken back from) drivers by staff
    ('bad_debt', 'expense')             -- negative balances written off as never to be recovered
ON CONFLICT (id) DO NOTHING;

-- The kinds a driver sees in GET /v1/transactions gain `adjustment` and `write_off`.
ALTER TABLE ledger.transactions DROP CONSTRAINT transactions_kind_check;
ALTER TABLE ledger.transactions ADD CONSTRAINT transactions_kind_check
    CHECK (kind IN ('top_up', 'session_charge', 'block_purchase', 'refund', 'fee', 'promo_credit', 'adjustment', 'write_off'));
