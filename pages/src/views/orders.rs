//! Orders: the buyer's list and one order with its countdown to pay.

use super::{layout, layout_with_head};
use crate::services::PageContext;
use crate::views::tickets::price;
use domain::orders::{CancelReason, OrderStatus, OrderView};
use maud::{html, Markup};

pub fn status_label(order: &OrderView) -> &'static str {
    match (order.status, order.cancel_reason) {
        (OrderStatus::Created, _) => "Created",
        (OrderStatus::AwaitingPayment, _) => "Awaiting payment",
        (OrderStatus::Complete, _) => "Complete",
        (OrderStatus::Cancelled, Some(CancelReason::Expired)) => "Cancelled (expired)",
        (OrderStatus::Cancelled, _) => "Cancelled",
    }
}

pub fn list_page(ctx: &PageContext, orders: &[OrderView], next_page: Option<&str>) -> Markup {
    layout(
        ctx,
        "My orders",
        html! {
            section.listing {
                h1 { "My orders" }
                @if orders.is_empty() {
                    p.empty data-testid="no-orders" {
                        "You have no orders yet. " a href="/" { "Find a ticket" }
                    }
                } @else {
                    ul.orders data-testid="orders" {
                        @for order in orders {
                            li {
                                a href=(format!("/orders/{}", order.id)) {
                                    (order.ticket.title) " — " (status_label(order))
                                }
                            }
                        }
                    }
                }
                @if let Some(href) = next_page {
                    p.pager { a href=(href) rel="next" { "Next page" } }
                }
            }
        },
    )
}

/// One order. `seconds_left` is set while the order waits for payment;
/// `errors` come from a refused cancellation.
pub fn detail_page(
    ctx: &PageContext,
    order: &OrderView,
    seconds_left: Option<i64>,
    errors: &[String],
) -> Markup {
    // Without JavaScript the page reloads once the time is up (or soon, when
    // the expiry is due but not yet applied), to show the order's new state.
    let head = html! {
        @if let Some(seconds) = seconds_left {
            meta http-equiv="refresh" content=(if seconds > 0 { seconds + 1 } else { 2 });
            script src="/static/countdown.js" defer {}
        }
    };
    let ticket = &order.ticket;
    layout_with_head(
        ctx,
        &format!("Order: {}", ticket.title),
        head,
        html! {
            article.card {
                h1 { (ticket.title) }
                @for message in errors {
                    p.error-banner role="alert" { (message) }
                }
                dl.facts {
                    dt { "Price" }
                    dd { (price(ticket.price_cents)) }
                    dt { "Status" }
                    dd { span.status data-testid="order-status" { (status_label(order)) } }
                }
                @match (order.status, order.cancel_reason, seconds_left) {
                    (OrderStatus::Created, _, Some(seconds)) if seconds > 0 => {
                        p.countdown data-testid="countdown" {
                            span #seconds-left data-expires-at=(order.expires_at) { (seconds) }
                            " seconds left to pay"
                        }
                    }
                    (OrderStatus::Created, _, _) => p.countdown data-testid="countdown" { "Order expired" },
                    (OrderStatus::AwaitingPayment, _, _) => p.aside { "Your payment is being processed." },
                    (OrderStatus::Complete, _, _) => p.aside { "Paid. Enjoy the event!" },
                    (OrderStatus::Cancelled, Some(CancelReason::Expired), _) => p.notice data-testid="order-outcome" { "Order expired" },
                    (OrderStatus::Cancelled, _, _) => p.notice data-testid="order-outcome" { "Order cancelled" },
                }
                @if order.status == OrderStatus::Created {
                    form method="post" action=(format!("/orders/{}/cancel", order.id)) {
                        button.secondary type="submit" data-testid="cancel-order" { "Cancel order" }
                    }
                }
                p.aside {
                    a href=(format!("/tickets/{}", ticket.id)) { "View the ticket" }
                    " · "
                    a href="/orders" { "All my orders" }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::orders::TicketSnapshotView;

    fn order(status: OrderStatus, cancel_reason: Option<CancelReason>) -> OrderView {
        OrderView {
            id: "o1".into(),
            user_id: "u1".into(),
            status,
            cancel_reason,
            expires_at: "2026-11-25T20:59:49.033Z".into(),
            created_at: "2026-11-25T20:44:49.033Z".into(),
            version: 0,
            payment_id: None,
            ticket: TicketSnapshotView {
                id: "t1".into(),
                title: "Concert".into(),
                price: 5.0,
                price_cents: 500,
            },
        }
    }

    #[test]
    fn statuses_read_as_words() {
        let cases = [
            (OrderStatus::Created, None, "Created"),
            (OrderStatus::AwaitingPayment, None, "Awaiting payment"),
            (OrderStatus::Complete, None, "Complete"),
            (
                OrderStatus::Cancelled,
                Some(CancelReason::Expired),
                "Cancelled (expired)",
            ),
            (
                OrderStatus::Cancelled,
                Some(CancelReason::User),
                "Cancelled",
            ),
            (OrderStatus::Cancelled, None, "Cancelled"),
        ];
        for (status, reason, label) in cases {
            assert_eq!(status_label(&order(status, reason)), label);
        }
    }
}
