use super::layout;
use crate::forms::FormErrors;
use crate::services::PageContext;
use maud::{html, Markup};

#[derive(Clone, Copy)]
pub enum AuthForm {
    Signup,
    Signin,
}

pub fn page(ctx: &PageContext, form: AuthForm, email: &str, errors: &FormErrors) -> Markup {
    let (title, action, button, password_autocomplete) = match form {
        AuthForm::Signup => ("Sign up", "/auth/signup", "Create account", "new-password"),
        AuthForm::Signin => ("Sign in", "/auth/signin", "Sign in", "current-password"),
    };
    layout(
        ctx,
        title,
        html! {
            div.card {
                h1 { (title) }
                @for message in &errors.general {
                    p.error-banner role="alert" { (message) }
                }
                form method="post" action=(action) novalidate {
                    (field("email", "Email", "email", email, "email", errors))
                    (field("password", "Password", "password", "", password_autocomplete, errors))
                    button.primary type="submit" { (button) }
                }
                @match form {
                    AuthForm::Signup => p.aside { "Already have an account? " a href="/auth/signin" { "Sign in" } },
                    AuthForm::Signin => p.aside { "New here? " a href="/auth/signup" { "Create an account" } },
                }
            }
        },
    )
}

fn field(
    name: &str,
    label: &str,
    kind: &str,
    value: &str,
    autocomplete: &str,
    errors: &FormErrors,
) -> Markup {
    let messages = errors.for_field(name);
    let error_id = format!("{name}-error");
    html! {
        div.field.invalid[!messages.is_empty()] {
            label for=(name) { (label) }
            input id=(name) name=(name) type=(kind) value=(value) autocomplete=(autocomplete)
                aria-invalid=[(!messages.is_empty()).then_some("true")]
                aria-describedby=[(!messages.is_empty()).then_some(error_id.as_str())];
            @if !messages.is_empty() {
                p.field-error id=(error_id) { (messages.join("; ")) }
            }
        }
    }
}

pub fn signout_page(ctx: &PageContext) -> Markup {
    layout(
        ctx,
        "Sign out",
        html! {
            div.card {
                h1 { "Sign out" }
                @if ctx.user.is_some() {
                    form method="post" action="/auth/signout" {
                        button.primary type="submit" { "Sign out" }
                    }
                } @else {
                    p { "You are signed out. " a href="/auth/signin" { "Sign in" } }
                }
            }
        },
    )
}
