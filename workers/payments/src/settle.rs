//! After the provider said yes: record the charge, complete the order in its
//! ticket's object, and refund the charge if the order can no longer take it
//! (it expired or was cancelled while the money moved). Shared by POST
//! /api/payments and the webhook, so both end the same way.

use crate::config::PaymentsConfig;
use crate::orders::OrderToPay;
use crate::providers::Provider;
use crate::store::{self, PaymentRow};
use domain::desk::{Command, Refusal};
use domain::http::stripe::intents::{ChargedIntent, IntentMetadata};
use domain::idempotency::IdempotencyKey;
use domain::ids::{OrderId, TicketId};
use domain::money::Cents;
use domain::orders::OrderStatus;
use domain::payments::{charge_matches_order, reconcile, refund_idempotency_key, Payment};
use domain::ApiError;
use edge::desk_client::DeskClient;
use edge::open_orders::OpenOrders;
use worker::Env;

pub struct Charge<'a> {
    pub order_id: &'a OrderId,
    pub ticket_id: &'a TicketId,
    pub user_id: &'a str,
    pub amount: Cents,
    pub currency: &'a str,
    pub provider_ref: &'a str,
    pub idempotency_key: Option<&'a IdempotencyKey>,
}

pub enum Settled {
    /// The order is complete, paid by this row.
    Completed(PaymentRow),
    /// The order could not take the money: refunded.
    Refunded(PaymentRow),
}

pub async fn settle_success(
    env: &Env,
    provider: &Provider,
    charge: Charge<'_>,
    request_id: &str,
    now: i64,
) -> Result<Settled, ApiError> {
    let row = record_charge(env, provider, &charge).await?;
    #[cfg(feature = "test-hooks")]
    edge::faults::check(edge::faults::Fault::SettleCall)?;
    let command = Command::CompletePayment {
        order_id: charge.order_id.clone(),
        payment: row.payment()?,
    };
    match DeskClient::for_ticket(env, charge.ticket_id, request_id)?
        .order_or_refusal::<OrderToPay>(&command)
        .await?
    {
        Ok(order)
            if order.status == OrderStatus::Complete
                && order.payment_id.as_deref() == Some(row.id.as_str()) =>
        {
            // The reconciliation need not look at it again; if this write
            // fails, it looks once more and finds the order complete.
            if let Err(e) = store::mark_settled(env, &row.provider_ref, now).await {
                edge::log::error(request_id, "payment_settled_not_recorded", &e.to_string());
            }
            // Paid: the buyer's open-order slot is free now, not only once
            // the order:completed event arrives.
            OpenOrders::of_buyer(env, charge.user_id, request_id)?
                .free_or_log(charge.order_id)
                .await;
            Ok(Settled::Completed(row))
        }
        Ok(_) | Err(Refusal::OrderCancelled | Refusal::OrderExpired | Refusal::AlreadyPaid) => {
            refund_charge(env, provider, row, now)
                .await
                .map(Settled::Refunded)
        }
        Err(other) => Err(other.into()),
    }
}

/// Records a successful charge (one row per charge, whoever records it first).
pub async fn record_charge(
    env: &Env,
    provider: &Provider,
    charge: &Charge<'_>,
) -> Result<PaymentRow, ApiError> {
    let payment = Payment {
        id: format!("pay_{}", uuid::Uuid::new_v4().simple()),
        order_id: charge.order_id.clone(),
        user_id: charge.user_id.to_string(),
        amount: charge.amount,
        currency: charge.currency.to_string(),
        provider: provider.name().to_string(),
        provider_ref: charge.provider_ref.to_string(),
    };
    store::record(
        env,
        &payment,
        charge.idempotency_key.map(IdempotencyKey::as_str),
    )
    .await
}

