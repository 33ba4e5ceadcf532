-- ledger: an account's entries summed from the index alone (driver 360's ledger check for a
-- driver with 10,000 postings: issue #11's speed goal).
DROP INDEX ledger.entries_account;
CREATE INDEX entries_account ON ledger.entries (account_id) INCLUDE (amount);
