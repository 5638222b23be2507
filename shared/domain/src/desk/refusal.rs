//! Why the desk said no, and what each refusal means over HTTP.

use crate::http::error::ApiError;
use serde::{Deserialize, Serialize};

/// Why the desk said no. Crosses the Durable Object boundary as JSON and
/// becomes an HTTP error in `From<Refusal> for ApiError`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    TicketNotFound,
    TicketExists,
    OrderNotFound,
    NotOwner,
    TicketReserved,
    TicketSold,
    AlreadyReserved,
    OwnTicket,
    /// A completed order cannot be cancelled.
    OrderComplete,
    /// A completed order cannot be paid again.
    AlreadyPaid,
    PaymentInProgress,
    OrderCancelled,
    OrderExpired,
    /// The listing was withdrawn by its seller.
    TicketWithdrawn,
    /// The listing's event has started: it is closed.
    EventStarted,
    /// An owned ticket that its owner has not put up for sale.
    NotForSale,
    /// Only a ticket bought here can be resold.
    NotResellable,
    /// A resale is listed already (its price is edited like any listing's).
    AlreadyListed,
    /// An edit of a bought ticket's title or event: they say what was sold.
    DescriptionFixed,
    /// A resale price above the cap on what the owner paid.
    AboveResaleCap {
        max: crate::money::Cents,
    },
    /// The buyer holds `MAX_OPEN_ORDERS` unpaid orders already; a slot
    /// frees up in `retry_after_seconds` at the latest.
    TooManyOpenOrders {
        max: u32,
        retry_after_seconds: u64,
    },
    /// `MAX_OPEN_ORDERS_PER_ADDRESS` unpaid holds come from the client's
    /// address already, across all its accounts.
    TooManyHoldsFromAddress {
        max: u32,
        retry_after_seconds: u64,
    },
    /// The buyer let their hold on this ticket expire a moment ago
    /// (`REHOLD_COOLDOWN_SECONDS`).
    ReholdCooldown {
        retry_after_seconds: u64,
    },
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        let bad = |m: &str| ApiError::BadRequest(m.into());
        match refusal {
            Refusal::TicketNotFound | Refusal::OrderNotFound => ApiError::NotFound,
            Refusal::TicketExists => ApiError::internal("ticket id collision"),
            Refusal::NotOwner => ApiError::NotAuthorized,
            Refusal::TicketReserved => bad("Cannot edit a reserved ticket"),
            Refusal::TicketSold => bad("Cannot edit a sold ticket"),
            Refusal::AlreadyReserved => bad("Ticket is already reserved"),
            Refusal::OwnTicket => bad("You cannot buy your own ticket"),
            Refusal::OrderComplete => bad("Cannot cancel a completed order"),
            Refusal::AlreadyPaid => bad("This order has already been paid"),
            Refusal::PaymentInProgress => {
                bad("Cannot cancel an order while its payment is in progress")
            }
            Refusal::OrderCancelled => bad("Cannot pay for a cancelled order"),
            Refusal::OrderExpired => bad("Cannot pay for an expired order"),
            Refusal::TicketWithdrawn => bad("This listing was withdrawn"),
            Refusal::EventStarted => bad("The event has started: this listing is closed"),
            Refusal::NotForSale => bad("This ticket is not for sale"),
            Refusal::NotResellable => bad("Only a ticket you bought here can be resold"),
            Refusal::AlreadyListed => bad("This ticket is already listed for sale"),
            Refusal::DescriptionFixed => bad(
                "A bought ticket's title and event say what was sold: only its price can change",
            ),
            Refusal::AboveResaleCap { max } => ApiError::field(
                "price",
                &format!(
                    "Price must be at most {} (the resale cap on what you paid)",
                    crate::money::display(max)
                ),
            ),
            Refusal::TooManyOpenOrders {
                max,
                retry_after_seconds,
            } => {
                let orders = if max == 1 { "order" } else { "orders" };
                ApiError::TooManyRequests {
                    message: format!("You already hold {max} unpaid {orders}: pay for or cancel one before reserving another ticket"),
                    retry_after_seconds,
                }
            }
            Refusal::TooManyHoldsFromAddress {
                max,
                retry_after_seconds,
            } => ApiError::TooManyRequests {
                message: format!(
                    "{max} unpaid orders are held from your address already; try again later"
                ),
                retry_after_seconds,
            },
            Refusal::ReholdCooldown {
                retry_after_seconds,
            } => ApiError::TooManyRequests {
                message:
                    "Your hold on this ticket expired a moment ago; you can hold it again shortly"
                        .into(),
                retry_after_seconds,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_map_to_the_original_messages() {
        let status = |r: Refusal| ApiError::from(r).status();
        assert_eq!(status(Refusal::TicketNotFound), 404);
        assert_eq!(status(Refusal::NotOwner), 401);
        assert_eq!(
            ApiError::from(Refusal::AlreadyReserved),
            ApiError::BadRequest("Ticket is already reserved".into())
        );
        assert_eq!(
            ApiError::from(Refusal::TicketReserved),
            ApiError::BadRequest("Cannot edit a reserved ticket".into())
        );
    }

    #[test]
    fn too_many_open_orders_is_a_429_that_says_how_many_and_when() {
        let refused = |max| {
            ApiError::from(Refusal::TooManyOpenOrders {
                max,
                retry_after_seconds: 7,
            })
        };
        assert_eq!(
            refused(5),
            ApiError::TooManyRequests {
                message: "You already hold 5 unpaid orders: pay for or cancel one before reserving another ticket".into(),
                retry_after_seconds: 7
            }
        );
        let ApiError::TooManyRequests { message, .. } = refused(1) else {
            panic!("not a 429");
        };
        assert!(
            message.starts_with("You already hold 1 unpaid order:"),
            "{message}"
        );
    }
}
