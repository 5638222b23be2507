use super::{layout_with_head, live_script};
use crate::services::PageContext;
use crate::views::tickets::{self, LiveList};
use domain::ticket_search::Sort;
use domain::tickets::TicketView;
use maud::{html, Markup};

pub fn page(
    ctx: &PageContext,
    for_sale: &[TicketView],
    next_page: Option<&str>,
    q: &str,
    sort: Sort,
    live: &LiveList,
) -> Markup {
    layout_with_head(
        ctx,
        "Tickets",
        live_script("live-list.js"),
        html! {
            section.hero {
                h1 { "Tickets for the events you love" }
                @if let Some(user) = &ctx.user {
                    p data-testid="welcome" { "You are signed in as " strong { (user.email) } "." }
                } @else {
                    p data-testid="welcome" { "You are not signed in. "
                        a href="/auth/signup" { "Create an account" } " or "
                        a href="/auth/signin" { "sign in" } " to buy and sell tickets." }
                }
            }
            (tickets::listing(for_sale, next_page, q, sort, live))
        },
    )
}
