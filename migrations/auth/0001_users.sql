-- Users of the marketplace. Emails are stored trimmed and lower-cased by the
-- auth worker; the UNIQUE index (case-insensitive, as a second line of defence)
-- makes a duplicate impossible even for two concurrent sign-ups.
CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL, -- PHC string: $pbkdf2-sha256$i=<iterations>$<salt>$<hash>
  created_at    TEXT NOT NULL
);
