//! The orders service, as payments sees it.

use domain::ids::OrderId;
use domain::orders::OrderView;
use domain::{ApiError, OrInternal};
use edge::reply::REQUEST_ID_HEADER;
use worker::{Env, Headers, Method, Request, RequestInit};

/// The order as its buyer sees it, through the orders service (which owns
/// the order-to-ticket index and answers 404/401 for us). The buyer's
/// credentials and our request id go along.
pub async fn fetch_order(
    req: &Request,
    env: &Env,
    order_id: &OrderId,
    request_id: &str,
) -> Result<OrderView, ApiError> {
    let headers = Headers::new();
    for name in ["authorization", "cookie"] {
        if let Some(value) = req.headers().get(name).ok().flatten() {
            headers.set(name, &value).or_internal()?;
        }
    }
    headers.set(REQUEST_ID_HEADER, request_id).or_internal()?;
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    // The caller's origin, as the Pages worker does: the orders service judges
    // the session for the site's host (see `edge::session`).
    let origin = req.url().or_internal()?.origin().ascii_serialization();
    let url = format!("{origin}/api/orders/{order_id}");
    let request = Request::new_with_init(&url, &init).or_internal()?;
    let mut response = env
        .service("ORDERS")
        .context("ORDERS binding")?
        .fetch_request(request)
        .await
        .context("orders: GET /api/orders/:id")?;
    match response.status_code() {
        200 => response
            .json::<OrderView>()
            .await
            .context("orders: order body"),
        401 => Err(ApiError::NotAuthorized),
        404 => Err(ApiError::NotFound),
        status => Err(ApiError::internal(format!("orders answered {status}"))),
    }
}
