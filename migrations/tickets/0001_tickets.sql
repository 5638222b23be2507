-- The tickets read model, fed by ticket:* events (the source of truth is each
-- ticket's Durable Object). Rows are replaced only by newer versions.
CREATE TABLE tickets (
  id          TEXT PRIMARY KEY,
  title       TEXT NOT NULL,
  price_cents INTEGER NOT NULL,
  user_id     TEXT NOT NULL,
  version     INTEGER NOT NULL,
  order_id    TEXT,             -- the live order holding it, if any
  sold        INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL  -- Unix ms
);
-- Newest first, with (created_at, id) as the pagination cursor.
CREATE INDEX tickets_newest ON tickets (created_at DESC, id DESC);
