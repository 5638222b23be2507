//! Tickets: the list of tickets for sale, one ticket, the sell / edit form
//! and the seller's own listings.

use super::format::{money, when};
use super::{general_errors, layout, layout_with_head, live_script, Field};
use crate::forms::FormErrors;
use crate::services::PageContext;
use domain::ticket_search::Sort;
use domain::tickets::{ListingState, TicketView, Transfer};
use maud::{html, Markup};

pub fn state_label(state: ListingState) -> &'static str {
    match state {
        ListingState::Available => "Available",
        ListingState::Reserved => "Reserved",
        ListingState::Sold => "Sold",
        ListingState::Closed => "Closed",
        ListingState::Withdrawn => "Withdrawn",
        ListingState::Owned => "Owned",
    }
}

fn state_class(state: ListingState) -> &'static str {
    match state {
        ListingState::Available | ListingState::Owned => "status status-ok",
        ListingState::Reserved => "status status-wait",
        ListingState::Sold | ListingState::Closed | ListingState::Withdrawn => "status status-done",
    }
}

pub fn badge(ticket: &TicketView) -> Markup {
    html! { span class=(state_class(ticket.state)) data-testid="ticket-status" { (state_label(ticket.state)) } }
}

const SORTS: [(Sort, &str); 4] = [
    (Sort::Newest, "Newest"),
    (Sort::Price, "Price: low to high"),
    (Sort::PriceDescending, "Price: high to low"),
    (Sort::StartsAt, "Event date"),
];

/// The search box and sort control: a plain GET form, no script needed.
fn search_form(q: &str, sort: Sort) -> Markup {
    html! {
        form.search method="get" action="/" role="search" {
            label for="q" { "Search" }
            input #q type="search" name="q" value=(q) placeholder="Artist, event or venue" maxlength="100";
            label for="sort" { "Sort by" }
            select #sort name="sort" {
                @for (option, label) in SORTS {
                    option value=(option.as_str()) selected[option == sort] { (label) }
                }
            }
            button type="submit" { "Search" }
        }
    }
}

/// How the start page's list follows the market (`static/live-list.js`).
pub struct LiveList {
    /// When the page was made (ms): listings after it are new to it.
    pub since: i64,
    /// The newest first page shows new listings in place; any other page
    /// counts them in a notice, so a list being read does not jump.
    pub inline: bool,
    /// The notice's link: the first page of the same search.
    pub first_page: String,
}

