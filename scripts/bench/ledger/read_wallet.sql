-- What GET /v1/wallet and GET /v1/transactions read, and driver 360's ledger check.
\set k random(1000, 400999)
SELECT coalesce(sum(balance), 0) FROM ledger.balance_shards
WHERE account_id = 'driver:00000000-0000-4000-8000-' || lpad(to_hex(:k::int), 12, '0') || ':cash';
SELECT id, kind, driver_id, description, amount, ipt_amount, funding, related_id, currency, created_at FROM ledger.transactions
WHERE driver_id = ('00000000-0000-4000-8000-' || lpad(to_hex(:k::int), 12, '0'))::uuid ORDER BY created_at DESC, id DESC LIMIT 51;
SELECT coalesce(sum(amount), 0) FROM ledger.entries
WHERE account_id = 'driver:00000000-0000-4000-8000-' || lpad(to_hex(:k::int), 12, '0') || ':cash';
