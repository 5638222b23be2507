-- The orders read model, fed by order:* events and by the orders worker right
-- after it places or cancels an order (the source of truth is the ticket's
-- Durable Object). Rows are replaced only by newer versions.
CREATE TABLE orders (
  id                 TEXT PRIMARY KEY,
  user_id            TEXT NOT NULL,
  ticket_id          TEXT NOT NULL,   -- which TicketObject holds the order
  ticket_title       TEXT NOT NULL,
  ticket_price_cents INTEGER NOT NULL,
  status             TEXT NOT NULL,
  cancel_reason      TEXT,
  expires_at         INTEGER NOT NULL, -- Unix ms
  created_at         INTEGER NOT NULL, -- Unix ms
  version            INTEGER NOT NULL
);
-- A user's orders, newest first, with (created_at, id) as the pagination cursor.
CREATE INDEX orders_by_user ON orders (user_id, created_at DESC, id DESC);
