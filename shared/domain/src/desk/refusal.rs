//! Why the desk said no, and what each refusal means over HTTP.

use crate::error::ApiError;
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
    OrderComplete,
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
    /// A resale price above the cap on what the owner paid.
    AboveResaleCap {
        max: crate::money::Cents,
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
            Refusal::AboveResaleCap { max } => ApiError::field(
                "price",
                &format!(
                    "Price must be at most {} (the resale cap on what you paid)",
                    crate::money::display(max)
                ),
            ),
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
}
