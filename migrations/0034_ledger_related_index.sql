-- ledger: postings by what they relate to (a session's charges, a policy's refund), for the
-- admin's billing explainer and for refunds, which look them up by related id.
CREATE INDEX transactions_related ON ledger.transactions (related_id, created_at) WHERE related_id IS NOT NULL;
