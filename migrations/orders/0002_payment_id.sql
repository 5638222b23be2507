-- The payment that completed the order, so a list row is the same `Order`
-- the ticket's object holds (and renders through the same view).
ALTER TABLE orders ADD COLUMN payment_id TEXT;
