//! The limits on unpaid orders per buyer (`MAX_OPEN_ORDERS`, default 5)
//! and per client address across accounts (`MAX_OPEN_ORDERS_PER_ADDRESS`,
//! default 20), counted exactly in limiter objects: the ticket's object claims
//! a slot before it holds the ticket, and the slot is freed when the order
//! ends (cancel, expiry or payment, seen in its `order:*` event) or, at the
//! latest, a little after its payment window. Used by the ticket's object
//! (a new hold), the orders worker (cancel, events) and the payments worker
//! (a paid order frees its slot at once).

use crate::config::positive_count;
use crate::limits::Limiter;
use domain::desk::Refusal;
use domain::ids::OrderId;
use domain::limits::{slot_unused, OpenOrderLimit, Taken};
use domain::ApiError;
use worker::Env;

pub struct OpenOrders {
    limiter: Limiter,
    request_id: String,
    /// Whose slots these are: says which limit a refusal names.
    holder: Holder,
    limit: OpenOrderLimit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holder {
    Buyer,
    /// A client address, across all its accounts.
    Address,
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
    /// A buyer's slots (`MAX_OPEN_ORDERS`).
    pub fn of_buyer(env: &Env, user_id: &str, request_id: &str) -> Result<Self, ApiError> {
        let object = OpenOrderLimit::buyer_object(user_id);
        let max = positive_count(env, "MAX_OPEN_ORDERS", OpenOrderLimit::DEFAULT_MAX);
        Self::new(env, object, Holder::Buyer, max, request_id)
    }

    /// The holds from one client address (`counted`: `ClientAddress::as_string`;
    /// `MAX_OPEN_ORDERS_PER_ADDRESS`).
    pub fn of_address(env: &Env, counted: &str, request_id: &str) -> Result<Self, ApiError> {
        let object = OpenOrderLimit::address_object(counted);
        let max = positive_count(
            env,
            "MAX_OPEN_ORDERS_PER_ADDRESS",
            OpenOrderLimit::DEFAULT_MAX_PER_ADDRESS,
        );
        Self::new(env, object, Holder::Address, max, request_id)
    }

    fn new(
        env: &Env,
        object: String,
        holder: Holder,
        max: u32,
        request_id: &str,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            limiter: Limiter::named(env, object, request_id)?,
            request_id: request_id.to_string(),
            holder,
            limit: OpenOrderLimit { max },
        })
    }

    /// A slot for `order_id`, or the refusal when the holder has the maximum.
    pub async fn claim(
        &self,
        order_id: &OrderId,
        window_ms: i64,
    ) -> Result<Result<Claim, Refusal>, ApiError> {
        let now = crate::now_ms();
        let command = self.limit.slot(order_id.as_str(), window_ms, now);
        Ok(match self.limiter.count(&command).await? {
            Taken::Refused { retry_at_ms } => {
                let (max, retry_after_seconds) =
                    (self.limit.max, Taken::retry_after_seconds(retry_at_ms, now));
                Err(match self.holder {
                    Holder::Buyer => Refusal::TooManyOpenOrders {
                        max,
                        retry_after_seconds,
                    },
                    Holder::Address => Refusal::TooManyHoldsFromAddress {
                        max,
                        retry_after_seconds,
                    },
                })
            }
            Taken::AlreadyHeld => Ok(Claim::Retry),
            _ => Ok(Claim::New),
        })
    }

    /// After the hold was decided: gives a new slot back when no new order
    /// took it. `answer` is the order placed, or the status of the refusal
    /// or failure (`domain::limits::slot_unused`).
    pub async fn settle(&self, claim: Claim, order_id: &OrderId, answer: Result<&str, u16>) {
        if claim == Claim::New && slot_unused(order_id.as_str(), answer) {
            self.free_or_log(order_id).await;
        }
    }

    /// The hold of `order_id` may now last until `until_ms` (3-D Secure):
    /// its slot lasts as long.
    pub async fn extend(&self, order_id: &OrderId, until_ms: i64) {
        let command = self.limit.extend(order_id.as_str(), until_ms);
        if let Err(e) = self.limiter.count(&command).await {
            crate::log::error(
                &self.request_id,
                "open_order_slot_not_extended",
                &e.to_string(),
            );
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

/// The slots one new hold takes: its buyer's, and its client address's
/// when the request came with one.
pub struct HoldSlots {
    buyer: (OpenOrders, Claim),
    address: Option<(OpenOrders, Claim)>,
}

impl HoldSlots {
    /// Claims both at once (one round trip, not two). A refusal of either
    /// gives the other's new slot back and is the answer (the buyer's
    /// first); a failed call keeps the other slot, as any 5xx does (it
    /// lapses by itself).
    pub async fn claim(
        buyer: OpenOrders,
        address: Option<OpenOrders>,
        order_id: &OrderId,
        window_ms: i64,
    ) -> Result<Result<Self, Refusal>, ApiError> {
        let address_claim = async {
            match &address {
                Some(slots) => Some(slots.claim(order_id, window_ms).await),
                None => None,
            }
        };
        let (buyer_claim, address_claim) =
            futures_util::join!(buyer.claim(order_id, window_ms), address_claim);
        let buyer_claim = buyer_claim?;
        let address_claim = address_claim.transpose()?;
        let refusal = match (buyer_claim, address_claim) {
            (Ok(claim), None) => {
                return Ok(Ok(Self {
                    buyer: (buyer, claim),
                    address: None,
                }))
            }
            (Ok(claim), Some(Ok(taken))) => {
                return Ok(Ok(Self {
                    buyer: (buyer, claim),
                    address: address.map(|slots| (slots, taken)),
                }))
            }
            (Ok(claim), Some(Err(refusal))) => {
                buyer.settle(claim, order_id, Err(429)).await;
                refusal
            }
            (Err(refusal), taken) => {
                if let (Some(slots), Some(Ok(taken))) = (&address, taken) {
                    slots.settle(taken, order_id, Err(429)).await;
                }
                refusal
            }
        };
        Ok(Err(refusal))
    }

    /// After the hold was decided: gives back what no new order took.
    pub async fn settle(&self, order_id: &OrderId, answer: Result<&str, u16>) {
        let (buyer, claim) = &self.buyer;
        buyer.settle(*claim, order_id, answer).await;
        if let Some((slots, taken)) = &self.address {
            slots.settle(*taken, order_id, answer).await;
        }
    }
}
