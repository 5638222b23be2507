//! Routes of `/api/orders`.

use crate::read_model;
use domain::desk::Command;
use domain::ids::{OrderId, TicketId};
use domain::orders::Order;
use domain::session::CurrentUser;
use domain::{ApiError, FieldError, OrInternal};
use edge::desk_client::DeskClient;
use edge::session::SessionConfig;
use edge::{body, csrf, reply, ApiResult};
use serde_json::Value;
use worker::{Env, Method, Request};

const DEFAULT_EXPIRATION_WINDOW_SECONDS: i64 = 900;

pub async fn handle(mut req: Request, env: &Env, request_id: &str) -> ApiResult {
    let path = req.path();
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    let (method, route) = (req.method(), segments.as_slice());
    if !matches!(route, ["api", "orders"] | ["api", "orders", _]) {
        return Err(ApiError::NotFound);
    }
    csrf::refuse_cross_site(&req)?;
    let user = SessionConfig::from_env(env)?.require_user(&req)?;
    match (method, route) {
        (Method::Post, ["api", "orders"]) => place(&mut req, env, user, request_id).await,
        (Method::Get, ["api", "orders"]) => list(&req, env, &user).await,
        (Method::Get, ["api", "orders", id]) => show(OrderId::parse(id)?, env, &user).await,
        (Method::Delete, ["api", "orders", id]) => {
            cancel(OrderId::parse(id)?, env, &user, request_id).await
        }
        _ => Err(ApiError::MethodNotAllowed),
    }
}

fn expiration_window_ms(env: &Env) -> i64 {
    env.var("EXPIRATION_WINDOW_SECONDS")
        .ok()
        .and_then(|v| v.to_string().trim().parse::<i64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(DEFAULT_EXPIRATION_WINDOW_SECONDS)
        * 1000
}

/// `Idempotency-Key`: printable ASCII, at most 255 characters.
fn idempotency_key(req: &Request) -> Result<Option<String>, ApiError> {
    let Some(key) = req.headers().get("idempotency-key").ok().flatten() else {
        return Ok(None);
    };
    let valid = (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic());
    if !valid {
        return Err(ApiError::BadRequest(
            "Idempotency-Key must be 1 to 255 printable ASCII characters".into(),
        ));
    }
    Ok(Some(key))
}

async fn place(req: &mut Request, env: &Env, user: CurrentUser, request_id: &str) -> ApiResult {
    let idempotency_key = idempotency_key(req)?;
    let body = body::read_json(req, body::DEFAULT_LIMIT).await?;
    let raw_id = body
        .get("ticketId")
        .and_then(Value::as_str)
        .map(str::trim)
        .unwrap_or("");
    if raw_id.is_empty() {
        return Err(ApiError::Validation(vec![FieldError::new(
            "ticketId",
            "TicketId must be provided",
        )]));
    }
    let ticket_id = TicketId::parse(raw_id)?;
    let command = Command::PlaceOrder {
        order_id: OrderId::from_uuid(uuid::Uuid::new_v4()),
        user_id: user.id,
        window_ms: expiration_window_ms(env),
        idempotency_key,
    };
    let order = DeskClient::for_ticket(env, &ticket_id)?
        .order(&command)
        .await?;
    record(env, &order, request_id).await;
    reply::json(201, &order.view())
}

/// Writes the order to the read model now, so the buyer's next GET finds it;
/// the `order:*` event writes the same row again (version-guarded) if this fails.
async fn record(env: &Env, order: &Order, request_id: &str) {
    if let Err(e) = read_model::apply(env, order).await {
        edge::log::error(request_id, "orders_read_model_write_failed", &e.to_string());
    }
}

async fn list(req: &Request, env: &Env, user: &CurrentUser) -> ApiResult {
    let url = req.url().or_internal()?;
    let page = edge::paging::page_request(&url)?;
    let (orders, next) = read_model::list_for_user(env, &user.id, &page).await?;
    let response = reply::json(200, &orders)?;
    edge::paging::set_next_link(&response, &url, next.as_ref())?;
    Ok(response)
}

/// Which ticket's object holds one of the caller's orders (404 unknown, 401 someone else's).
async fn locate_own_order(
    id: &OrderId,
    env: &Env,
    user: &CurrentUser,
) -> Result<TicketId, ApiError> {
    let location = read_model::locate(env, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if location.user_id != user.id {
        return Err(ApiError::NotAuthorized);
    }
    TicketId::parse(&location.ticket_id)
}

/// The order's current state comes from its ticket's object, not the read
/// model, so a countdown page sees an expiry the moment it happens.
async fn load_own_order(id: &OrderId, env: &Env, user: &CurrentUser) -> Result<Order, ApiError> {
    let ticket_id = locate_own_order(id, env, user).await?;
    DeskClient::for_ticket(env, &ticket_id)?
        .order(&Command::GetOrder {
            order_id: id.clone(),
        })
        .await
}

async fn show(id: OrderId, env: &Env, user: &CurrentUser) -> ApiResult {
    let order = load_own_order(&id, env, user).await?;
    reply::json(200, &order.view())
}

async fn cancel(id: OrderId, env: &Env, user: &CurrentUser, request_id: &str) -> ApiResult {
    // One round trip to the object: the cancel command checks the buyer itself.
    let ticket_id = locate_own_order(&id, env, user).await?;
    let command = Command::CancelOrder {
        order_id: id,
        user_id: user.id.clone(),
    };
    let order = DeskClient::for_ticket(env, &ticket_id)?
        .order(&command)
        .await?;
    record(env, &order, request_id).await;
    reply::empty(204)
}
