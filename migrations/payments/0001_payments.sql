-- One row per successful charge (the provider's id is unique), and whether it
-- was refunded because it landed on an order that had expired or was paid.
CREATE TABLE payments (
  id               TEXT PRIMARY KEY,
  order_id         TEXT NOT NULL,
  user_id          TEXT NOT NULL,
  provider         TEXT NOT NULL,         -- stripe | local
  provider_ref     TEXT NOT NULL UNIQUE,  -- the PaymentIntent id
  amount_cents     INTEGER NOT NULL,
  currency         TEXT NOT NULL,
  status           TEXT NOT NULL,         -- succeeded | refunded
  refund_ref       TEXT,
  idempotency_key  TEXT,                  -- the client's Idempotency-Key, if it sent one
  created_at       INTEGER NOT NULL       -- Unix ms
);
CREATE INDEX payments_by_order ON payments (order_id);

-- Webhook deliveries already handled (Stripe retries and may replay).
CREATE TABLE webhook_events (
  id          TEXT PRIMARY KEY,
  type        TEXT NOT NULL,
  received_at INTEGER NOT NULL
);
