//! Routes of `/api/payments`.

use crate::checkout::{self, Checkout};
use crate::orders::fetch_order;
use crate::{store, webhook};
use domain::payments::{parse_order_query, PayRequest};
use domain::session::CurrentUser;
use domain::OrInternal;
use edge::router::{Ctx, Route};
use edge::{reply, ApiResult};

pub fn table() -> Vec<Route> {
    edge::routes![
        Post "/api/payments"         user   => pay,
        Get  "/api/payments"         user   => list_for_order,
        Post "/api/payments/webhook" signed => webhook::handle,
    ]
}

/// Pays for one of the caller's orders: 201 with the payment.
async fn pay(mut cx: Ctx, user: CurrentUser) -> ApiResult {
    let idempotency_key = cx.idempotency_key()?;
    let pay = PayRequest::parse(&cx.json_body().await?)?;
    let payment = checkout::pay(Checkout {
        req: &cx.req,
        env: &cx.env,
        request_id: &cx.request_id,
        user: &user,
        pay,
        idempotency_key,
    })
    .await?;
    reply::json(201, &payment.view())
}

/// GET /api/payments?orderId=: the charges made for one of the caller's
/// orders, with their status (`succeeded` or `refunded`).
async fn list_for_order(cx: Ctx, _user: CurrentUser) -> ApiResult {
    let (req, env) = (&cx.req, &cx.env);
    let url = req.url().or_internal()?;
    let order_id = parse_order_query(edge::paging::query_param(&url, "orderId").as_deref())?;
    fetch_order(req, env, &order_id, &cx.request_id).await?; // 404 / 401 unless it is the caller's order
    let rows = store::list_for_order(env, &order_id).await?;
    reply::json(200, &rows.iter().map(|row| row.view()).collect::<Vec<_>>())
}
