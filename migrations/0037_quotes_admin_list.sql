-- quotes: the admin's list of every driver's quotes, newest first (keyset on created_at, id).
CREATE INDEX quotes_created ON quotes.quotes (created_at DESC, id DESC);
