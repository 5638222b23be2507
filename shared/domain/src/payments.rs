//! Payments: the record of a successful charge, and what a provider answers.

use crate::http::error::{ApiError, FieldError};
use crate::http::fields::{both, required};
use crate::http::session::is_loopback_host;
use crate::ids::OrderId;
use crate::money::Cents;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The body of POST /api/payments: which order, paid with which card token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayRequest {
    pub order_id: OrderId,
    pub token: String,
}

impl PayRequest {
    pub fn parse(body: &Value) -> Result<Self, ApiError> {
        let (order_id, token) = both(
            required(body, "orderId", "OrderId must be provided"),
            required(body, "token", "A card token must be provided"),
        )?;
        Ok(Self {
            order_id: OrderId::parse(order_id)?,
            token: token.to_string(),
        })
    }
}

/// The `orderId` query parameter of GET /api/payments.
pub fn parse_order_query(raw: Option<&str>) -> Result<OrderId, ApiError> {
    match raw.map(str::trim).filter(|raw| !raw.is_empty()) {
        Some(raw) => OrderId::parse(raw),
        None => Err(ApiError::Validation(vec![FieldError::new(
            "orderId",
            "OrderId must be provided",
        )])),
    }
}

/// A successful charge for an order. Created once, never changed (a refund
/// is recorded beside it by the payments service).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    pub id: String,
    pub order_id: OrderId,
    pub user_id: String,
    #[serde(rename = "amountCents")]
    pub amount: Cents,
    pub currency: String,
    /// `stripe` or `local`.
    pub provider: String,
    /// The provider's id for the charge (a PaymentIntent id).
    pub provider_ref: String,
}

#[cfg(test)]
impl Payment {
    /// A local payment of $20.00 by `buyer` for `order_id` (unit tests).
    pub(crate) fn example(id: &str, order_id: OrderId) -> Self {
        Payment {
            id: id.into(),
            order_id,
            user_id: "buyer".into(),
            amount: Cents(2000),
            currency: "usd".into(),
            provider: "local".into(),
            provider_ref: "pi_1".into(),
        }
    }
}

/// The provider's idempotency key for one payment attempt on an order. The
/// attempt is the order's version once it is `awaiting:payment`: concurrent
/// or retried requests during one attempt share it and so charge once, while
/// a new attempt after a decline gets a new key (providers replay a cached
/// decline for a reused key).
pub fn charge_idempotency_key(order_id: &OrderId, attempt_version: u64) -> String {
    format!("order-{order_id}-charge-v{attempt_version}")
}

pub fn refund_idempotency_key(provider_ref: &str) -> String {
    format!("refund-{provider_ref}")
}

/// What a provider says about a charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    Succeeded {
        provider_ref: String,
    },
    Declined {
        message: String,
    },
    /// 3-D Secure: the buyer must authenticate with their card's issuer,
    /// in the browser, with Stripe.js and this secret. Nothing is charged
    /// until they do; the webhook tells how it ended.
    RequiresAction {
        provider_ref: String,
        client_secret: String,
    },
}

/// Which provider the `PAYMENT_PROVIDER` setting selects. Nothing is
/// assumed: an unset or unknown setting, or Stripe without its secret key,
/// means payments are not configured, never the local provider (which approves
/// test cards with no money moving).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderChoice {
    /// The offline provider: local development and tests only.
    Local,
    Stripe {
        secret_key: String,
    },
}

/// Why payments cannot be taken: the message for the log (the client only
/// learns that payments are not configured).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotConfigured(pub String);

/// What every payment request answers while `NotConfigured`.
pub const NOT_CONFIGURED: &str = "Payments are not configured";

