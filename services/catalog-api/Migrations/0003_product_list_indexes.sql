-- One partial index per list query shape: only active products are listed, so the indexes skip drafts
-- and archived rows. Each key ends with id, the keyset tie-breaker, so every page is one index range scan.

-- Serves: GET /api/products?category=…&sort=recent (newest first within a category).
CREATE INDEX products_active_category_recent_idx ON catalog.products (category_id, created_at DESC, id DESC) WHERE status = 'active';

-- Serves: GET /api/products?category=…&sort=name.
CREATE INDEX products_active_category_name_idx ON catalog.products (category_id, name, id) WHERE status = 'active';

-- Serves: GET /api/products?category=…&sort=price_asc, and sort=price_desc by a backward scan.
CREATE INDEX products_active_category_price_idx ON catalog.products (category_id, price, id) WHERE status = 'active';

-- Serves: GET /api/products?sort=recent (all categories).
CREATE INDEX products_active_recent_idx ON catalog.products (created_at DESC, id DESC) WHERE status = 'active';

-- Serves: GET /api/products?sort=name (all categories).
CREATE INDEX products_active_name_idx ON catalog.products (name, id) WHERE status = 'active';

-- Serves: GET /api/products?sort=price_asc|price_desc (all categories).
CREATE INDEX products_active_price_idx ON catalog.products (price, id) WHERE status = 'active';

-- Serves: the foreign key (category checks on writes) for products of any status.
CREATE INDEX products_category_id_idx ON catalog.products (category_id);
