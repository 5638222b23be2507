//! Stripe's REST API: PaymentIntents created and confirmed in one call,
//! refunds, and the list of recent PaymentIntents (the reconciliation).
//! Form-encoded, `Authorization: Bearer sk_...`, an `Idempotency-Key` on
//! every write, a retry (same key) on 5xx, and a timeout on every call that
//! ends a charge before the lost-payment timeout.

use super::ProviderError;
use domain::http::stripe::{
    call_timeout_ms, intent_page_query, payment_intent_form, read_intent_page, read_payment_intent,
    read_refund, ChargeRequest, RefundAnswer, StripeAnswer, ALREADY_REFUNDED,
};
use domain::payments::ChargeOutcome;
use futures_util::future::{select, Either};
use serde_json::Value;
use std::time::Duration;
use worker::{AbortController, Delay, Fetch, Headers, Method};

const ATTEMPTS: usize = 3;
/// Pages of 100 PaymentIntents one reconciliation reads at most; the next
/// run (minutes later) reads the rest, newest first.
const MOST_PAGES: usize = 20;

pub struct StripeProvider {
    pub api_base: String,
    pub secret_key: String,
    /// The lost-payment timeout: a charge, retries included, ends before it.
    pub payment_timeout_ms: i64,
}

impl StripeProvider {
    /// One call, given up on after `timeout_ms` (its outcome then unknown:
    /// the request may have reached Stripe).
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
        idempotency_key: Option<&str>,
        timeout_ms: i64,
    ) -> Result<(u16, Value), ProviderError> {
        let headers = Headers::new();
        let set = |name: &str, value: &str| {
            headers
                .set(name, value)
                .map_err(|e| ProviderError::Refused(e.to_string()))
        };
        set("authorization", &format!("Bearer {}", self.secret_key))?;
        if body.is_some() {
            set("content-type", "application/x-www-form-urlencoded")?;
        }
        if let Some(key) = idempotency_key {
            set("idempotency-key", key)?;
        }
        let url = format!("{}{path}", self.api_base.trim_end_matches('/'));
        let request = edge::outbound::request(method, &url, &headers, body.map(Into::into))
            .map_err(|e| ProviderError::Refused(e.to_string()))?;
        let controller = AbortController::default();
        let signal = controller.signal();
        let answer = async move {
            // The request may have reached Stripe before the connection failed.
            let mut response = Fetch::Request(request)
                .send_with_signal(&signal)
                .await
                .map_err(|e| ProviderError::OutcomeUnknown(format!("Stripe unreachable: {e}")))?;
            let status = response.status_code();
            let json = response.json::<Value>().await.unwrap_or(Value::Null);
            Ok((status, json))
        };
        let timeout = Delay::from(Duration::from_millis(timeout_ms.max(0) as u64));
        match select(Box::pin(answer), timeout).await {
            Either::Left((answer, _)) => answer,
            Either::Right(((), _)) => {
                controller.abort();
                Err(ProviderError::OutcomeUnknown(format!(
                    "Stripe did not answer {path} within {timeout_ms} ms"
                )))
            }
        }
    }

    async fn post(
        &self,
        path: &str,
        form: &[(String, String)],
        idempotency_key: &str,
        timeout_ms: i64,
    ) -> Result<(u16, Value), ProviderError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        self.call(
            Method::Post,
            path,
            Some(body),
            Some(idempotency_key),
            timeout_ms,
        )
        .await
    }

    /// Every PaymentIntent created since `since_seconds` (Unix seconds),
    /// newest first, at most `MOST_PAGES` pages.
    pub async fn payment_intents_since(
        &self,
        since_seconds: i64,
    ) -> Result<Vec<Value>, ProviderError> {
        let mut intents: Vec<Value> = Vec::new();
        for _ in 0..MOST_PAGES {
            let after = intents.last().and_then(|i| i["id"].as_str());
            let path = format!(
                "/v1/payment_intents?{}",
                intent_page_query(since_seconds, after)
            );
            let timeout = call_timeout_ms(self.payment_timeout_ms, 0).unwrap_or(1_000);
            let (status, body) = self.call(Method::Get, &path, None, None, timeout).await?;
            let Some((page, has_more)) = read_intent_page(&body).filter(|_| status == 200) else {
                return Err(ProviderError::OutcomeUnknown(format!(
                    "listing PaymentIntents: {status}: {body}"
                )));
            };
            intents.extend(page);
            if !has_more {
                break;
            }
        }
        Ok(intents)
    }

    /// Creates and confirms a PaymentIntent, once per `idempotency_key`.
    pub async fn charge(
        &self,
        request: &ChargeRequest<'_>,
        idempotency_key: &str,
    ) -> Result<ChargeOutcome, ProviderError> {
        let form = payment_intent_form(request);
        let started = edge::now_ms();
        let mut last = String::new();
        for _ in 0..ATTEMPTS {
            let Some(timeout) = call_timeout_ms(self.payment_timeout_ms, edge::now_ms() - started)
            else {
                break;
            };
            // Network errors and timeouts are retried like 5xx: the
            // idempotency key makes a repeat of a charge that did happen
            // return that same charge.
            let (status, body) = match self
                .post("/v1/payment_intents", &form, idempotency_key, timeout)
                .await
            {
                Ok(answer) => answer,
                Err(ProviderError::OutcomeUnknown(why)) => {
                    last = why;
                    continue;
                }
                Err(refused) => return Err(refused),
            };
            match read_payment_intent(status, &body) {
                StripeAnswer::Charge(outcome) => return Ok(outcome),
                StripeAnswer::Retryable(why) => last = why,
                StripeAnswer::InFlight(why) => return Err(ProviderError::OutcomeUnknown(why)),
                StripeAnswer::Failed(why) => return Err(ProviderError::Refused(why)),
            }
        }
        Err(ProviderError::OutcomeUnknown(format!(
            "Stripe gave no outcome in time: {last}"
        )))
    }

    /// Refunds a PaymentIntent in full; returns the refund's id.
    pub async fn refund(
        &self,
        provider_ref: &str,
        idempotency_key: &str,
    ) -> Result<String, ProviderError> {
        let form = [("payment_intent".to_string(), provider_ref.to_string())];
        let started = edge::now_ms();
        let mut last = String::new();
        for _ in 0..ATTEMPTS {
            let Some(timeout) = call_timeout_ms(self.payment_timeout_ms, edge::now_ms() - started)
            else {
                break;
            };
            let (status, body) = match self
                .post("/v1/refunds", &form, idempotency_key, timeout)
                .await
            {
                Ok(answer) => answer,
                Err(e) => {
                    last = e.to_string();
                    continue;
                }
            };
            match read_refund(status, &body) {
                RefundAnswer::Refunded(id) => return Ok(id),
                RefundAnswer::AlreadyRefunded => return Ok(ALREADY_REFUNDED.into()),
                RefundAnswer::Retryable(why) => last = why,
                RefundAnswer::Failed(why) => return Err(ProviderError::Refused(why)),
            }
        }
        Err(ProviderError::OutcomeUnknown(format!(
            "refund failed {ATTEMPTS} times: {last}"
        )))
    }
}
