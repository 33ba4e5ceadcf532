-- ledger: the admin's journal (every posting newest first, or those related to one payment,
-- policy or session: 0034 made that index), the accounts list and one account's entries newest first.
CREATE INDEX transactions_created ON ledger.transactions (created_at DESC, id DESC);
CREATE INDEX entries_account_newest ON ledger.entries (account_id, id DESC);
CREATE INDEX accounts_created ON ledger.accounts (created_at DESC, id DESC);
