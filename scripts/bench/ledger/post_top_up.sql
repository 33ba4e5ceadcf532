-- A card top-up as the application posts it: the posting, then its two legs in account order
-- (the clearing leg carrying the processor's id); the triggers keep the balances and check the
-- posting balances at commit.
\set k random(1000, 400999)
\set amount random(500, 10000)
BEGIN;
WITH posting AS (
    INSERT INTO ledger.transactions (id, kind, driver_id, description, amount, funding, created_at)
    VALUES (gen_random_uuid(), 'top_up', ('00000000-0000-4000-8000-' || lpad(to_hex(:k::int), 12, '0'))::uuid, 'Top-up by card', :amount, 'card', now())
    RETURNING id)
INSERT INTO ledger.entries (transaction_id, account_id, amount, external_ref, posted_at)
SELECT posting.id, leg.account_id, leg.amount, leg.external_ref, now()
FROM posting, (VALUES ('driver:00000000-0000-4000-8000-' || lpad(to_hex(:k::int), 12, '0') || ':cash', -:amount::bigint, NULL::text),
                      ('psp_clearing', :amount::bigint, 'ch_bench_' || md5(random()::text))) AS leg(account_id, amount, external_ref);
END;