impl ProviderChoice {
    /// From the settings `PAYMENT_PROVIDER` and `STRIPE_SECRET_KEY` (blank
    /// counts as unset, as for every setting) and the host the request is
    /// for (`None` for a cron run). The local provider serves loopback hosts
    /// only, like the example session key: a deployed copy refuses it
    /// whatever its settings say.
    pub fn from_settings(
        provider: Option<&str>,
        stripe_secret_key: Option<&str>,
        host: Option<&str>,
    ) -> Result<Self, NotConfigured> {
        match provider {
            Some("local") if host.is_some_and(is_loopback_host) => Ok(ProviderChoice::Local),
            Some("local") => Err(NotConfigured(format!(
                "PAYMENT_PROVIDER is local (test cards approve, no money moves), which serves \
                 loopback hosts only; this request is for {}: set PAYMENT_PROVIDER=stripe",
                host.unwrap_or("no host (a scheduled run)")
            ))),
            Some("stripe") => match stripe_secret_key {
                Some(key) => Ok(ProviderChoice::Stripe {
                    secret_key: key.to_string(),
                }),
                None => Err(NotConfigured(
                    "PAYMENT_PROVIDER is stripe but the STRIPE_SECRET_KEY secret is not set".into(),
                )),
            },
            Some(other) => Err(NotConfigured(format!(
                "PAYMENT_PROVIDER {other:?} is neither stripe nor local"
            ))),
            None => Err(NotConfigured("PAYMENT_PROVIDER is not set".into())),
        }
    }
}

impl From<NotConfigured> for ApiError {
    fn from(_: NotConfigured) -> Self {
        ApiError::ServiceUnavailable(NOT_CONFIGURED.into())
    }
}

/// Whether a charge Stripe reports (its amount and currency) is the one the
/// order asks for. A charge that is not is never completed: the webhook and
/// the reconciliation refund it (docs/payments.md).
pub fn charge_matches_order(
    charged: Cents,
    charged_currency: &str,
    order_price: Cents,
    our_currency: &str,
) -> bool {
    charged == order_price && charged_currency.eq_ignore_ascii_case(our_currency)
}

/// Reconciliation with the provider (the payments worker's cron, every few
/// minutes): what it looks at and when it gives up quietly.
pub mod reconcile {
    /// How far back the provider's charges are listed: Stripe delivers a
    /// webhook for three days, so a charge older than that whose webhook
    /// never came is found by no one else either.
    pub const LOOKBACK_MS: i64 = 3 * 24 * 60 * 60 * 1000;
    /// What is still wrong this long after the charge is logged as an alert.
    pub const ALERT_AFTER_MS: i64 = 24 * 60 * 60 * 1000;
    const FIRST_RETRY_MS: i64 = 5 * 60 * 1000;
    const LONGEST_WAIT_MS: i64 = 6 * 60 * 60 * 1000;

    /// How long after its `attempts`-th failure an owed refund is tried
    /// again: 5 minutes, doubling, at most 6 hours.
    pub fn refund_backoff_ms(attempts: u32) -> i64 {
        let doublings = attempts.saturating_sub(1).min(16);
        (FIRST_RETRY_MS << doublings).min(LONGEST_WAIT_MS)
    }

    /// Whether a charge made at `charged_at` is old enough to settle from
    /// the provider's list: the request that made it has finished or been
    /// given up on (`payment_timeout_ms`), with a minute to spare, so the
    /// reconciliation does not race a checkout still settling it.
    pub fn settled_by_now(charged_at_ms: i64, payment_timeout_ms: i64, now_ms: i64) -> bool {
        now_ms - charged_at_ms >= payment_timeout_ms + 60_000
    }

