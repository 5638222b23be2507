//! After the provider said yes: record the charge, complete the order in its
//! ticket's object, and refund the charge if the order can no longer take it
//! (it expired or was cancelled while the money moved). Shared by POST
//! /api/payments and the webhook, so both end the same way.

use crate::orders::OrderToPay;
use crate::providers::{PaymentProvider, Provider};
use crate::store::{self, PaymentRow};
use domain::desk::{Command, Refusal};
use domain::idempotency::IdempotencyKey;
use domain::ids::{OrderId, TicketId};
use domain::money::Cents;
use domain::orders::OrderStatus;
use domain::payments::{refund_idempotency_key, Payment};
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
) -> Result<Settled, ApiError> {
    let payment = Payment {
        id: format!("pay_{}", uuid::Uuid::new_v4().simple()),
        order_id: charge.order_id.clone(),
        user_id: charge.user_id.to_string(),
        amount: charge.amount,
        currency: charge.currency.to_string(),
        provider: provider.name().to_string(),
        provider_ref: charge.provider_ref.to_string(),
    };
    let row = store::record(
        env,
        &payment,
        charge.idempotency_key.map(IdempotencyKey::as_str),
    )
    .await?;
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
            // Paid: the buyer's open-order slot is free now, not only once
            // the order:completed event arrives.
            OpenOrders::of_buyer(env, charge.user_id, request_id)?
                .free_or_log(charge.order_id)
                .await;
            Ok(Settled::Completed(row))
        }
        Ok(_) | Err(Refusal::OrderCancelled | Refusal::OrderExpired | Refusal::OrderComplete) => {
            // Owed before it is tried: a failed refund stays on record, and
            // the next delivery of this charge's webhook tries it again.
            store::mark_refund_owed(env, &row.provider_ref).await?;
            let refund = provider
                .refund(
                    &row.provider_ref,
                    &refund_idempotency_key(&row.provider_ref),
                )
                .await
                .map_err(|e| {
                    ApiError::internal(format!("refund of {} failed: {e}", row.provider_ref))
                })?;
            store::mark_refunded(env, &row.provider_ref, &refund).await?;
            let refunded = PaymentRow {
                status: "refunded".into(),
                ..row
            };
            Ok(Settled::Refunded(refunded))
        }
        Err(other) => Err(other.into()),
    }
}
