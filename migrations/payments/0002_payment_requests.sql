-- POST /api/payments requests sent with an Idempotency-Key, per buyer: the
-- order each was for, when it started, and its final answer (2xx/4xx), so a
-- repeat gets that answer again and one that arrives while the first still
-- runs gets 409 (domain::idempotency::KeyedRequest).
CREATE TABLE payment_requests (
  user_id     TEXT NOT NULL,
  key         TEXT NOT NULL,
  order_id    TEXT NOT NULL,
  started_at  INTEGER NOT NULL,  -- Unix ms
  status      INTEGER,           -- the final answer, once there is one
  body        TEXT,
  PRIMARY KEY (user_id, key)
);
