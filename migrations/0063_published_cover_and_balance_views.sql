-- The policies module's published read interface for cover lookups (STYLE.md rule 5: the cover
-- module reads this view, never the table): the window a paid hourly block covers, by the same
-- rule as `Policy.coverWindow` (from the later of its start and its payment, to the earlier of
-- its end and its cancellation). With it, GET /v1/cover asks "a session, or else a block" in one
-- statement instead of two (README, round-trip budgets).
CREATE VIEW policies.block_cover_windows AS
    SELECT id AS policy_id, driver_id, starts_at,
           greatest(starts_at, paid_at) AS covers_from,
           least(ends_at, coalesce(cancelled_at, ends_at)) AS covers_until
    FROM policies.policies
    WHERE product = 'hourly' AND paid_at IS NOT NULL AND ends_at IS NOT NULL;


-- The ledger's published balance of an account (its shards summed; STYLE.md rule 5): the wallet
-- reads its driver's two balances with its own settings in one statement (GET /v1/wallet).
CREATE VIEW ledger.account_balances AS
    SELECT account_id, sum(balance)::int8 AS balance FROM ledger.balance_shards GROUP BY account_id;
