-- Events this service's consumer gave up on (edge::dead_letters): kept until
-- an operator redrives them with the admin route. One row per event id.
CREATE TABLE dead_letters (
  id TEXT PRIMARY KEY,
  queue TEXT NOT NULL,
  message TEXT NOT NULL,
  error TEXT NOT NULL,
  first_sent_at INTEGER NOT NULL,
  dead_at INTEGER NOT NULL,
  redriven_at INTEGER
);
CREATE INDEX dead_letters_by_time ON dead_letters (dead_at DESC);
