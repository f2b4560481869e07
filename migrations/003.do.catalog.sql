-- Catalog and orders. Money is integer minor units; a line total can exceed int4 (1000 × 2^31), so totals are bigint.

-- Products are archived, never deleted: order lines keep pointing at them. `version` feeds the strong ETag
-- and If-Match; every write that changes the representation (stock included) bumps it.
CREATE TABLE products (
  id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  sku         text        NOT NULL CHECK (sku ~ '^[A-Z0-9-]{3,32}$'),
  name        text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  description text        NOT NULL DEFAULT '' CHECK (char_length(description) <= 2000),
  price_cents integer     NOT NULL CHECK (price_cents >= 0),
  stock       integer     NOT NULL CHECK (stock >= 0),
  version     integer     NOT NULL DEFAULT 1,
  archived_at timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  -- Unique across archived products too: a SKU names one article for the whole order history.
  CONSTRAINT products_sku_key UNIQUE (sku)
);
-- Lists only ever show live products, so the sort indexes skip archived rows; `id` breaks ties for stable paging.
CREATE INDEX products_live_created_idx ON products (created_at DESC, id) WHERE archived_at IS NULL;
CREATE INDEX products_live_price_idx ON products (price_cents, id) WHERE archived_at IS NULL;
CREATE INDEX products_live_name_idx ON products (lower(name), id) WHERE archived_at IS NULL;

CREATE TABLE orders (
  id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id     uuid        NOT NULL REFERENCES users (id),
  status      text        NOT NULL DEFAULT 'placed' CHECK (status IN ('placed', 'cancelled')),
  total_cents bigint      NOT NULL CHECK (total_cents >= 0),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_user_created_idx ON orders (user_id, created_at DESC, id);
CREATE INDEX orders_created_idx ON orders (created_at DESC, id);

-- sku, name and price are captured at purchase: later catalog edits never rewrite an order.
CREATE TABLE order_items (
  order_id         uuid     NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  line_no          smallint NOT NULL,
  product_id       uuid     NOT NULL REFERENCES products (id),
  sku              text     NOT NULL,
  name             text     NOT NULL,
  quantity         integer  NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
  unit_price_cents integer  NOT NULL CHECK (unit_price_cents >= 0),
  line_total_cents bigint   NOT NULL CHECK (line_total_cents >= 0),
  PRIMARY KEY (order_id, line_no),
  UNIQUE (order_id, product_id)
);
CREATE INDEX order_items_product_idx ON order_items (product_id);

-- Idempotency-Key claims for POST /v1/orders. The row is inserted in the order's own transaction, so a
-- committed row always carries the response; rows are kept at least 24 h (purge older ones out of band).
CREATE TABLE idempotency_keys (
  user_id         uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key             text        NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
  request_hash    text        NOT NULL,
  response_status integer,
  response_body   jsonb,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT idempotency_keys_pkey PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
