//! A ticket listed by one user and ordered by another: the starting point of
//! every payment test.

use crate::{Order, PaymentId, TestUser, TicketId};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

/// The 409 of a request whose Idempotency-Key is still in use.
pub const IN_PROGRESS: &str = "A request with this Idempotency-Key is in progress";

pub struct Purchase {
    pub seller: TestUser,
    pub buyer: TestUser,
    pub ticket_id: TicketId,
    /// The order as POST /api/orders returned it.
    pub order: Order,
}

impl Purchase {
    pub async fn new(price: Value) -> Self {
        let seller = TestUser::signed_up().await;
        let ticket = seller.create_ticket("Payable show", price).await;
        let buyer = TestUser::signed_up().await;
        let order = buyer.reserve(&ticket.id).await;
        Purchase {
            seller,
            buyer,
            ticket_id: ticket.id,
            order,
        }
    }

    /// The buyer pays for the order with a card `token`.
    pub async fn pay(&self, token: &str) -> Response {
        self.buyer.pay(&self.order.id, token).await
    }

    /// Starts paying with `token` (the Stripe stub's `tok_slow` keeps the
    /// charge in flight) and returns once the order is `awaiting:payment`;
    /// the handle gives the pay request's response.
    pub async fn start_paying(&self, token: &str) -> tokio::task::JoinHandle<Response> {
        let (buyer, order_id, token) = (
            self.buyer.client.clone(),
            self.order.id.clone(),
            token.to_string(),
        );
        let paying = tokio::spawn(async move { buyer.pay(&order_id, &token).await });
        crate::eventually("the payment in flight", || async {
            (self.order_now().await["status"] == "awaiting:payment").then_some(())
        })
        .await;
        paying
    }

    /// The order as it is now.
    pub async fn order_now(&self) -> Value {
        self.buyer.order(&self.order.id).await
    }

    /// The ticket as it is now.
    pub async fn ticket_now(&self) -> Value {
        self.seller.ticket(&self.ticket_id).await
    }

    /// The order's charges (GET /api/payments?orderId=).
    pub async fn payments(&self) -> Vec<Value> {
        self.buyer.payments(&self.order.id).await
    }

    /// `n` identical pay requests from the buyer at once, with one
    /// Idempotency-Key. Each must be a 201, or a 409 while the first still
    /// runs (as Stripe answers); at least one is a 201. Returns the payment
    /// ids the 201s answered.
    pub async fn pay_concurrently(&self, idempotency_key: &str, n: usize) -> Vec<PaymentId> {
        let attempts = (0..n).map(|_| {
            self.buyer
                .http
                .post(self.buyer.url("/api/payments"))
                .header("idempotency-key", idempotency_key)
                .json(&json!({ "orderId": self.order.id.as_str(), "token": "tok_visa" }))
                .send()
        });
        let mut ids = Vec::new();
        for response in futures::future::join_all(attempts).await {
            let response = response.expect("a response");
            match response.status() {
                StatusCode::CREATED => {
                    ids.push(PaymentId::of(&response.json().await.expect("a payment")))
                }
                StatusCode::CONFLICT => assert_eq!(
                    crate::errors(response).await,
                    [(IN_PROGRESS.to_string(), None)]
                ),
                other => panic!("a pay request answered {other}"),
            }
        }
        assert!(!ids.is_empty(), "one of them paid");
        ids
    }
}
