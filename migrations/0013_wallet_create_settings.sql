-- wallet: auto top-up settings. Balances themselves live only in the ledger.
CREATE SCHEMA wallet;

CREATE TABLE wallet.settings (
    driver_id           uuid PRIMARY KEY REFERENCES identity.users (id),
    auto_top_up_enabled boolean NOT NULL DEFAULT true,
    threshold_amount    bigint NOT NULL DEFAULT 1000 CHECK (threshold_amount BETWEEN 0 AND 50000),
    top_up_amount       bigint NOT NULL DEFAULT 2000 CHECK (top_up_amount BETWEEN 500 AND 50000),
    -- Cover is paused from the moment the balance falls below £0 until a top-up brings it back
    -- to at least £10 (PRODUCT.md); changes are announced to the driver and work providers.
    cover_paused        boolean NOT NULL DEFAULT false,
    cover_paused_changed_at timestamptz,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
