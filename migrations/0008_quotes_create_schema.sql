-- quotes: priced offers, valid for 30 minutes and immutable once issued. The only change a
-- quote ever sees is being bound (once) to a policy; a trigger enforces that.
CREATE SCHEMA quotes;

CREATE TABLE quotes.quotes (
    id                 uuid PRIMARY KEY,
    driver_id          uuid NOT NULL REFERENCES identity.users (id),
    vehicle_id         uuid NOT NULL REFERENCES vehicles.vehicles (id),
    product            text NOT NULL CHECK (product IN ('payg', 'hourly')),
    usage              text NOT NULL CHECK (usage IN ('food_delivery', 'parcel_delivery', 'ride_hail')),
    hours              integer CHECK (hours BETWEEN 1 AND 24),
    starts_at          timestamptz,
    currency           char(3) NOT NULL DEFAULT 'GBP',
    hourly_rate_amount bigint NOT NULL CHECK (hourly_rate_amount > 0),
    premium_amount     bigint NOT NULL CHECK (premium_amount >= 0),
    ipt_amount         bigint NOT NULL CHECK (ipt_amount >= 0),
    total_amount       bigint NOT NULL CHECK (total_amount = premium_amount + ipt_amount),
    rating_version     integer NOT NULL,
    underwriting_version integer NOT NULL,
    factors            jsonb NOT NULL,
    valid_until        timestamptz NOT NULL,
    created_at         timestamptz NOT NULL,
    bound_at           timestamptz,
    CHECK ((product = 'hourly') = (hours IS NOT NULL AND starts_at IS NOT NULL))
);
CREATE INDEX quotes_driver ON quotes.quotes (driver_id, created_at DESC);

CREATE FUNCTION quotes.keep_quotes_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'quotes are never deleted' USING ERRCODE = 'check_violation';
    END IF;
    IF (NEW.id, NEW.driver_id, NEW.vehicle_id, NEW.product, NEW.usage, NEW.hours, NEW.starts_at, NEW.currency,
        NEW.hourly_rate_amount, NEW.premium_amount, NEW.ipt_amount, NEW.total_amount, NEW.rating_version,
        NEW.underwriting_version, NEW.factors, NEW.valid_until, NEW.created_at)
       IS DISTINCT FROM
       (OLD.id, OLD.driver_id, OLD.vehicle_id, OLD.product, OLD.usage, OLD.hours, OLD.starts_at, OLD.currency,
        OLD.hourly_rate_amount, OLD.premium_amount, OLD.ipt_amount, OLD.total_amount, OLD.rating_version,
        OLD.underwriting_version, OLD.factors, OLD.valid_until, OLD.created_at) THEN
        RAISE EXCEPTION 'quotes are immutable once issued' USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.bound_at IS NOT NULL AND NEW.bound_at IS DISTINCT FROM OLD.bound_at THEN
        RAISE EXCEPTION 'a quote is bound only once' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER quotes_immutable BEFORE UPDATE OR DELETE ON quotes.quotes
    FOR EACH ROW EXECUTE FUNCTION quotes.keep_quotes_immutable();
