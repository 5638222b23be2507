-- Reconciliation with Stripe (the payments worker's cron, docs/payments.md).
-- settled_at: when the charge's order was found complete with it (or the
-- charge was refunded); a `succeeded` row without it is checked again.
-- refund_attempts / next_refund_at: an owed refund's failed tries and when
-- the next one is due (backoff).
ALTER TABLE payments ADD COLUMN settled_at INTEGER;
ALTER TABLE payments ADD COLUMN refund_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN next_refund_at INTEGER;
-- Rows written before this migration were settled when they were written.
UPDATE payments SET settled_at = created_at WHERE status = 'succeeded';
CREATE INDEX payments_owed ON payments (status, next_refund_at);