/// Gives a charge's money back. Owed before it is tried: a failed refund
/// stays on record, with its next try due after a backoff (the
/// reconciliation's), and the charge's next webhook delivery tries too.
pub async fn refund_charge(
    env: &Env,
    provider: &Provider,
    row: PaymentRow,
    now: i64,
) -> Result<PaymentRow, ApiError> {
    store::mark_refund_owed(env, &row.provider_ref).await?;
    match provider
        .refund(
            &row.provider_ref,
            &refund_idempotency_key(&row.provider_ref),
        )
        .await
    {
        Ok(refund) => {
            store::mark_refunded(env, &row.provider_ref, &refund).await?;
            Ok(PaymentRow {
                status: "refunded".into(),
                ..row
            })
        }
        Err(e) => {
            let attempts = row.refund_attempts.saturating_add(1);
            let next_at = now + reconcile::refund_backoff_ms(attempts);
            store::mark_refund_failed(env, &row.provider_ref, attempts, next_at).await?;
            Err(ApiError::internal(format!(
                "refund of {} failed (try {attempts}): {e}",
                row.provider_ref
            )))
        }
    }
}

/// A PaymentIntent that names one of our orders in its metadata.
pub struct OurIntent {
    pub order_id: OrderId,
    pub ticket_id: TicketId,
    pub user_id: String,
}

impl OurIntent {
    /// `None` for a PaymentIntent that is not ours (no or foreign order
    /// metadata: another integration on the same Stripe account).
    pub fn read(metadata: &IntentMetadata) -> Option<Self> {
        Some(Self {
            order_id: OrderId::parse(metadata.order_id.as_deref()?).ok()?,
            ticket_id: TicketId::parse(metadata.ticket_id.as_deref()?).ok()?,
            user_id: metadata.user_id.clone()?,
        })
    }
}

/// A succeeded PaymentIntent as Stripe reports it (its webhook, or the
/// reconciliation's list): completes its order if the charge is what the
/// order asks for and the order can take it; refunds it otherwise.
pub async fn settle_reported(
    env: &Env,
    config: &PaymentsConfig,
    intent: &ChargedIntent,
    request_id: &str,
    now: i64,
) -> Result<&'static str, ApiError> {
    let Some(ours) = OurIntent::read(&intent.metadata) else {
        return Ok("ignored: not ours");
    };
    let provider_ref = intent.id.as_str();
    let desk = DeskClient::for_ticket(env, &ours.ticket_id, request_id)?;
    let order = match desk
        .order_or_refusal::<OrderToPay>(&Command::GetOrder {
            order_id: ours.order_id.clone(),
        })
        .await?
    {
        Ok(order) => order,
        Err(Refusal::OrderNotFound | Refusal::TicketNotFound) => {
            edge::log::error(
                request_id,
                "payment_for_unknown_order",
                &format!(
                    "{provider_ref} names order {} that is not here",
                    ours.order_id
                ),
            );
            return Ok("ignored: unknown order");
        }
        Err(other) => return Err(other.into()),
    };
    let (amount, currency) = (intent.amount, intent.currency.as_str());
    let charge = Charge {
        order_id: &ours.order_id,
        ticket_id: &ours.ticket_id,
        user_id: &ours.user_id,
        amount,
        currency,
        provider_ref,
        idempotency_key: None,
    };
    let price = Cents(order.ticket.price_cents);
    if !charge_matches_order(amount, currency, price, &config.currency) {
        // Never completed: the buyer gets the money back, whatever it was.
        edge::log::event(
            request_id,
            "payment_mismatch_refunded",
            serde_json::json!({
                "providerRef": provider_ref, "orderId": ours.order_id.as_str(),
                "charged": amount.0, "chargedCurrency": currency,
                "price": price.0, "currency": config.currency,
            }),
        );
        let row = record_charge(env, &config.provider, &charge).await?;
        refund_charge(env, &config.provider, row, now).await?;
        return Ok("refunded: the amount or currency differs from the order's");
    }
    Ok(
        match settle_success(env, &config.provider, charge, request_id, now).await? {
            Settled::Completed(_) => "completed",
            Settled::Refunded(_) => "refunded",
        },
    )
}
