//! The signed-in user's own lists: what they sell (`/selling`, with their
//! totals) and what they bought and hold (`/my-tickets`, with resale forms).

use super::format::{money, price, when};
use super::layout;
use super::tickets::badge;
use crate::services::PageContext;
use domain::tickets::{ListingState, TicketView};
use maud::{html, Markup};

/// Totals of a seller: `GET /api/tickets/sales`.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesTotals {
    pub listed: i64,
    pub sold: i64,
    pub earned_cents: i64,
}

/// What a seller has listed, in every state, with their totals.
pub fn selling(
    ctx: &PageContext,
    listings: &[TicketView],
    totals: &SalesTotals,
    next_page: Option<&str>,
) -> Markup {
    layout(
        ctx,
        "Selling",
        html! {
            section.listing {
                h1 { "Your listings" }
                dl.totals data-testid="totals" {
                    div { dt { "Listed" } dd data-testid="listed" { (totals.listed) } }
                    div { dt { "Sold" } dd data-testid="sold" { (totals.sold) } }
                    div { dt { "Earned" } dd data-testid="earned" { (money(totals.earned_cents)) } }
                }
                @if listings.is_empty() {
                    p.empty { "You have not listed a ticket yet. " a href="/tickets/new" { "Sell one" } "." }
                } @else {
                    table.tickets.rows-link data-testid="listings" {
                        thead { tr { th scope="col" { "Ticket" } th scope="col" { "State" } th.num scope="col" { "Price" } } }
                        tbody {
                            @for ticket in listings {
                                tr {
                                    td {
                                        a.row-link href=(format!("/tickets/{}", ticket.id)) { (ticket.title) }
                                        @if let Some(event) = &ticket.event { br; span.muted { (event.name) ", " (when(&event.starts_at)) } }
                                    }
                                    td {
                                        (badge(ticket))
                                        @match (&ticket.held_until, &ticket.sold_at) {
                                            (_, Some(sold_at)) => { br; span.muted { (when(sold_at)) } }
                                            (Some(until), None) => { br; span.muted { "until " (when(until)) } }
                                            _ => {}
                                        }
                                    }
                                    td.num { (money(ticket.price_cents)) }
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

/// What the signed-in user bought and still holds, each with a resale form
/// (or its listing), and `errors` of a refused resale by ticket id.
pub fn my_tickets(
    ctx: &PageContext,
    owned: &[TicketView],
    refused: Option<(&str, &str, &[String])>,
    next_page: Option<&str>,
) -> Markup {
    layout(
        ctx,
        "My tickets",
        html! {
            section.listing {
                h1 { "My tickets" }
                @if owned.is_empty() {
                    p.empty data-testid="no-tickets" { "Tickets you buy show up here. " a href="/" { "Find one" } "." }
                } @else {
                    table.tickets data-testid="my-tickets" {
                        thead { tr { th scope="col" { "Ticket" } th.num scope="col" { "Paid" } th scope="col" { "Resale" } } }
                        tbody {
                            @for ticket in owned {
                                tr {
                                    td {
                                        a href=(format!("/tickets/{}", ticket.id)) { (ticket.title) }
                                        @if let Some(event) = &ticket.event { br; span.muted { (event.name) ", " (event.venue) ", " (when(&event.starts_at)) } }
                                    }
                                    td.num { (ticket.paid_cents.map(money).unwrap_or_default()) }
                                    td {
                                        @if ticket.state == ListingState::Owned {
                                            (resell_form(ticket, refused.filter(|(id, _, _)| *id == ticket.id)))
                                        } @else {
                                            (badge(ticket)) " at " (money(ticket.price_cents))
                                        }
                                    }
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

/// A price box and a Resell button, starting at the cap; a refusal shown under it.
fn resell_form(ticket: &TicketView, refused: Option<(&str, &str, &[String])>) -> Markup {
    let max = ticket
        .resale_max_cents
        .or(ticket.paid_cents)
        .unwrap_or(ticket.price_cents);
    let typed = refused.map_or_else(|| price(max), |(_, typed, _)| typed.to_string());
    let field = format!("price-{}", ticket.id);
    html! {
        form.resell method="post" action=(format!("/tickets/{}/resell", ticket.id)) novalidate {
            label.visually-hidden for=(field) { "Resale price" }
            input id=(field) name="price" type="text" inputmode="decimal" value=(typed) size="8";
            button type="submit" data-testid="resell" { "Resell" }
            p.hint { "At most " (money(max)) }
            @if let Some((_, _, errors)) = refused {
                @for message in errors { p.field-error role="alert" { (message) } }
            }
        }
    }
}
