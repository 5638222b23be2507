//! Orders: the buyer's list and one order with its countdown and pay form, or
//! its receipt.

use super::{layout, layout_with_head};
use crate::forms::FormErrors;
use crate::services::PageContext;
use crate::views::format::{money, when};
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

fn status_class(order: &OrderView) -> &'static str {
    match order.status {
        OrderStatus::Complete => "status status-ok",
        OrderStatus::Created | OrderStatus::AwaitingPayment => "status status-wait",
        OrderStatus::Cancelled => "status status-done",
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
                    table.tickets.rows-link.orders data-testid="orders" {
                        thead {
                            tr {
                                th scope="col" { "Ticket" }
                                th.num scope="col" { "Price" }
                                th scope="col" { "Ordered" }
                                th scope="col" { "Status" }
                            }
                        }
                        tbody {
                            @for order in orders {
                                tr data-testid="order-row" {
                                    td { a.row-link href=(format!("/orders/{}", order.id)) { (order.ticket.title) } }
                                    td.num { (money(order.ticket.price_cents)) }
                                    td { (when(&order.created_at)) }
                                    td { span class=(status_class(order)) { (status_label(order)) } }
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

/// The card token the pay form starts with when the local provider is on:
/// its card that succeeds.
pub const TEST_TOKEN: &str = "tok_visa";

/// The pay form of an order that waits for payment.
pub struct PaymentForm<'a> {
    /// The card token, as typed; `None` for a fresh form.
    pub token: Option<&'a str>,
    /// The local provider is on: offer its test cards and start with one.
    /// Never with Stripe, where a test card only confuses a real buyer.
    pub test_cards: bool,
    /// A fresh random id for this rendering of the form: submitting the same
    /// form twice is one payment (it becomes the `Idempotency-Key`).
    pub attempt: &'a str,
    /// The payment service's refusal of the last submission.
    pub errors: &'a FormErrors,
    /// Set when Stripe Elements may mount into `#card-element`.
    pub publishable_key: Option<&'a str>,
    /// The PaymentIntent's client secret when the card's issuer wants the
    /// buyer to authenticate (3-D Secure): Stripe.js finishes it in the page.
    pub authenticate: Option<&'a str>,
}

impl PaymentForm<'_> {
    /// What the token field shows: what was typed, else a test card when
    /// they are on, else nothing.
    fn token_value(&self) -> &str {
        match self.token {
            Some(typed) => typed,
            None if self.test_cards => TEST_TOKEN,
            None => "",
        }
    }

    /// Messages for above the form: all but those shown next to the token field.
    fn general_messages(&self) -> Vec<String> {
        let near_field = self.errors.for_field("token");
        self.errors
            .all()
            .into_iter()
            .filter(|message| !near_field.contains(message))
            .collect()
    }
}

/// One order. `seconds_left` is set while the order waits for payment;
/// `errors` come from a refused cancellation, `payment` is the pay form
/// (shown while the order is `created`) with the errors of a refused payment.
pub fn detail_page(
    ctx: &PageContext,
    order: &OrderView,
    seconds_left: Option<i64>,
    errors: &[String],
    payment: &PaymentForm,
) -> Markup {
    layout_with_head(
        ctx,
        &format!("Order: {}", order.ticket.title),
        detail_head(order, seconds_left),
        detail_card(order, seconds_left, errors, payment),
    )
}

fn detail_head(order: &OrderView, seconds_left: Option<i64>) -> Markup {
    // Without JavaScript the page reloads once the time is up (or soon, when
    // the expiry is due but not yet applied), to show the order's new state;
    // while a payment is in flight it reloads every 2 s until it has an outcome.
    // It names the order's URL: this page is also the answer to a pay or
    // cancel form post, whose own URL is not a page.
    let url = format!("/orders/{}", order.id);
    let live = matches!(
        order.status,
        OrderStatus::Created | OrderStatus::AwaitingPayment
    );
    html! {
        // With JavaScript the order's live channel moves the page on at once.
        @if live { (super::live_script("live-order.js")) }
        @if let Some(seconds) = seconds_left {
            meta http-equiv="refresh" content=(format!("{}; url={url}", if seconds > 0 { seconds + 1 } else { 2 }));
            script src="/static/countdown.js" defer {}
        } @else if order.status == OrderStatus::AwaitingPayment && order.authentication_until.is_some() {
            // The buyer is with their bank (3-D Secure), perhaps in Stripe's
            // window on this very page: look again slowly, not every 2 s.
            meta http-equiv="refresh" content=(format!("15; url={url}"));
        } @else if order.status == OrderStatus::AwaitingPayment {
            meta http-equiv="refresh" content=(format!("2; url={url}"));
        }
    }
}

fn detail_card(
    order: &OrderView,
    seconds_left: Option<i64>,
    errors: &[String],
    payment: &PaymentForm,
) -> Markup {
    let ticket = &order.ticket;
    let payable = order.status == OrderStatus::Created;
    let payment_errors = html! {
        @for message in payment.general_messages() {
            p.error-banner role="alert" data-testid="payment-error" { (message) }
        }
    };
    html! {
        article.card data-live=(format!("/api/orders/{}/live", order.id))
            data-page=(format!("/orders/{}", order.id)) data-version=(order.version) {
            h1 { (ticket.title) }
            @for message in errors {
                p.error-banner role="alert" { (message) }
            }
            // A refused payment that left no form to show it above.
            @if !payable { (payment_errors) }
            dl.facts {
                dt { "Price" }
                dd { (money(ticket.price_cents)) }
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
                (OrderStatus::AwaitingPayment, _, _) if order.authentication_until.is_some() => {
                    (authentication_notice(payment))
                }
                (OrderStatus::AwaitingPayment, _, _) => p.notice data-testid="payment-pending" { "Payment in progress" },
                (OrderStatus::Complete, _, _) => p.receipt data-testid="receipt" {
                    "Paid " (money(ticket.price_cents))
                    @if let Some(payment_id) = &order.payment_id { " — payment " (payment_id) }
                },
                (OrderStatus::Cancelled, Some(CancelReason::Expired), _) => p.notice data-testid="order-outcome" { "Order expired" },
                (OrderStatus::Cancelled, _, _) => p.notice data-testid="order-outcome" { "Order cancelled" },
            }
            @if payable {
                (pay_form(order, payment, payment_errors))
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
    }
}

/// A payment that waits for the buyer's 3-D Secure authentication. Right
/// after the pay form's post, with Stripe Elements on, Stripe.js opens the
/// bank's check in the page (`stripe-elements.js`) and comes back here;
/// without Elements there is no way to do it here, and the page says so.
fn authentication_notice(payment: &PaymentForm) -> Markup {
    html! {
        @match (payment.authenticate, payment.publishable_key) {
            (Some(secret), Some(key)) => {
                p.notice data-testid="payment-authentication" {
                    "Your bank wants to confirm this payment. Follow the steps in the window that opens."
                }
                div #authenticate data-client-secret=(secret) data-publishable-key=(key) {}
                script src="https://js.stripe.com/v3/" {}
                script src="/static/stripe-elements.js" defer {}
            }
            (Some(_), None) => p.error-banner role="alert" data-testid="payment-authentication" {
                "This card needs authentication (3-D Secure) that this site cannot perform. "
                "The order becomes payable again with another card when the authentication time is up."
            },
            (None, _) => p.notice data-testid="payment-authentication" {
                "Waiting for your bank to confirm the payment (3-D Secure)."
            },
        }
    }
}

/// The card token field and the pay button, with the refusal above them.
fn pay_form(order: &OrderView, payment: &PaymentForm, errors_above: Markup) -> Markup {
    let token_errors = payment.errors.for_field("token");
    let invalid = !token_errors.is_empty();
    // The ids of what describes the field: the test cards' hint, the error.
    let described_by = match (payment.test_cards, invalid) {
        (true, true) => Some("token-help token-error"),
        (true, false) => Some("token-help"),
        (false, true) => Some("token-error"),
        (false, false) => None,
    };
    html! {
        section.pay aria-label="Payment" {
            (errors_above)
            form method="post" action=(format!("/orders/{}/pay", order.id)) novalidate {
                input type="hidden" name="attempt" value=(payment.attempt);
                @if let Some(key) = payment.publishable_key {
                    // Stripe Elements: only with a publishable key (production).
                    // Stripe.js must come from Stripe's own domain (PCI); the
                    // card's PaymentMethod id then travels in the token field.
                    div #card-element data-publishable-key=(key) {}
                    script src="https://js.stripe.com/v3/" {}
                    script src="/static/stripe-elements.js" defer {}
                }
                div.field.invalid[invalid] {
                    label for="token" { "Card token" }
                    input #token name="token" type="text" value=(payment.token_value())
                        autocomplete="off" spellcheck="false" autocapitalize="off"
                        aria-invalid=[invalid.then_some("true")]
                        aria-describedby=[described_by];
                    @if payment.test_cards {
                        p.hint #token-help {
                            "Test cards: " code { (TEST_TOKEN) } " succeeds, "
                            code { "tok_chargeDeclined" } " is declined."
                        }
                    }
                    @if invalid {
                        p.field-error #token-error { (token_errors.join("; ")) }
                    }
                }
                button.primary type="submit" data-testid="pay" { "Pay " (money(order.ticket.price_cents)) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::orders::TicketSnapshotView;
    use serde_json::json;

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
            authentication_until: None,
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

    /// The form as the local provider has it (test cards on).
    fn form<'a>(
        errors: &'a FormErrors,
        token: Option<&'a str>,
        key: Option<&'a str>,
    ) -> PaymentForm<'a> {
        PaymentForm {
            token,
            test_cards: true,
            attempt: "6f1c1b8e-8d0a-4a39-9b1e-3c1f0f0e2a11",
            errors,
            publishable_key: key,
            authenticate: None,
        }
    }

    fn card(order: &OrderView, seconds_left: Option<i64>, payment: &PaymentForm) -> String {
        detail_card(order, seconds_left, &[], payment).into_string()
    }

    #[test]
    fn a_created_order_has_a_pay_form_with_a_test_token() {
        let errors = FormErrors::default();
        let order = order(OrderStatus::Created, None);
        let html = card(&order, Some(90), &form(&errors, None, None));
        assert!(html.contains(r#"action="/orders/o1/pay""#), "{html}");
        assert!(html.contains(r#"<input id="token" name="token" type="text" value="tok_visa""#));
        assert!(html.contains(
            r#"<input type="hidden" name="attempt" value="6f1c1b8e-8d0a-4a39-9b1e-3c1f0f0e2a11">"#
        ));
        assert!(html.contains("tok_chargeDeclined"));
        assert!(html.contains(r#"data-testid="pay">Pay $5.00</button>"#));
        assert!(html.contains(r#"data-testid="countdown""#));
        assert!(html.contains(r#"data-testid="cancel-order""#));
        assert!(!html.contains("card-element"), "no Stripe without a key");
        assert!(!html.contains("payment-error"));
        assert!(!html.contains("receipt"));
    }

    #[test]
    fn without_the_local_provider_no_test_card_is_offered() {
        let errors = FormErrors::default();
        let order = order(OrderStatus::Created, None);
        let stripe = PaymentForm {
            test_cards: false,
            ..form(&errors, None, Some("pk_live_1"))
        };
        let html = card(&order, Some(90), &stripe);
        assert!(
            html.contains(r#"<input id="token" name="token" type="text" value="""#),
            "{html}"
        );
        for absent in ["tok_visa", "tok_chargeDeclined", "Test cards", "token-help"] {
            assert!(!html.contains(absent), "{absent} in {html}");
        }
        let typed = PaymentForm {
            test_cards: false,
            ..form(&errors, Some("pm_123"), None)
        };
        assert!(card(&order, Some(90), &typed).contains(r#"value="pm_123""#));
    }

    #[test]
    fn a_publishable_key_adds_the_stripe_elements_mount_point() {
        let errors = FormErrors::default();
        let order = order(OrderStatus::Created, None);
        let html = card(&order, Some(90), &form(&errors, None, Some("pk_test_1")));
        assert!(html.contains(r#"<div id="card-element" data-publishable-key="pk_test_1"></div>"#));
        assert!(
            html.contains(r#"<script src="https://js.stripe.com/v3/">"#),
            "Stripe.js, from Stripe, only with a key"
        );
        assert!(html.contains("/static/stripe-elements.js"));
    }

    #[test]
    fn a_declined_payment_is_shown_above_the_form_with_the_token_kept() {
        let errors =
            FormErrors::from_api(&json!({"errors": [{"message": "Your card was declined."}]}));
        let order = order(OrderStatus::Created, None);
        let html = card(
            &order,
            Some(90),
            &form(&errors, Some("tok_chargeDeclined"), None),
        );
        let banner = html
            .find(r#"<p class="error-banner" role="alert" data-testid="payment-error">Your card was declined.</p>"#)
            .expect(&html);
        assert!(banner < html.find("<form").unwrap(), "above the form");
        assert!(html.contains(r#"value="tok_chargeDeclined""#));
    }

    #[test]
    fn a_missing_token_is_shown_next_to_its_field() {
        let errors = FormErrors::from_api(
            &json!({"errors": [{"field": "token", "message": "A card token must be provided"}]}),
        );
        let order = order(OrderStatus::Created, None);
        let html = card(&order, Some(90), &form(&errors, Some(""), None));
        assert!(html.contains(
            r#"<p class="field-error" id="token-error">A card token must be provided</p>"#
        ));
        assert!(html.contains(r#"aria-describedby="token-help token-error""#));
        assert!(!html.contains("payment-error"));
    }

    #[test]
    fn a_complete_order_shows_its_receipt_and_nothing_to_do() {
        let errors = FormErrors::default();
        let mut order = order(OrderStatus::Complete, None);
        order.payment_id = Some("pay_123".into());
        let html = card(&order, None, &form(&errors, None, None));
        assert!(
            html.contains(r#"data-testid="receipt">Paid $5.00 — payment pay_123</p>"#),
            "{html}"
        );
        for absent in ["countdown", "cancel-order", "/pay", "Card token"] {
            assert!(!html.contains(absent), "{absent} in {html}");
        }
        assert!(detail_head(&order, None).into_string().is_empty());
    }

    #[test]
    fn a_payment_in_flight_reloads_every_two_seconds() {
        let errors = FormErrors::default();
        let order = order(OrderStatus::AwaitingPayment, None);
        let html = card(&order, None, &form(&errors, None, None));
        assert!(html.contains(r#"data-testid="payment-pending">Payment in progress</p>"#));
        assert!(!html.contains("/pay") && !html.contains("cancel-order"));
        let head = detail_head(&order, None).into_string();
        assert_eq!(
            head,
            format!(
                r#"<script src="/static/live.js" defer></script><script src="/static/live-order.js" defer></script><meta http-equiv="refresh" content="2; url=/orders/{}">"#,
                order.id
            )
        );
    }

    #[test]
    fn a_refusal_without_a_form_is_still_shown() {
        let errors = FormErrors::from_api(
            &json!({"errors": [{"message": "Cannot pay for an expired order"}]}),
        );
        let order = order(OrderStatus::Cancelled, Some(CancelReason::Expired));
        let html = card(&order, None, &form(&errors, None, None));
        assert!(html.contains(r#"data-testid="payment-error">Cannot pay for an expired order</p>"#));
        assert!(!html.contains("/pay"));
    }

    #[test]
    fn a_waiting_order_counts_down_with_a_refresh_fallback() {
        let order = order(OrderStatus::Created, None);
        let head = detail_head(&order, Some(90)).into_string();
        assert!(
            head.contains(&format!(r#"content="91; url=/orders/{}""#, order.id)),
            "{head}"
        );
        assert!(head.contains("/static/countdown.js"));
    }

    #[test]
    fn a_payment_awaiting_authentication_is_finished_with_stripe_js_or_explained() {
        let mut waiting = order(OrderStatus::AwaitingPayment, None);
        waiting.authentication_until = Some("2026-11-25T20:54:49.033Z".into());
        let errors = FormErrors::default();
        let with_elements = PaymentForm {
            authenticate: Some("pi_1_secret_2"),
            ..form(&errors, None, Some("pk_test_1"))
        };
        let html = card(&waiting, None, &with_elements);
        assert!(
            html.contains(r#"data-client-secret="pi_1_secret_2""#),
            "{html}"
        );
        assert!(html.contains("/static/stripe-elements.js"));
        let head = detail_head(&waiting, None).into_string();
        assert!(
            head.contains(r#"content="15; url=/orders/o1""#),
            "no 2 s reload: {head}"
        );

        let without = PaymentForm {
            authenticate: Some("pi_1_secret_2"),
            ..form(&errors, None, None)
        };
        let html = card(&waiting, None, &without);
        assert!(html.contains("needs authentication (3-D Secure) that this site cannot perform"));
        assert!(
            !html.contains("pi_1_secret_2"),
            "no secret without a use for it"
        );

        let later = card(&waiting, None, &form(&errors, None, None));
        assert!(later.contains("Waiting for your bank"), "{later}");
    }
}
