//! Tickets: the list of tickets for sale, one ticket, and the sell / edit form.

use super::{general_errors, layout, Field};
use crate::forms::FormErrors;
use crate::services::PageContext;
use domain::money::Cents;
use domain::tickets::TicketView;
use maud::{html, Markup};

/// `12.50`: prices are shown from their cents, never from the float.
pub fn price(cents: i64) -> String {
    Cents(cents).to_string()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketStatus {
    Available,
    Reserved,
    Sold,
}

impl TicketStatus {
    pub fn of(ticket: &TicketView) -> Self {
        if ticket.sold {
            TicketStatus::Sold
        } else if ticket.order_id.is_some() {
            TicketStatus::Reserved
        } else {
            TicketStatus::Available
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TicketStatus::Available => "Available",
            TicketStatus::Reserved => "Reserved",
            TicketStatus::Sold => "Sold",
        }
    }

    fn class(self) -> &'static str {
        match self {
            TicketStatus::Available => "status status-ok",
            TicketStatus::Reserved => "status status-wait",
            TicketStatus::Sold => "status status-done",
        }
    }
}

/// The tickets for sale on the start page, with a link to the next page.
pub fn listing(tickets: &[TicketView], next_page: Option<&str>) -> Markup {
    html! {
        section.listing aria-labelledby="for-sale" {
            h2 #for-sale { "Tickets for sale" }
            @if tickets.is_empty() {
                p.empty data-testid="no-tickets" { "No tickets for sale right now. Check back soon." }
            } @else {
                table.tickets data-testid="tickets" {
                    thead {
                        tr {
                            th scope="col" { "Title" }
                            th.num scope="col" { "Price" }
                            th scope="col" { span.visually-hidden { "Details" } }
                        }
                    }
                    tbody {
                        @for ticket in tickets {
                            tr {
                                td { (ticket.title) }
                                td.num { (price(ticket.price_cents)) }
                                td.action { a href=(format!("/tickets/{}", ticket.id)) { "View" } }
                            }
                        }
                    }
                }
            }
            @if let Some(href) = next_page {
                p.pager { a href=(href) rel="next" { "Next page" } }
            }
        }
    }
}

/// One ticket, with what the visitor may do with it. `errors` come from a
/// refused purchase.
pub fn detail(ctx: &PageContext, ticket: &TicketView, errors: &[String]) -> Markup {
    let status = TicketStatus::of(ticket);
    let own = ctx.is_user(&ticket.user_id);
    layout(
        ctx,
        &ticket.title,
        html! {
            article.card {
                h1 data-testid="ticket-title" { (ticket.title) }
                @for message in errors {
                    p.error-banner role="alert" { (message) }
                }
                dl.facts {
                    dt { "Price" }
                    dd data-testid="ticket-price" { (price(ticket.price_cents)) }
                    dt { "Status" }
                    dd { span class=(status.class()) data-testid="ticket-status" { (status.label()) } }
                }
                @if status == TicketStatus::Available {
                    @if ctx.user.is_none() {
                        p.aside { a href="/auth/signin" { "Sign in" } " to buy this ticket." }
                    } @else if own {
                        p.aside { "You are selling this ticket." }
                        a.button href=(format!("/tickets/{}/edit", ticket.id)) data-testid="edit" { "Edit" }
                    } @else {
                        form method="post" action=(format!("/tickets/{}/purchase", ticket.id)) {
                            button.primary type="submit" data-testid="purchase" { "Purchase" }
                        }
                    }
                } @else if own {
                    p.aside { "You are selling this ticket. It cannot be edited while it is reserved or sold." }
                }
            }
        },
    )
}

#[derive(Clone, Copy)]
pub enum TicketForm<'a> {
    New,
    /// Editing the ticket with this id.
    Edit(&'a str),
}

/// The sell / edit form, with what was typed and the API's errors.
pub fn form_page(
    ctx: &PageContext,
    form: TicketForm,
    title: &str,
    price: &str,
    errors: &FormErrors,
) -> Markup {
    let (heading, action, button) = match form {
        TicketForm::New => ("Sell a ticket", "/tickets/new".to_string(), "List ticket"),
        TicketForm::Edit(id) => ("Edit ticket", format!("/tickets/{id}/edit"), "Save changes"),
    };
    layout(
        ctx,
        heading,
        html! {
            div.card {
                h1 { (heading) }
                (general_errors(errors))
                form method="post" action=(action) novalidate {
                    (Field { name: "title", label: "Title", kind: "text", value: title,
                        autocomplete: "off", inputmode: None }.render(errors))
                    (Field { name: "price", label: "Price", kind: "text", value: price,
                        autocomplete: "off", inputmode: Some("decimal") }.render(errors))
                    button.primary type="submit" { (button) }
                }
                @if let TicketForm::Edit(id) = form {
                    p.aside { a href=(format!("/tickets/{id}")) { "Back to the ticket" } }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(order_id: Option<&str>, sold: bool) -> TicketView {
        TicketView {
            id: "0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e".into(),
            title: "Concert <live>".into(),
            price: 19.9,
            price_cents: 1990,
            user_id: "u1".into(),
            version: 0,
            order_id: order_id.map(Into::into),
            sold,
            created_at: "2026-11-25T20:44:49.033Z".into(),
        }
    }

    #[test]
    fn a_ticket_is_available_reserved_or_sold() {
        assert_eq!(
            TicketStatus::of(&ticket(None, false)),
            TicketStatus::Available
        );
        assert_eq!(
            TicketStatus::of(&ticket(Some("o"), false)),
            TicketStatus::Reserved
        );
        assert_eq!(TicketStatus::of(&ticket(None, true)), TicketStatus::Sold);
    }

    #[test]
    fn lists_tickets_escaped_with_two_decimals() {
        let html = listing(&[ticket(None, false)], Some("/?cursor=abc")).into_string();
        assert!(html.contains("Concert &lt;live&gt;"), "{html}");
        assert!(html.contains("19.90"));
        assert!(html.contains(r#"href="/tickets/0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e""#));
        assert!(html.contains(r#"href="/?cursor=abc""#));
    }

    #[test]
    fn an_empty_list_says_so() {
        let html = listing(&[], None).into_string();
        assert!(html.contains("No tickets for sale"));
        assert!(!html.contains("Next page"));
    }
}
