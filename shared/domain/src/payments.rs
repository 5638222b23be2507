//! Payments: the record of a successful charge, and what a provider answers.

use crate::error::{ApiError, FieldError};
use crate::fields::{both, required};
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
    /// counts as unset, as for every setting).
    pub fn from_settings(
        provider: Option<&str>,
        stripe_secret_key: Option<&str>,
    ) -> Result<Self, NotConfigured> {
        match provider {
            Some("local") => Ok(ProviderChoice::Local),
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
        let choose = ProviderChoice::from_settings;
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
}
