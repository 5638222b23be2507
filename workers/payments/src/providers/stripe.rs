//! Stripe's REST API: PaymentIntents created and confirmed in one call, and
//! refunds. Form-encoded, `Authorization: Bearer sk_...`, an `Idempotency-Key`
//! on every write, and a retry (same key) on 5xx.

use super::{PaymentProvider, ProviderError};
use domain::payments::ChargeOutcome;
use domain::stripe::{payment_intent_form, read_payment_intent, ChargeRequest, StripeAnswer};
use serde_json::Value;
use worker::{Fetch, Headers, Method};

const ATTEMPTS: usize = 3;

pub struct StripeProvider {
    pub api_base: String,
    pub secret_key: String,
}

impl StripeProvider {
    async fn post(
        &self,
        path: &str,
        form: &[(String, String)],
        idempotency_key: &str,
    ) -> Result<(u16, Value), ProviderError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let headers = Headers::new();
        let set = |name: &str, value: &str| {
            headers
                .set(name, value)
                .map_err(|e| ProviderError::refused(e.to_string()))
        };
        set("authorization", &format!("Bearer {}", self.secret_key))?;
        set("content-type", "application/x-www-form-urlencoded")?;
        set("idempotency-key", idempotency_key)?;
        let url = format!("{}{path}", self.api_base.trim_end_matches('/'));
        let request = edge::outbound::request(Method::Post, &url, &headers, Some(body.into()))
            .map_err(|e| ProviderError::refused(e.to_string()))?;
        // The request may have reached Stripe before the connection failed.
        let mut response = Fetch::Request(request)
            .send()
            .await
            .map_err(|e| ProviderError::unknown(format!("Stripe unreachable: {e}")))?;
        let status = response.status_code();
        let json = response.json::<Value>().await.unwrap_or(Value::Null);
        Ok((status, json))
    }
}

impl PaymentProvider for StripeProvider {
    fn name(&self) -> &'static str {
        "stripe"
    }

    async fn charge(
        &self,
        request: &ChargeRequest<'_>,
        idempotency_key: &str,
    ) -> Result<ChargeOutcome, ProviderError> {
        let form = payment_intent_form(request);
        let mut last = String::new();
        for _ in 0..ATTEMPTS {
            // Network errors are retried like 5xx: the idempotency key makes a
            // repeat of a charge that did happen return that same charge.
            let (status, body) = match self
                .post("/v1/payment_intents", &form, idempotency_key)
                .await
            {
                Ok(answer) => answer,
                Err(e) if e.outcome_unknown => {
                    last = e.message;
                    continue;
                }
                Err(e) => return Err(e),
            };
            match read_payment_intent(status, &body) {
                StripeAnswer::Charge(outcome) => return Ok(outcome),
                StripeAnswer::Retryable(why) => last = why,
                StripeAnswer::InFlight(why) => return Err(ProviderError::unknown(why)),
                StripeAnswer::Failed(why) => return Err(ProviderError::refused(why)),
            }
        }
        Err(ProviderError::unknown(format!(
            "Stripe failed {ATTEMPTS} times: {last}"
        )))
    }

    async fn refund(
        &self,
        provider_ref: &str,
        idempotency_key: &str,
    ) -> Result<String, ProviderError> {
        let form = [("payment_intent".to_string(), provider_ref.to_string())];
        let mut last = String::new();
        for _ in 0..ATTEMPTS {
            match self.post("/v1/refunds", &form, idempotency_key).await {
                Ok((200..=299, body)) => {
                    return body["id"]
                        .as_str()
                        .map(String::from)
                        .ok_or_else(|| ProviderError::unknown("a refund without id"));
                }
                Ok((status, body)) if status == 409 || status == 429 || status >= 500 => {
                    last = format!("{status}: {body}")
                }
                Ok((status, body)) => {
                    return Err(ProviderError::refused(format!(
                        "refund refused: {status}: {body}"
                    )))
                }
                Err(e) => last = e.message,
            }
        }
        Err(ProviderError::unknown(format!(
            "refund failed {ATTEMPTS} times: {last}"
        )))
    }
}
