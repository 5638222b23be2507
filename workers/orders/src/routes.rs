//! Routes of `/api/orders`.

use crate::read_model;
use domain::desk::Command;
use domain::http::session::CurrentUser;
use domain::ids::{OrderId, TicketId};
use domain::orders::{Order, OrderView, PlaceOrderRequest};
use domain::ApiError;
use edge::open_orders::OpenOrders;
use edge::router::{Ctx, Route};
use edge::RequestUrl;
use edge::{reply, ApiResult};
use worker::Env;

const DEFAULT_EXPIRATION_WINDOW_SECONDS: i64 = 900;

pub fn table() -> Vec<Route> {
    let mut routes = edge::routes![
        Post   "/api/orders"     user => place,
        Get    "/api/orders"     user => list,
        Get    "/api/orders/:id" user => show,
        Delete "/api/orders/:id" user => cancel,
        Get    "/api/orders/:id/live" user => watch,
    ];
    routes.extend(crate::admin::routes());
    #[cfg(feature = "test-hooks")]
    routes.extend(crate::test_hooks::routes());
    routes
}

fn expiration_window_ms(env: &Env) -> i64 {
    edge::config::positive_number(
        env,
        "EXPIRATION_WINDOW_SECONDS",
        DEFAULT_EXPIRATION_WINDOW_SECONDS,
    ) * 1000
}

async fn place(mut cx: Ctx, user: CurrentUser) -> ApiResult {
    let idempotency_key = cx.idempotency_key()?;
    let PlaceOrderRequest { ticket_id } = PlaceOrderRequest::parse(&cx.json_body().await?)?;
    let env = &cx.env;
    // Retries of one request (same key) name one order.
    let order_id = match &idempotency_key {
        Some(key) => key.order_id(user.id.as_str(), &ticket_id),
        None => OrderId::from_uuid(uuid::Uuid::new_v4()),
    };
    // The ticket's object claims the buyer's slot (MAX_OPEN_ORDERS) for a
    // new hold only: a refused attempt on a held ticket costs one call.
    // And the client address's slot (MAX_OPEN_ORDERS_PER_ADDRESS), when
    // the request has one (CF-Connecting-IP; not in local runs).
    let command = Command::PlaceOrder {
        order_id,
        user_id: user.id,
        window_ms: expiration_window_ms(env),
        idempotency_key,
        client_address: edge::limits::client_address(&cx.req).map(|a| a.as_string()),
    };
    let order = cx.desk(&ticket_id)?.order(&command).await?;
    record(env, &order, &cx.request_id).await;
    reply::json(201, &order.view())
}

/// Writes the order to the read model now, so the buyer's next GET finds it;
/// the `order:*` event writes the same row again (version-guarded) if this fails.
async fn record(env: &Env, order: &Order, request_id: &str) {
    if let Err(e) = read_model::apply(env, order).await {
        edge::log::error(request_id, "orders_read_model_write_failed", &e.to_string());
    }
}

async fn list(cx: Ctx, user: CurrentUser) -> ApiResult {
    let url = RequestUrl::of(&cx.req)?;
    let page = edge::paging::page_request(&url)?;
    let (orders, next) = read_model::list_for_user(&cx.env, user.id.as_str(), &page).await?;
    let orders = with_live_orders_current(&cx, orders).await;
    let response = reply::json(200, &orders)?;
    edge::paging::set_next_link(&response, &url, next.as_ref())?;
    Ok(response)
}

/// At most this many live rows of a page are read from their objects: a
/// buyer holds at most MAX_OPEN_ORDERS (5 by default) at a time.
const LIVE_ROWS_READ: usize = 10;

/// The read model lags its events by the queue's delay; the buyer's live
/// orders (created or paying: a handful) are read from their objects, so a
/// payment, a cancel or an expiry shows at once, whoever made it. What is
/// newer is written back (read repair). A failed read keeps the row.
async fn with_live_orders_current(cx: &Ctx, rows: Vec<OrderView>) -> Vec<OrderView> {
    // The live rows' objects are asked all at once: one round trip, not one per row.
    let reads = rows
        .iter()
        .enumerate()
        .filter(|(_, row)| row.status.is_live())
        .take(LIVE_ROWS_READ)
        .map(|(i, row)| async move { (i, order_from_object(cx, row).await) });
    let mut newer: Vec<Option<Order>> = vec![None; rows.len()];
    for (i, read) in futures_util::future::join_all(reads).await {
        match read {
            Ok(order) if order.version > rows[i].version => {
                record(&cx.env, &order, &cx.request_id).await;
                newer[i] = Some(order);
            }
            Ok(_) => {}
            Err(e) => edge::log::error(&cx.request_id, "live_order_not_read", &e.to_string()),
        }
    }
    rows.into_iter()
        .zip(newer)
        .map(|(row, order)| order.map_or(row, |order| order.view()))
        .collect()
}

async fn order_from_object(cx: &Ctx, row: &OrderView) -> Result<Order, ApiError> {
    let ticket_id = TicketId::parse(&row.ticket.id)?;
    let order_id = OrderId::parse(&row.id)?;
    cx.desk(&ticket_id)?
        .order(&Command::GetOrder { order_id })
        .await
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
async fn load_own_order(cx: &Ctx, id: &OrderId, user: &CurrentUser) -> Result<Order, ApiError> {
    let ticket_id = locate_own_order(id, &cx.env, user).await?;
    cx.desk(&ticket_id)?
        .order(&Command::GetOrder {
            order_id: id.clone(),
        })
        .await
}

async fn show(cx: Ctx, user: CurrentUser) -> ApiResult {
    let id = OrderId::parse(cx.param("id"))?;
    let order = load_own_order(&cx, &id, &user).await?;
    reply::json(200, &order.view())
}

/// The buyer's WebSocket on their order (docs/live.md): the order now, then
/// each change. Only the order's buyer may connect; the ticket's object
/// sends an order's changes only to the sockets tagged with that order.
async fn watch(cx: Ctx, user: CurrentUser) -> ApiResult {
    let id = OrderId::parse(cx.param("id"))?;
    if !edge::object_call::is_websocket_upgrade(&cx.req) {
        return Err(ApiError::UpgradeRequired);
    }
    edge::csrf::refuse_foreign_socket(&cx.req)?;
    let ticket_id = locate_own_order(&id, &cx.env, &user).await?;
    edge::desk_client::watch(&cx.env, &ticket_id, edge::desk_client::Watch::Order(&id)).await
}

async fn cancel(cx: Ctx, user: CurrentUser) -> ApiResult {
    let id = OrderId::parse(cx.param("id"))?;
    let env = &cx.env;
    // One round trip to the object: the cancel command checks the buyer itself.
    let ticket_id = locate_own_order(&id, env, &user).await?;
    let command = Command::CancelOrder {
        order_id: id.clone(),
        user_id: user.id.clone(),
    };
    let order = cx.desk(&ticket_id)?.order(&command).await?;
    record(env, &order, &cx.request_id).await;
    // Now, so the buyer may reserve again at once; the order:cancelled event
    // frees it too, should this fail.
    OpenOrders::of_buyer(env, user.id.as_str(), &cx.request_id)?
        .free_or_log(&id)
        .await;
    reply::empty(204)
}
