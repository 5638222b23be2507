//! Routes of `/api/payments`.

use crate::checkout::{self, Checkout, Paid};
use crate::keyed_requests::{self, Start};
use crate::orders::fetch_order;
use crate::{store, webhook};
use domain::http::session::CurrentUser;
use domain::idempotency::IdempotencyKey;
use domain::payments::{parse_order_query, PayRequest};
use domain::ApiError;
use edge::router::{Ctx, Route};
use edge::RequestUrl;
use edge::{reply, ApiResult};

pub fn table() -> Vec<Route> {
    let mut routes = edge::routes![
        Post "/api/payments"         user   => pay,
        Get  "/api/payments"         user   => list_for_order,
        Post "/api/payments/webhook" signed => webhook::handle,
    ];
    routes.extend(crate::admin::routes());
    #[cfg(feature = "test-hooks")]
    routes.extend(crate::test_hooks::routes());
    routes
}

/// Pays for one of the caller's orders: 201 with the payment. With an
/// `Idempotency-Key`, a repeat gets the first answer again, and one sent
/// while the first still runs gets 409 (`keyed_requests`).
async fn pay(mut cx: Ctx, user: CurrentUser) -> ApiResult {
    let idempotency_key = cx.idempotency_key()?;
    let pay = PayRequest::parse(&cx.json_body().await?)?;
    let Some(key) = idempotency_key else {
        let (status, body) = answer(checkout(&cx, &user, pay, None, false).await)?;
        return reply::json_text(status, body);
    };
    let (env, now) = (&cx.env, edge::now_ms());
    let retry = match keyed_requests::start(env, user.id.as_str(), &key, &pay.order_id, now).await?
    {
        Start::Replay { status, body } => return reply::json_text(status, body),
        Start::First => false,
        Start::Retry => true,
    };
    let result = answer(checkout(&cx, &user, pay, Some(key.clone()), retry).await);
    let (status, body) = match &result {
        Ok((status, body)) => (*status, body.clone()),
        Err(e) => (e.status(), e.body()),
    };
    if let Err(e) = keyed_requests::finish(env, user.id.as_str(), &key, status, &body).await {
        // The payment stands; only a repeat's answer is not on record.
        edge::log::error(&cx.request_id, "keyed_request_not_recorded", &e.to_string());
    }
    let (status, body) = result?;
    reply::json_text(status, body)
}

async fn checkout(
    cx: &Ctx,
    user: &CurrentUser,
    pay: PayRequest,
    idempotency_key: Option<IdempotencyKey>,
    retry_of_unfinished: bool,
) -> Result<Paid, ApiError> {
    checkout::pay(Checkout {
        req: &cx.req,
        env: &cx.env,
        request_id: &cx.request_id,
        user,
        pay,
        idempotency_key,
        retry_of_unfinished,
    })
    .await
}

/// The answer, as the text a repeat is answered with too: 201 with the
/// payment; 202 with the `clientSecret` that Stripe.js needs to finish a
/// 3-D Secure authentication (the order stays `awaiting:payment`).
fn answer(paid: Result<Paid, ApiError>) -> Result<(u16, String), ApiError> {
    Ok(match paid? {
        Paid::Completed(row) => (201, row.view().to_string()),
        Paid::NeedsAuthentication {
            order_id,
            client_secret,
        } => (
            202,
            serde_json::json!({
                "orderId": order_id.as_str(),
                "status": "requires_action",
                "clientSecret": client_secret,
            })
            .to_string(),
        ),
    })
}

/// GET /api/payments?orderId=: the charges made for one of the caller's
/// orders, with their status (`succeeded` or `refunded`).
async fn list_for_order(cx: Ctx, _user: CurrentUser) -> ApiResult {
    let (req, env) = (&cx.req, &cx.env);
    let order_id = parse_order_query(RequestUrl::of(req)?.query_param("orderId").as_deref())?;
    fetch_order(req, env, &order_id, &cx.request_id).await?; // 404 / 401 unless it is the caller's order
    let rows = store::list_for_order(env, &order_id).await?;
    reply::json(200, &rows.iter().map(|row| row.view()).collect::<Vec<_>>())
}
