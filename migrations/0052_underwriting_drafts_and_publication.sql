-- underwriting: rule sets drafted and published by staff (issue #12), the way rating does it
-- (0051): published rule sets stay read-only to the runtime role (0030), a draft is one JSON
-- object of rules (key → value, the keys and value shapes of underwriting.rules) in a table
-- the runtime role may write, and underwriting.publish_draft (SECURITY DEFINER, fixed
-- search_path) is the only way a rule set is added at runtime: it copies a draft into a NEW
-- version with the chosen effective instant and never changes a published one. Quotes are
-- underwritten with the newest rule set whose effective_from has passed, as before.
CREATE TABLE underwriting.drafts (
    id                uuid PRIMARY KEY,
    based_on          integer NOT NULL REFERENCES underwriting.rule_sets (version),
    description       text NOT NULL CHECK (length(description) BETWEEN 1 AND 200),
    rules             jsonb NOT NULL CHECK (jsonb_typeof(rules) = 'object'),
    revision          integer NOT NULL DEFAULT 1 CHECK (revision > 0),
    state             text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'published', 'discarded')),
    created_by        uuid NOT NULL,
    created_by_name   text NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_by_name   text NOT NULL,
    updated_at        timestamptz NOT NULL,
    published_version integer UNIQUE REFERENCES underwriting.rule_sets (version),
    CHECK ((state = 'published') = (published_version IS NOT NULL))
);
CREATE INDEX drafts_recent ON underwriting.drafts (updated_at DESC, id DESC);

CREATE FUNCTION underwriting.publish_draft(draft_id uuid, expected_revision integer, starts timestamptz, published_at timestamptz)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    draft underwriting.drafts%ROWTYPE;
    new_version integer;
BEGIN
    SELECT * INTO draft FROM underwriting.drafts WHERE id = draft_id FOR UPDATE;
    IF NOT FOUND OR draft.state <> 'draft' OR draft.revision <> expected_revision THEN
        RAISE EXCEPTION 'rule set draft % is not an unpublished draft at revision %', draft_id, expected_revision
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    LOCK TABLE underwriting.rule_sets IN EXCLUSIVE MODE;
    SELECT coalesce(max(version), 0) + 1 INTO new_version FROM underwriting.rule_sets;
    INSERT INTO underwriting.rule_sets (version, effective_from, description) VALUES (new_version, starts, draft.description);
    INSERT INTO underwriting.rules (version, key, value)
    SELECT new_version, rule.key, rule.value FROM jsonb_each(draft.rules) AS rule;
    UPDATE underwriting.drafts SET state = 'published', published_version = new_version, updated_at = published_at WHERE id = draft_id;
    RETURN new_version;
END;
$$;
REVOKE EXECUTE ON FUNCTION underwriting.publish_draft(uuid, integer, timestamptz, timestamptz) FROM PUBLIC;
