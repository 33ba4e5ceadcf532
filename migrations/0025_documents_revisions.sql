-- documents: a certificate can be re-issued (a cancelled policy's certificate says it was
-- cancelled and when). Every revision is kept, immutable; the newest is the one served.
ALTER TABLE documents.documents ADD COLUMN revision integer NOT NULL DEFAULT 1 CHECK (revision >= 1);
DROP INDEX documents.documents_subject_kind_period;
CREATE UNIQUE INDEX documents_subject_kind_period_revision
    ON documents.documents (subject_id, kind, period, content_type, revision);