/// The tickets for sale on the start page, with a link to the next page.
/// Each row opens its ticket (the title's link covers the row).
pub fn listing(
    tickets: &[TicketView],
    next_page: Option<&str>,
    q: &str,
    sort: Sort,
    live: &LiveList,
) -> Markup {
    html! {
        section.listing aria-labelledby="for-sale" data-live-list="/api/tickets/live"
            data-since=(live.since) data-q=(q.trim()) data-inline[live.inline] {
            h2 #for-sale { "Tickets for sale" }
            (search_form(q, sort))
            p.notice.live-notice data-testid="new-tickets" role="status" hidden {
                a href=(live.first_page) {}
            }
            div data-live-rows {
                @if tickets.is_empty() {
                    p.empty data-testid="no-tickets" {
                        @if q.is_empty() { "No tickets for sale right now. Check back soon." }
                        @else { "No tickets match “" (q) "”." }
                    }
                } @else {
                    table.tickets.rows-link data-testid="tickets" {
                        thead {
                            tr {
                                th scope="col" { "Ticket" }
                                th scope="col" { "Event" }
                                th scope="col" { "Date" }
                                th.num scope="col" { "Price" }
                            }
                        }
                        tbody {
                            @for ticket in tickets {
                                tr data-ticket=(ticket.id) data-version=(ticket.version) {
                                    td { a.row-link href=(format!("/tickets/{}", ticket.id)) { (ticket.title) } }
                                    td {
                                        @if let Some(event) = &ticket.event {
                                            (event.name) br; span.muted { (event.venue) }
                                        } @else { span.muted { "—" } }
                                    }
                                    td { @if let Some(event) = &ticket.event { (when(&event.starts_at)) } }
                                    td.num {
                                        span data-field="price" { (money(ticket.price_cents)) }
                                        " "
                                        span data-field="state" {
                                            @if ticket.state != ListingState::Available { (badge(ticket)) }
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
        }
    }
}

/// One ticket, with what the visitor may do with it. `errors` come from a
/// refused purchase.
pub fn detail(
    ctx: &PageContext,
    ticket: &TicketView,
    custody: &[Transfer],
    errors: &[String],
) -> Markup {
    let state = ticket.state;
    let own = ctx.is_user(&ticket.user_id);
    // Held by someone else: the button stays, disabled, so that the live
    // script can enable it again when the hold ends.
    let buyable = matches!(state, ListingState::Available | ListingState::Reserved);
    layout_with_head(
        ctx,
        &ticket.title,
        live_script("live-ticket.js"),
        html! {
            article.card data-live=(format!("/api/tickets/{}/live", ticket.id)) {
                h1 data-testid="ticket-title" { (ticket.title) }
                @for message in errors {
                    p.error-banner role="alert" { (message) }
                }
                dl.facts {
                    @if let Some(event) = &ticket.event {
                        dt { "Event" }
                        dd data-testid="ticket-event" { (event.name) }
                        dt { "Venue" }
                        dd { (event.venue) }
                        dt { "Starts" }
                        dd { (when(&event.starts_at)) }
                    }
                    dt { "Price" }
                    dd data-testid="ticket-price" { (money(ticket.price_cents)) }
                    dt { "Status" }
                    dd {
                        (badge(ticket))
                        span data-testid="held-until" {
                            @if let Some(until) = &ticket.held_until { " until " (when(until)) }
                        }
                    }
                }
                @if buyable && !own && ctx.user.is_some() {
                    form method="post" action=(format!("/tickets/{}/purchase", ticket.id)) {
                        button.primary type="submit" data-testid="purchase" disabled[state != ListingState::Available] { "Purchase" }
                    }
                } @else if state == ListingState::Available {
                    @if ctx.user.is_none() {
                        p.aside { a href="/auth/signin" { "Sign in" } " to buy this ticket." }
                    } @else if own {
                        p.aside { "You are selling this ticket." }
                        div.actions {
                            a.button href=(format!("/tickets/{}/edit", ticket.id)) data-testid="edit" { "Edit" }
                            form.inline method="post" action=(format!("/tickets/{}/withdraw", ticket.id)) {
                                button type="submit" data-testid="withdraw" { "Withdraw" }
                            }
                        }
                    }
                } @else if own && state != ListingState::Owned {
                    p.aside { (match state {
                        ListingState::Withdrawn => "You withdrew this listing.",
                        ListingState::Closed => "The event has started: this listing is closed.",
                        _ => "You are selling this ticket. It cannot be edited while it is reserved or sold.",
                    }) }
                } @else if state == ListingState::Closed {
                    p.aside { "The event has started: this ticket is no longer for sale." }
                }
                @if own && state == ListingState::Owned {
                    p.aside data-testid="owned" { "You own this ticket. " a href="/my-tickets" { "Resell it" } " from My tickets." }
                }
                @if own && !custody.is_empty() {
                    h2 { "History" }
                    table.tickets data-testid="custody" {
                        thead { tr { th scope="col" { "Sold" } th scope="col" { "From" } th scope="col" { "To" } th.num scope="col" { "Price" } } }
                        tbody {
                            @for sale in custody {
                                tr {
                                    td { (when(&domain::time::iso8601(sale.at))) }
                                    td.nowrap { (person(ctx, sale.from.as_str())) }
                                    td.nowrap { (person(ctx, sale.to.as_str())) }
                                    td.num { (money(sale.price.0)) }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// A user in a ticket's history: "you", or another holder (ids are not names).
fn person(ctx: &PageContext, user_id: &str) -> &'static str {
    if ctx.is_user(user_id) {
        "You"
    } else {
        "Another fan"
    }
}

#[derive(Clone, Copy)]
pub enum TicketForm<'a> {
    New,
    /// Editing the ticket with this id.
    Edit(&'a str),
}

/// What the sell / edit form holds, as typed.
#[derive(Debug, Default, Clone)]
pub struct TicketFields {
    pub title: String,
    pub price: String,
    pub event_name: String,
    pub venue: String,
    /// `2026-12-31T20:00`, a `datetime-local` value, in UTC.
    pub starts_at: String,
}

pub fn form_page(
    ctx: &PageContext,
    form: TicketForm,
    fields: &TicketFields,
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
                    (Field { name: "title", label: "Title", kind: "text", value: &fields.title,
                        autocomplete: "off", inputmode: None }.render(errors))
                    (Field { name: "price", label: "Price (USD)", kind: "text", value: &fields.price,
                        autocomplete: "off", inputmode: Some("decimal") }.render(errors))
                    fieldset.event {
                        legend { "Event (optional)" }
                        (Field { name: "event.name", label: "Event", kind: "text", value: &fields.event_name,
                            autocomplete: "off", inputmode: None }.render(errors))
                        (Field { name: "event.venue", label: "Venue", kind: "text", value: &fields.venue,
                            autocomplete: "off", inputmode: None }.render(errors))
                        (Field { name: "event.startsAt", label: "Starts (UTC)", kind: "datetime-local", value: &fields.starts_at,
                            autocomplete: "off", inputmode: None }.render(errors))
                    }
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
            event: None,
            state: match (order_id, sold) {
                (_, true) => ListingState::Sold,
                (Some(_), false) => ListingState::Reserved,
                (None, false) => ListingState::Available,
            },
            held_until: None,
            sold_at: None,
            currency: "usd".into(),
            paid_cents: None,
            resale_max_cents: None,
        }
    }

    fn live(inline: bool) -> LiveList {
        LiveList {
            since: 1_700_000_000_000,
            inline,
            first_page: "/?q=jazz&sort=price".into(),
        }
    }

    #[test]
    fn the_list_tells_its_script_what_it_shows_and_since_when() {
        let html = listing(
            &[ticket(Some("o"), false)],
            None,
            " jazz ",
            Sort::Price,
            &live(false),
        )
        .into_string();
        assert!(
            html.contains(
                r#"data-live-list="/api/tickets/live" data-since="1700000000000" data-q="jazz">"#
            ),
            "{html}"
        );
        assert!(
            html.contains(
                r#"<tr data-ticket="0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e" data-version="0">"#
            ),
            "{html}"
        );
        assert!(html.contains(r#"<span data-field="state"><span class="status status-wait" data-testid="ticket-status">Reserved</span></span>"#), "{html}");
        assert!(
            html.contains(r#"hidden><a href="/?q=jazz&amp;sort=price"></a></p>"#),
            "{html}"
        );
        let newest = listing(&[], None, "", Sort::Newest, &live(true)).into_string();
        assert!(newest.contains(r#"data-q="" data-inline>"#), "{newest}");
    }

    #[test]
    fn lists_tickets_escaped_with_their_currency_and_a_link_per_row() {
        let html = listing(
            &[ticket(None, false)],
            Some("/?cursor=abc"),
            "",
            Sort::Newest,
            &live(true),
        )
        .into_string();
        assert!(html.contains("Concert &lt;live&gt;"), "{html}");
        assert!(html.contains("$19.90"));
        assert!(
            html.contains(
                r#"<a class="row-link" href="/tickets/0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e""#
            ),
            "{html}"
        );
        assert!(html.contains(r#"href="/?cursor=abc""#));
    }

    #[test]
    fn the_search_form_keeps_what_was_asked() {
        let html = listing(&[], None, "jazz <club>", Sort::Price, &live(false)).into_string();
        assert!(html.contains(r#"value="jazz &lt;club&gt;""#), "{html}");
        assert!(
            html.contains(r#"<option value="price" selected>"#),
            "{html}"
        );
        assert!(html.contains("No tickets match"));
    }

    #[test]
    fn an_empty_list_says_so() {
        let html = listing(&[], None, "", Sort::Newest, &live(true)).into_string();
        assert!(html.contains("No tickets for sale"));
        assert!(!html.contains("Next page"));
    }
}