    /// Whether something still wrong about a charge made at `charged_at`
    /// deserves an alert (a person must look).
    pub fn overdue(charged_at_ms: i64, now_ms: i64) -> bool {
        now_ms - charged_at_ms >= ALERT_AFTER_MS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ORDER: &str = "0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e";

    #[test]
    fn one_provider_key_per_payment_attempt_and_per_refund() {
        let order = OrderId::parse(ORDER).unwrap();
        assert_eq!(
            charge_idempotency_key(&order, 3),
            format!("order-{ORDER}-charge-v3")
        );
        assert_ne!(
            charge_idempotency_key(&order, 3),
            charge_idempotency_key(&order, 5),
            "a new attempt after a decline is a new charge"
        );
        assert_eq!(refund_idempotency_key("pi_123"), "refund-pi_123");
    }

    #[test]
    fn a_payment_needs_an_order_and_a_token() {
        let pay = PayRequest::parse(&json!({"orderId": ORDER, "token": " tok_visa "})).unwrap();
        assert_eq!(
            (pay.order_id.as_str(), pay.token.as_str()),
            (ORDER, "tok_visa")
        );
        assert_eq!(
            PayRequest::parse(&json!({"token": 5})),
            Err(ApiError::Validation(vec![
                FieldError::new("orderId", "OrderId must be provided"),
                FieldError::new("token", "A card token must be provided"),
            ]))
        );
        assert_eq!(
            PayRequest::parse(&json!({"orderId": "x", "token": "tok_visa"})),
            Err(ApiError::NotFound)
        );
    }

    #[test]
    fn the_payments_list_needs_an_order_id() {
        assert_eq!(parse_order_query(Some(ORDER)).unwrap().as_str(), ORDER);
        for raw in [None, Some(""), Some("  ")] {
            assert_eq!(
                parse_order_query(raw),
                Err(ApiError::Validation(vec![FieldError::new(
                    "orderId",
                    "OrderId must be provided"
                )]))
            );
        }
        assert_eq!(parse_order_query(Some("nope")), Err(ApiError::NotFound));
    }

    #[test]
    fn only_an_explicit_provider_with_its_secret_takes_payments() {
        let choose =
            |provider, key| ProviderChoice::from_settings(provider, key, Some("127.0.0.1"));
        assert_eq!(choose(Some("local"), None), Ok(ProviderChoice::Local));
        assert_eq!(
            choose(Some("stripe"), Some("sk_test_1")),
            Ok(ProviderChoice::Stripe {
                secret_key: "sk_test_1".into()
            })
        );
        for (provider, key) in [
            (Some("stripe"), None),
            (None, None),
            (None, Some("sk_test_1")),
            (Some("Stripe"), Some("sk_test_1")),
            (Some("paypal"), Some("sk_test_1")),
        ] {
            let refused = choose(provider, key).expect_err(&format!("{provider:?} {key:?}"));
            assert!(!refused.0.is_empty());
            let err = ApiError::from(refused);
            assert_eq!(err.status(), 503);
            assert_eq!(
                err.body(),
                r#"{"errors":[{"message":"Payments are not configured"}]}"#
            );
        }
    }

    #[test]
    fn the_local_provider_serves_loopback_hosts_only() {
        for host in ["127.0.0.1", "localhost", "tickets.localhost", "[::1]"] {
            assert_eq!(
                ProviderChoice::from_settings(Some("local"), None, Some(host)),
                Ok(ProviderChoice::Local),
                "{host}"
            );
        }
        for host in [Some("tickets.example.com"), Some("10.0.0.1"), None] {
            let refused = ProviderChoice::from_settings(Some("local"), Some("sk_1"), host)
                .expect_err(&format!("{host:?}"));
            assert!(refused.0.contains("loopback"), "{}", refused.0);
            assert_eq!(ApiError::from(refused).status(), 503);
        }
        assert!(matches!(
            ProviderChoice::from_settings(
                Some("stripe"),
                Some("sk_1"),
                Some("tickets.example.com")
            ),
            Ok(ProviderChoice::Stripe { .. })
        ));
    }

    #[test]
    fn a_charge_matches_its_order_by_amount_and_currency() {
        assert!(charge_matches_order(Cents(1999), "USD", Cents(1999), "usd"));
        assert!(!charge_matches_order(
            Cents(1998),
            "usd",
            Cents(1999),
            "usd"
        ));
        assert!(!charge_matches_order(
            Cents(1999),
            "eur",
            Cents(1999),
            "usd"
        ));
    }

    #[test]
    fn owed_refunds_back_off_from_five_minutes_to_six_hours() {
        use reconcile::refund_backoff_ms;
        let minutes = |n: i64| n * 60 * 1000;
        assert_eq!(refund_backoff_ms(0), minutes(5));
        assert_eq!(refund_backoff_ms(1), minutes(5));
        assert_eq!(refund_backoff_ms(2), minutes(10));
        assert_eq!(refund_backoff_ms(4), minutes(40));
        assert_eq!(refund_backoff_ms(8), minutes(360));
        assert_eq!(refund_backoff_ms(u32::MAX), minutes(360));
    }

    #[test]
    fn reconciliation_waits_for_the_checkout_and_alerts_after_a_day() {
        use reconcile::{overdue, settled_by_now};
        assert!(!settled_by_now(0, 60_000, 119_999));
        assert!(settled_by_now(0, 60_000, 120_000));
        assert!(!overdue(0, reconcile::ALERT_AFTER_MS - 1));
        assert!(overdue(0, reconcile::ALERT_AFTER_MS));
    }
}
