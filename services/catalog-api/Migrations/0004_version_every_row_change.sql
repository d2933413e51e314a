-- Item ETags are the row version ("v{n}"), and a client's cached copy is revalidated against it. A change made
-- outside the API (psql, a data fix, a migration) used to keep the version, so the same ETag named new bytes and
-- clients holding the old ones got 304. Any UPDATE that changes a row without moving its version now moves it (and
-- updated_at). The API's own updates set version = old + 1 themselves (EF Core concurrency token) and are left alone.
CREATE FUNCTION catalog.bump_version_on_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.version = OLD.version THEN
        NEW.version := OLD.version + 1;
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER products_version_every_change
    BEFORE UPDATE ON catalog.products
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
    EXECUTE FUNCTION catalog.bump_version_on_change();

CREATE TRIGGER categories_version_every_change
    BEFORE UPDATE ON catalog.categories
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
    EXECUTE FUNCTION catalog.bump_version_on_change();
