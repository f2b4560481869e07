-- Places an order in one round trip. The service used to run the same steps as a transaction of its own (BEGIN,
-- key claim, customer lock, placement, COMMIT): four or five round trips, with the customer's row lock held across
-- three of them and a hot product's across two, so orders of a busy product queued behind network and event-loop
-- delays rather than behind the database. Called as one statement in autocommit, every lock is held for one
-- server-side step plus the commit. The steps and their reasons are unchanged:
--
-- 1. With an Idempotency-Key: claim it. A concurrent claim of the same key waits here until the first call ends;
--    then it finds the stored response (outcome 'replay') or, the first having been refused, claims the key itself.
-- 2. Lock the customer's row (NO KEY UPDATE: it must not block the key-share locks that inserting the customer's
--    orders, keys or tokens takes), so one customer's orders are placed one at a time and each counts the open units
--    the previous one committed. No row: the account is gone (outcome 'no-customer').
-- 3. Read the wanted products' last committed stock without locking them: when a hot product has sold out, the
--    losers are refused at once (outcome 'refused') instead of queueing for its row lock.
-- 4. One statement locks the live products in id order (as every stock-moving transaction does, so none deadlock),
--    checks every line's stock and the customer's open units, and only when all pass takes the stock, adds the
--    units, inserts the order and its lines and stores the response under the claimed key (outcome 'placed');
--    otherwise it writes nothing and its lines say why (outcome 'refused'). Each statement of a PL/pgSQL function
--    takes a new snapshot (READ COMMITTED), so this one reads the open units the customer lock made current; a row
--    lock waited for returns the newest committed row, so the stock checked is the current one.
-- 5. A refused order leaves no claim behind, so a retry with the same key is judged afresh.
--
-- Rows: one per line in the client's order ('placed', 'refused'), one row ('replay', 'no-customer'), or none when a
-- claimed key vanished before it could be read (purged in between). `available` is the stock seen, null for an
-- unknown or archived product; `version` the product's version after the stock was taken (cache invalidation).
-- The body's timestamps are formatted by PostgreSQL exactly as the order reads format them, so the answer to POST,
-- its replay and a later GET agree to the character.
--
-- Changing this function: a new migration with CREATE OR REPLACE keeps the signature (replicas of the previous
-- version call it during a rolling deploy); a new signature needs a new name.
CREATE FUNCTION place_order(
  p_user_id uuid,
  p_product_ids uuid[],
  p_quantities int[],
  p_max_open_units bigint,
  p_idempotency_key text,
  p_request_hash text,
  p_response_status int
) RETURNS TABLE (
  outcome text,
  product_id uuid,
  requested int,
  available int,
  version int,
  open_units text,
  body jsonb,
  stored_hash text,
  stored_status int
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  IF p_idempotency_key IS NOT NULL THEN
    INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES (p_user_id, p_idempotency_key, p_request_hash)
    ON CONFLICT (user_id, key) DO NOTHING;
    IF NOT FOUND THEN
      RETURN QUERY
        SELECT 'replay', NULL::uuid, NULL::int, NULL::int, NULL::int, NULL::text, k.response_body, k.request_hash, k.response_status
        FROM idempotency_keys k WHERE k.user_id = p_user_id AND k.key = p_idempotency_key;
      RETURN;
    END IF;
  END IF;

  PERFORM 1 FROM users WHERE id = p_user_id FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'no-customer', NULL::uuid, NULL::int, NULL::int, NULL::int, NULL::text, NULL::jsonb, NULL::text, NULL::int;
  ELSIF EXISTS (
    SELECT 1 FROM unnest(p_product_ids, p_quantities) AS w (id, quantity)
    LEFT JOIN products p ON p.id = w.id AND p.archived_at IS NULL
    WHERE p.stock IS NULL OR p.stock < w.quantity
  ) THEN
    RETURN QUERY
      SELECT 'refused', w.id, w.quantity, p.stock, NULL::int, NULL::text, NULL::jsonb, NULL::text, NULL::int
      FROM unnest(p_product_ids, p_quantities) WITH ORDINALITY AS w (id, quantity, no)
      LEFT JOIN products p ON p.id = w.id AND p.archived_at IS NULL
      ORDER BY w.no;
  ELSE
    RETURN QUERY
      WITH wanted AS (
        SELECT w.id, w.quantity, w.no
        FROM unnest(p_product_ids, p_quantities) WITH ORDINALITY AS w (id, quantity, no)
      ), locked AS (
        SELECT p.id, p.sku, p.name, p.price_cents, p.stock
        FROM products p WHERE p.id = ANY(p_product_ids) AND p.archived_at IS NULL
        ORDER BY p.id FOR UPDATE
      ), open_now AS (
        SELECT u.open_units::bigint AS units FROM users u WHERE u.id = p_user_id
      ), verdict AS (
        -- An uncorrelated subquery, so it gates each write below before that write reads a row: the products are
        -- locked in id order before the UPDATE touches any of them, and a refused order writes nothing.
        SELECT (SELECT count(*) FROM locked) = (SELECT count(*) FROM wanted)
           AND NOT EXISTS (SELECT 1 FROM wanted w JOIN locked l ON l.id = w.id WHERE l.stock < w.quantity)
           AND (SELECT units FROM open_now) + (SELECT sum(quantity) FROM wanted) <= p_max_open_units AS ok
      ), taken AS (
        UPDATE products p SET stock = p.stock - w.quantity, version = p.version + 1, updated_at = now()
        FROM wanted w
        WHERE p.id = w.id AND (SELECT ok FROM verdict)
        RETURNING p.id, p.version
      ), counted AS (
        UPDATE users u SET open_units = u.open_units + (SELECT sum(quantity) FROM wanted)
        WHERE u.id = p_user_id AND (SELECT ok FROM verdict)
        RETURNING 1
      ), placed AS (
        INSERT INTO orders (user_id, total_cents)
        SELECT p_user_id, (SELECT sum(w.quantity::bigint * l.price_cents) FROM wanted w JOIN locked l ON l.id = w.id)
        WHERE (SELECT ok FROM verdict)
        RETURNING orders.id, orders.user_id, orders.status, orders.total_cents, orders.created_at, orders.updated_at
      ), lines AS (
        INSERT INTO order_items (order_id, line_no, product_id, sku, name, quantity, unit_price_cents, line_total_cents)
        SELECT placed.id, w.no, l.id, l.sku, l.name, w.quantity, l.price_cents, w.quantity::bigint * l.price_cents
        FROM placed, wanted w JOIN locked l ON l.id = w.id
        RETURNING order_items.line_no, order_items.product_id, order_items.sku, order_items.name, order_items.quantity,
                  order_items.unit_price_cents, order_items.line_total_cents
      ), response AS (
        SELECT jsonb_build_object(
          'id', placed.id, 'userId', placed.user_id, 'status', placed.status,
          'items', (SELECT jsonb_agg(jsonb_build_object(
              'productId', lines.product_id, 'sku', lines.sku, 'name', lines.name, 'quantity', lines.quantity,
              'unitPriceCents', lines.unit_price_cents, 'lineTotalCents', lines.line_total_cents) ORDER BY lines.line_no) FROM lines),
          'totalCents', placed.total_cents,
          'createdAt', to_char(placed.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'updatedAt', to_char(placed.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) AS order_body
        FROM placed
      ), stored AS (
        UPDATE idempotency_keys k SET response_status = p_response_status, response_body = response.order_body
        FROM response WHERE k.user_id = p_user_id AND k.key = p_idempotency_key
        RETURNING 1
      )
      SELECT CASE WHEN (SELECT ok FROM verdict) THEN 'placed' ELSE 'refused' END,
             w.id, w.quantity, l.stock, taken.version,
             (SELECT units FROM open_now)::text, (SELECT order_body FROM response), NULL::text, NULL::int
      FROM wanted w LEFT JOIN locked l ON l.id = w.id LEFT JOIN taken ON taken.id = w.id
      ORDER BY w.no;
  END IF;

  IF p_idempotency_key IS NOT NULL THEN
    DELETE FROM idempotency_keys k
    WHERE k.user_id = p_user_id AND k.key = p_idempotency_key AND k.response_status IS NULL;
  END IF;
END
$$;
