use super::{general_errors, layout, Field};
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
                (general_errors(errors))
                form method="post" action=(action) novalidate {
                    (Field { name: "email", label: "Email", kind: "email", value: email,
                        autocomplete: "email", inputmode: None }.render(errors))
                    (Field { name: "password", label: "Password", kind: "password", value: "",
                        autocomplete: password_autocomplete, inputmode: None }.render(errors))
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
