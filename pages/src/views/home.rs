use super::layout;
use crate::services::PageContext;
use maud::{html, Markup};

pub fn page(ctx: &PageContext) -> Markup {
    layout(
        ctx,
        "Tickets",
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
        },
    )
}
