//! The limit on unpaid orders per buyer (`MAX_OPEN_ORDERS`, default 5),
//! counted exactly in the buyer's limiter object: a slot is claimed before
//! the ticket is held, and freed when the order ends (cancel, expiry or
//! payment, seen in its `order:*` event) or, at the latest, a little after
//! its payment window. Used by the orders worker (place, cancel, events)
//! and the payments worker (a paid order frees its slot at once).

use crate::limits::Limiter;
use domain::ids::OrderId;
use domain::limits::{slot_unused, OpenOrderLimit, Taken};
use domain::orders::Order;
use domain::ApiError;
use worker::Env;

pub struct OpenOrders {
    limiter: Limiter,
    limit: OpenOrderLimit,
    request_id: String,
}

/// What claiming a slot for a new order did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// A new slot, to give back if no new order takes it.
    New,
    /// The request is a retry (same Idempotency-Key, so same order id): its
    /// slot exists.
    Retry,
}

impl OpenOrders {
    pub fn of_buyer(env: &Env, user_id: &str, request_id: &str) -> Result<Self, ApiError> {
        let max = crate::config::positive_number(
            env,
            "MAX_OPEN_ORDERS",
            OpenOrderLimit::DEFAULT_MAX.into(),
        );
        Ok(Self {
            limiter: Limiter::named(env, OpenOrderLimit::buyer_object(user_id), request_id)?,
            limit: OpenOrderLimit { max: max as u32 },
            request_id: request_id.to_string(),
        })
    }

    /// A slot for `order_id`, or 429 when the buyer holds the maximum.
    pub async fn claim(&self, order_id: &OrderId, window_ms: i64) -> Result<Claim, ApiError> {
        let command = self
            .limit
            .slot(order_id.as_str(), window_ms, crate::now_ms());
        let why = || {
            let max = self.limit.max;
            let orders = if max == 1 { "order" } else { "orders" };
            format!("You already hold {max} unpaid {orders}: pay for or cancel one before reserving another ticket")
        };
        match self.limiter.take(&command, why).await? {
            Taken::AlreadyHeld => Ok(Claim::Retry),
            _ => Ok(Claim::New),
        }
    }

    /// After the ticket's object answered: gives a new slot back when it
    /// holds no new order.
    pub async fn settle(&self, claim: Claim, order_id: &OrderId, placed: &Result<Order, ApiError>) {
        let answer = match placed {
            Ok(order) => Ok(order.id.as_str()),
            Err(e) => Err(e.status()),
        };
        if claim == Claim::New && slot_unused(order_id.as_str(), answer) {
            self.free_or_log(order_id).await;
        }
    }

    /// The order ended: its slot is free.
    pub async fn free(&self, order_id: &OrderId) -> Result<(), ApiError> {
        self.limiter.give_back(order_id.as_str()).await
    }

    /// [`OpenOrders::free`] where a failure only delays the slot's end.
    pub async fn free_or_log(&self, order_id: &OrderId) {
        if let Err(e) = self.free(order_id).await {
            crate::log::error(
                &self.request_id,
                "open_order_slot_not_freed",
                &e.to_string(),
            );
        }
    }
}
