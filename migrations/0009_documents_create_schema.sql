-- documents: issued documents (certificates of motor insurance, statements), stored exactly as
-- issued with a SHA-256 of the bytes, and never changed afterwards.
CREATE SCHEMA documents;

CREATE TABLE documents.documents (
    id           uuid PRIMARY KEY,
    subject_id   uuid NOT NULL,                 -- the policy (certificate) or driver (statement)
    kind         text NOT NULL CHECK (kind IN ('certificate', 'statement')),
    period       text NOT NULL DEFAULT '',      -- e.g. '2026-W48' for a weekly statement
    content_type text NOT NULL,
    body         bytea NOT NULL,
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    created_at   timestamptz NOT NULL
);
-- One document per subject, kind, period and format (a certificate is kept as HTML and as PDF).
CREATE UNIQUE INDEX documents_subject_kind_period ON documents.documents (subject_id, kind, period, content_type);

CREATE FUNCTION documents.keep_documents_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'issued documents are immutable' USING ERRCODE = 'check_violation';
END;
$$;
CREATE TRIGGER documents_immutable BEFORE UPDATE OR DELETE ON documents.documents
    FOR EACH ROW EXECUTE FUNCTION documents.keep_documents_immutable();
