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
    /// The payment attempt: a charge is idempotent per version.
    pub version: u64,
    #[serde(default)]
    pub payment_id: Option<String>,
    pub ticket: TicketToPay,
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
