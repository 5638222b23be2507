//! A ticket listed by one user and ordered by another: the starting point of
//! every payment test.

use crate::TestClient;
use serde_json::{json, Value};

pub struct Purchase {
    pub seller: TestClient,
    pub buyer: TestClient,
    pub buyer_id: String,
    pub ticket_id: String,
    /// The order as POST /api/orders returned it.
    pub order: Value,
}

impl Purchase {
    pub async fn new(price: Value) -> Self {
        let (seller, _) = TestClient::signed_up().await;
        let ticket_id = seller.create_ticket("Payable show", price).await["id"]
            .as_str()
            .expect("an id")
            .to_string();
        let (buyer, _) = TestClient::signed_up().await;
        let buyer_id = buyer.current_user().await["id"]
            .as_str()
            .expect("an id")
            .to_string();
        let order = buyer.order(&ticket_id).await;
        Purchase {
            seller,
            buyer,
            buyer_id,
            ticket_id,
            order,
        }
    }

    pub fn order_id(&self) -> &str {
        self.order["id"].as_str().expect("an order id")
    }

    /// The order as it is now.
    pub async fn order_now(&self) -> Value {
        self.buyer
            .get_json(&format!("/api/orders/{}", self.order_id()))
            .await
    }

    /// The order's charges (GET /api/payments?orderId=).
    pub async fn payments(&self) -> Value {
        self.buyer
            .get_json(&format!("/api/payments?orderId={}", self.order_id()))
            .await
    }
}

/// `n` identical pay requests from the buyer at once, with one Idempotency-Key;
/// each must be a 201. Returns the payment ids they answered.
pub async fn pay_concurrently(purchase: &Purchase, idempotency_key: &str, n: usize) -> Vec<Value> {
    let attempts = (0..n).map(|_| {
        purchase
            .buyer
            .http
            .post(purchase.buyer.url("/api/payments"))
            .header("idempotency-key", idempotency_key)
            .json(&json!({ "orderId": purchase.order_id(), "token": "tok_visa" }))
            .send()
    });
    let mut ids = Vec::new();
    for response in futures::future::join_all(attempts).await {
        let response = response.expect("a response");
        assert_eq!(response.status(), reqwest::StatusCode::CREATED);
        ids.push(response.json::<Value>().await.expect("a payment")["id"].clone());
    }
    ids
}

/// POST /api/payments as `client`.
pub async fn pay(client: &TestClient, order_id: &str, token: &str) -> reqwest::Response {
    client
        .post_json(
            "/api/payments",
            json!({ "orderId": order_id, "token": token }),
        )
        .await
}
