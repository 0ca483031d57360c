-- Shop settings saved from the console (issue 3): time zone, currency, default phone region,
-- the shop's name. The configuration file gives their starting values; a saved value wins.
CREATE TABLE shop_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_by INTEGER REFERENCES users (id),
    updated_at INTEGER NOT NULL
);
