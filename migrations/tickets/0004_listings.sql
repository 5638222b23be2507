-- Listings with events, their hold and sale times, withdrawn/closed states,
-- and the tickets buyers own (the resale loop). Searched by title, event name and venue;
-- ordered by newest, price or event start, each with the id as tie-break.
ALTER TABLE tickets ADD COLUMN event_name TEXT;
ALTER TABLE tickets ADD COLUMN venue TEXT;
ALTER TABLE tickets ADD COLUMN starts_at INTEGER;   -- Unix ms
ALTER TABLE tickets ADD COLUMN held_until INTEGER;  -- Unix ms, while held
ALTER TABLE tickets ADD COLUMN sold_at INTEGER;     -- Unix ms
ALTER TABLE tickets ADD COLUMN withdrawn INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN closed INTEGER NOT NULL DEFAULT 0;
-- Tickets issued by a purchase: owned by user_id, not for sale until resold.
ALTER TABLE tickets ADD COLUMN unlisted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN paid_cents INTEGER;  -- what the owner paid
CREATE INDEX tickets_by_price ON tickets (price_cents, id);
CREATE INDEX tickets_by_start ON tickets (starts_at, id);
CREATE INDEX tickets_by_seller ON tickets (user_id, created_at DESC, id DESC);
CREATE INDEX tickets_by_owner ON tickets (user_id, paid_cents);
