//! Card testing: whoever holds a stolen card list tries card after card on
//! one order. At most `DECLINES_PER_BUYER_PER_HOUR` (5) declined attempts per
//! buyer, `DECLINES_PER_ORDER_PER_HOUR` (5) per order and
//! `DECLINES_PER_ADDRESS_PER_HOUR` (20) per client address; past that, 429
//! before the provider is called. Counted exactly in the limiter objects
//! (`domain::limits::DeclineLimits`): an attempt is counted as a decline
//! before the charge (so concurrent attempts cannot pass together) and given
//! back when it was not declined.

use domain::limits::{DeclineLimits, Taken};
use domain::ApiError;
use edge::limits::Limiter;
use worker::{Env, Request};

/// The attempt counted against the limits, until it is known not to be a
/// decline.
pub struct CountedAttempt {
    key: String,
    limiters: Vec<Limiter>,
    request_id: String,
}

/// What ends a counted attempt.
pub enum Outcome {
    /// The provider declined the card: it stays counted for the window.
    Declined,
    /// Anything else (paid, authentication asked, refused before a charge).
    NotDeclined,
}

fn limits(env: &Env) -> DeclineLimits {
    let number = |name, default| edge::config::positive_count(env, name, default);
    let default = DeclineLimits::DEFAULT;
    DeclineLimits {
        per_buyer: number("DECLINES_PER_BUYER_PER_HOUR", default.per_buyer),
        per_order: number("DECLINES_PER_ORDER_PER_HOUR", default.per_order),
        per_address: number("DECLINES_PER_ADDRESS_PER_HOUR", default.per_address),
        window_ms: default.window_ms,
    }
}

impl CountedAttempt {
    /// Counts the attempt `key` (unique to the pay request: a retry with the
    /// same Idempotency-Key is the same attempt) by `user_id` on `order_id`,
    /// or answers 429 with `Retry-After` when a limit is reached.
    pub async fn count(
        env: &Env,
        req: &Request,
        request_id: &str,
        key: String,
        user_id: &str,
        order_id: &str,
    ) -> Result<Self, ApiError> {
        let limits = limits(env);
        let now = edge::now_ms();
        let address = edge::limits::client_address(req);
        let mut counted = CountedAttempt {
            key,
            limiters: Vec::new(),
            request_id: request_id.to_string(),
        };
        let mut takes = vec![(
            "buyer",
            DeclineLimits::buyer_object(user_id),
            limits.buyer_attempt(&counted.key, order_id, now),
        )];
        if let Some(address) = &address {
            takes.push((
                "address",
                DeclineLimits::address_object(address),
                limits.address_attempt(&counted.key, now),
            ));
        }
        for (scope, object, command) in takes {
            let limiter = Limiter::named(env, object, request_id)?;
            match limiter.count(&command).await {
                Ok(Taken::Refused { retry_at_ms }) => {
                    edge::log::event(
                        request_id,
                        "payment_attempt_refused",
                        serde_json::json!({"limit": scope, "orderId": order_id}),
                    );
                    counted.give_back().await;
                    return Err(ApiError::TooManyRequests {
                        message: "Too many declined payment attempts; try again later".into(),
                        retry_after_seconds: Taken::retry_after_seconds(retry_at_ms, now),
                    });
                }
                Ok(_) => counted.limiters.push(limiter),
                Err(e) => {
                    counted.give_back().await;
                    return Err(e);
                }
            }
        }
        Ok(counted)
    }

    pub async fn end(self, outcome: Outcome) {
        if let Outcome::NotDeclined = outcome {
            self.give_back().await;
        }
    }

    /// Frees the attempt's entries; a failure only keeps them counted
    /// until the window ends.
    async fn give_back(&self) {
        for limiter in &self.limiters {
            if let Err(e) = limiter.give_back(&self.key).await {
                edge::log::error(
                    &self.request_id,
                    "payment_attempt_not_given_back",
                    &e.to_string(),
                );
            }
        }
    }
}
