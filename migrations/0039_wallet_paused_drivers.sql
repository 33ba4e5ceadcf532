-- wallet: the drivers whose cover is paused for money (the ops home count "policies paused
-- below £0" and the policies list filtered on `paused`); few rows, so a small partial index.
CREATE INDEX settings_cover_paused ON wallet.settings (driver_id) WHERE cover_paused;
