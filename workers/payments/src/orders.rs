//! The orders service, as payments sees it.

use domain::ids::OrderId;
use domain::orders::OrderStatus;
use domain::{ApiError, OrInternal};
use edge::reply::REQUEST_ID_HEADER;
use edge::RequestUrl;
use serde::Deserialize;
use worker::{Env, Headers, Method, Request};

/// An order as payments reads it, from the orders service (the buyer's
/// view) or from its ticket's object (`DeskClient::order`): only the fields
/// paying acts on, which both carry under the same names. One small reader
/// instead of two of the whole order (in this worker's wasm).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderToPay {
    pub status: OrderStatus,
    pub version: u64,
    /// The payment attempt in flight (the stored order's `attempt`; orders
    /// from before it named their attempt by their version).
    #[serde(default)]
    pub attempt: Option<u64>,
    #[serde(default)]
    pub payment_id: Option<String>,
    pub ticket: TicketToPay,
}

impl OrderToPay {
    /// The attempt's number: a charge is idempotent per attempt.
    pub fn attempt_number(&self) -> u64 {
        self.attempt.unwrap_or(self.version)
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketToPay {
    pub id: String,
    pub price_cents: i64,
}

/// The order as its buyer sees it, through the orders service (which owns
/// the order-to-ticket index and answers 404/401 for us). The buyer's
/// credentials and our request id go along.
pub async fn fetch_order(
    req: &Request,
    env: &Env,
    order_id: &OrderId,
    request_id: &str,
) -> Result<OrderToPay, ApiError> {
    let headers = Headers::new();
    for name in ["authorization", "cookie"] {
        if let Some(value) = req.headers().get(name).ok().flatten() {
            headers.set(name, &value).or_internal()?;
        }
    }
    headers.set(REQUEST_ID_HEADER, request_id).or_internal()?;
    // The caller's origin, as the Pages worker does: the orders service judges
    // the session for the site's host (see `edge::session`).
    let caller = RequestUrl::of(req)?;
    let url = format!("{}/api/orders/{order_id}", caller.origin());
    let request = edge::outbound::request(Method::Get, &url, &headers, None).or_internal()?;
    let mut response = env
        .service("ORDERS")
        .context("ORDERS binding")?
        .fetch_request(request)
        .await
        .context("orders: GET /api/orders/:id")?;
    match response.status_code() {
        200 => response
            .json::<OrderToPay>()
            .await
            .context("orders: order body"),
        401 => Err(ApiError::NotAuthorized),
        404 => Err(ApiError::NotFound),
        status => Err(ApiError::internal(format!("orders answered {status}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ids::TicketId;
    use domain::money::Cents;
    use domain::orders::{Attempt, Order, OrderState, TicketSnapshot};

    /// Payments reads an order from the ticket's object (the order as
    /// stored) and from the orders service (the buyer's view): one reading
    /// must fit both.
    #[test]
    fn an_order_to_pay_reads_the_stored_order_and_the_buyers_view_alike() {
        let ticket_id = "0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e";
        let order = Order {
            id: OrderId::parse("1b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e").unwrap(),
            user_id: "buyer".into(),
            state: OrderState::Complete {
                payment_id: "pay_1".into(),
            },
            expires_at: 1_800_000_000_000,
            created_at: 1_799_999_100_000,
            version: 3,
            ticket: TicketSnapshot {
                id: TicketId::parse(ticket_id).unwrap(),
                title: "Concert".into(),
                price: Cents(1999),
            },
        };
        let stored = serde_json::to_string(&order).unwrap();
        let view = serde_json::to_string(&order.view()).unwrap();
        for json in [stored, view] {
            let read: OrderToPay = serde_json::from_str(&json).unwrap();
            assert_eq!(
                (
                    read.status,
                    read.version,
                    read.payment_id.as_deref(),
                    read.ticket.id.as_str(),
                    read.ticket.price_cents
                ),
                (OrderStatus::Complete, 3, Some("pay_1"), ticket_id, 1999),
                "{json}"
            );
        }
    }

    #[test]
    fn the_attempt_in_flight_is_read_by_its_own_number() {
        let mut order: Order = serde_json::from_value(serde_json::json!({
            "id": "1b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e", "userId": "buyer",
            "status": "created", "expiresAt": 9, "createdAt": 1, "version": 5,
            "ticket": {"id": "0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e", "title": "T", "priceCents": 100}
        }))
        .unwrap();
        let read = |order: &Order| {
            serde_json::from_str::<OrderToPay>(&serde_json::to_string(order).unwrap()).unwrap()
        };
        assert_eq!(
            read(&order).attempt_number(),
            5,
            "older orders: the version"
        );
        order.state = OrderState::AwaitingPayment(Attempt {
            number: 4,
            started_at: 1,
            until: 9,
            authentication_until: Some(8),
        });
        assert_eq!(read(&order).attempt_number(), 4);
    }
}
