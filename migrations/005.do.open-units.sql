-- Units in the account's placed (not cancelled) orders, kept by the order placement and the cancellation under the
-- account's row lock. The open-units cap (CUSTOMER_MAX_OPEN_UNITS) reads this one value instead of summing every order
-- the account ever placed: that sum ran under the lock that serialises one account's orders and grew with its history.
ALTER TABLE users ADD COLUMN open_units integer NOT NULL DEFAULT 0 CHECK (open_units >= 0);

-- Existing placed orders. Re-running this statement also corrects the counter after a rolling deploy, when
-- replicas of a version without the counter placed or cancelled orders meanwhile.
UPDATE users u SET open_units = coalesce((
  SELECT sum(i.quantity) FROM orders o JOIN order_items i ON i.order_id = o.id
  WHERE o.user_id = u.id AND o.status = 'placed'
), 0);
