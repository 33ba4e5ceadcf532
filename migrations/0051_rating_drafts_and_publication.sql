-- rating: rate tables drafted and published by staff (issue #12, OPS.md "Actions").
--
-- Published versions stay what 0006 and 0030 made them: read-only to the runtime role, which
-- may SELECT rating.rate_tables, base_rates, factors and area_bands and nothing else, so no
-- statement the server sends can change a version that priced a quote. What staff edit is a
-- draft: a whole rate table (base rates, factors, area bands) as one JSON document in
-- rating.drafts, which the runtime role may write (the table has no 'read-only' comment).
--
-- Publication is the one way a version is added at runtime: rating.publish_draft, a
-- SECURITY DEFINER function (it runs with the owner's rights, like ledger.apply_entry, with a
-- fixed search_path), copies a draft into a NEW version, numbered after every existing one,
-- with the chosen effective instant, and marks the draft published. It only ever inserts a
-- version that did not exist; it never updates or deletes a row of a published version. The
-- server calls it inside the approved staff action's transaction (with its audit event), after
-- checking the draft itself; the function checks again, so a wrong call changes nothing.
-- Pricing is unchanged: the newest version whose effective_from has passed prices a quote, and
-- the quote keeps that version for good.
CREATE TABLE rating.drafts (
    id                uuid PRIMARY KEY,
    -- The version it was copied from (its diff compares with the version in effect).
    based_on          integer NOT NULL REFERENCES rating.rate_tables (version),
    description       text NOT NULL CHECK (length(description) BETWEEN 1 AND 200),
    -- {"base_rates": {"car": 140, …}, "factors": [{"factor": "age", "band": "19-20", "lower": 19,
    --  "upper": 20, "multiplier_bp": 16000}, …], "area_bands": {"E1": "F", …}}, checked by the
    -- server on every save and by the published tables' constraints on publication.
    contents          jsonb NOT NULL CHECK (jsonb_typeof(contents) = 'object'),
    -- Every save adds one: a publication asked for at revision n publishes revision n or nothing.
    revision          integer NOT NULL DEFAULT 1 CHECK (revision > 0),
    state             text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'published', 'discarded')),
    created_by        uuid NOT NULL,
    created_by_name   text NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_by_name   text NOT NULL,
    updated_at        timestamptz NOT NULL,
    published_version integer UNIQUE REFERENCES rating.rate_tables (version),
    CHECK ((state = 'published') = (published_version IS NOT NULL))
);
CREATE INDEX drafts_recent ON rating.drafts (updated_at DESC, id DESC);

CREATE FUNCTION rating.publish_draft(draft_id uuid, expected_revision integer, starts timestamptz, published_at timestamptz)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    draft rating.drafts%ROWTYPE;
    new_version integer;
BEGIN
    SELECT * INTO draft FROM rating.drafts WHERE id = draft_id FOR UPDATE;
    IF NOT FOUND OR draft.state <> 'draft' OR draft.revision <> expected_revision THEN
        RAISE EXCEPTION 'rate table draft % is not an unpublished draft at revision %', draft_id, expected_revision
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    -- One publication at a time picks the next number (readers are not blocked).
    LOCK TABLE rating.rate_tables IN EXCLUSIVE MODE;
    SELECT coalesce(max(version), 0) + 1 INTO new_version FROM rating.rate_tables;
    INSERT INTO rating.rate_tables (version, effective_from, description, created_at)
    VALUES (new_version, starts, draft.description, published_at);
    INSERT INTO rating.base_rates (version, vehicle_type, hourly_rate_amount)
    SELECT new_version, rate.key, rate.value::bigint FROM jsonb_each_text(draft.contents -> 'base_rates') AS rate;
    INSERT INTO rating.factors (version, factor, band, lower_bound, upper_bound, multiplier_bp)
    SELECT new_version, f ->> 'factor', f ->> 'band', (f ->> 'lower')::integer, (f ->> 'upper')::integer, (f ->> 'multiplier_bp')::integer
    FROM jsonb_array_elements(draft.contents -> 'factors') AS f;
    INSERT INTO rating.area_bands (version, postcode_prefix, band)
    SELECT new_version, area.key, area.value FROM jsonb_each_text(draft.contents -> 'area_bands') AS area;
    UPDATE rating.drafts SET state = 'published', published_version = new_version, updated_at = published_at WHERE id = draft_id;
    RETURN new_version;
END;
$$;
-- Only the runtime role calls it (kernel.grant_runtime_privileges grants EXECUTE on the
-- schema's functions to it after every migrate).
REVOKE EXECUTE ON FUNCTION rating.publish_draft(uuid, integer, timestamptz, timestamptz) FROM PUBLIC;
