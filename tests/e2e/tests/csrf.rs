//! CSRF: every state-changing route of every service, and every form of the
//! pages, refuses a write that carries the user's session cookie but comes
//! from another site's page (403, and nothing changes), and takes the same
//! write from our own site. The services apply the guard themselves, and the
//! forms before they call a service (which they call as our own site), so
//! each route and each form has a test of its own. The webhook is exempt by
//! design: Stripe signs it.
//!
//! Stack: api (see scripts/test.sh)

use e2e::csrf::{redirect_location, Write};
use e2e::purchase::Purchase;
use e2e::{errors, eventually, unique_email, OrderId, TestClient, TestUser, TicketId, PASSWORD};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

/// Whether a test writes through the API or posts the page's form.
#[derive(Clone, Copy, Debug)]
enum Via {
    Api,
    Form,
}

/// A title no other test uses.
fn unique_title(what: &str) -> String {
    format!("{what} {}", uuid::Uuid::new_v4().simple())
}

/// No account has `email`: signing in with it is refused.
async fn assert_no_account(email: &str) {
    let response = TestClient::anonymous().signin(email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{email}");
    assert_eq!(
        errors(response).await,
        [("Invalid credentials".into(), None)]
    );
}

/// Who `client`'s cookie says is signed in (null for nobody).
async fn signed_in_id(client: &TestClient) -> Value {
    client.current_user().await["id"].clone()
}

/// The id of what a write from our site created: in the API's JSON, or at
/// the end of the page a form redirected to (`/tickets/<id>`).
async fn created_id(via: Via, response: Response, page: &str) -> String {
    match via {
        Via::Api => {
            let created: Value = response.json().await.expect("what was created");
            created["id"].as_str().expect("an id").to_string()
        }
        Via::Form => {
            let location = redirect_location(&response);
            let id = location.strip_prefix(page).expect(location);
            id.to_string()
        }
    }
}

/// Every title in the tickets list, all pages of it.
async fn all_listed_titles(client: &TestClient) -> Vec<String> {
    let mut titles = Vec::new();
    let mut next = Some(client.url("/api/tickets?limit=100"));
    while let Some(url) = next.take() {
        let response = client.http.get(&url).send().await.expect("GET a page");
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        next = response.headers().get("link").map(|link| {
            let link = link.to_str().expect("ASCII");
            let url = link.trim_start_matches('<').split('>').next();
            url.expect("a URL").to_string()
        });
        let page: Vec<Value> = response.json().await.expect("a page of tickets");
        titles.extend(
            page.iter()
                .filter_map(|t| t["title"].as_str().map(String::from)),
        );
    }
    titles
}

// --- accounts -----------------------------------------------------------------

async fn signing_up(via: Via) {
    let victim = TestUser::signed_up().await;
    let email = unique_email();
    let write = match via {
        Via::Api => Write::api(
            Method::POST,
            "/api/users/signup",
            json!({ "email": email, "password": PASSWORD }),
        ),
        Via::Form => Write::form(
            "/auth/signup",
            &[("email", email.as_str()), ("password", PASSWORD)],
        ),
    };

    write.assert_refused_from_another_site(&victim).await;
    assert_no_account(&email).await;
    assert_eq!(signed_in_id(&victim).await, victim.id, "session kept");

    write.send_from_our_site(&victim).await;
    assert_eq!(victim.current_user().await["email"], email.as_str());
}

#[tokio::test]
async fn api_signup_from_another_site_is_refused_and_creates_no_account() {
    signing_up(Via::Api).await;
}

#[tokio::test]
async fn signup_form_from_another_site_is_refused_and_creates_no_account() {
    signing_up(Via::Form).await;
}

/// Login CSRF: another site signing the victim in to the attacker's account.
async fn signing_in(via: Via) {
    let victim = TestUser::signed_up().await;
    let attacker = TestUser::signed_up().await;
    let (email, password) = (attacker.email.as_str(), PASSWORD);
    let write = match via {
        Via::Api => Write::api(
            Method::POST,
            "/api/users/signin",
            json!({ "email": email, "password": password }),
        ),
        Via::Form => Write::form("/auth/signin", &[("email", email), ("password", password)]),
    };

    write.assert_refused_from_another_site(&victim).await;
    assert_eq!(signed_in_id(&victim).await, victim.id, "not the attacker");

    write.send_from_our_site(&victim).await;
    assert_eq!(signed_in_id(&victim).await, attacker.id);
}

#[tokio::test]
async fn api_signin_from_another_site_is_refused_and_keeps_the_session() {
    signing_in(Via::Api).await;
}

#[tokio::test]
async fn signin_form_from_another_site_is_refused_and_keeps_the_session() {
    signing_in(Via::Form).await;
}

async fn signing_out(via: Via) {
    let victim = TestUser::signed_up().await;
    let write = match via {
        Via::Api => Write::api(Method::POST, "/api/users/signout", Value::Null),
        Via::Form => Write::form("/auth/signout", &[]),
    };

    write.assert_refused_from_another_site(&victim).await;
    assert_eq!(signed_in_id(&victim).await, victim.id, "still signed in");

    write.send_from_our_site(&victim).await;
    assert_eq!(signed_in_id(&victim).await, Value::Null, "signed out");
}

#[tokio::test]
async fn api_signout_from_another_site_is_refused_and_keeps_the_session() {
    signing_out(Via::Api).await;
}

#[tokio::test]
async fn signout_form_from_another_site_is_refused_and_keeps_the_session() {
    signing_out(Via::Form).await;
}

// --- tickets ------------------------------------------------------------------

async fn listing_a_ticket(via: Via) {
    let seller = TestUser::signed_up().await;
    let (forged, genuine) = (unique_title("Forged"), unique_title("Genuine"));
    let write = |title: &str| match via {
        Via::Api => Write::api(
            Method::POST,
            "/api/tickets",
            json!({ "title": title, "price": "5" }),
        ),
        Via::Form => Write::form("/tickets/new", &[("title", title), ("price", "5")]),
    };

    write(&forged)
        .assert_refused_from_another_site(&seller)
        .await;

    let taken = write(&genuine).send_from_our_site(&seller).await;
    let created = TicketId(created_id(via, taken, "/tickets/").await);
    assert_eq!(seller.ticket(&created).await["title"], genuine.as_str());
    // The refused listing, had it been made, would be in the list before the
    // genuine one (events are published in order): it is not.
    eventually("the genuine ticket in the list", || {
        seller.listed_ticket("", &created)
    })
    .await;
    let titles = all_listed_titles(&seller).await;
    assert!(!titles.contains(&forged), "{forged:?} was listed");
}

#[tokio::test]
async fn api_listing_a_ticket_from_another_site_is_refused_and_lists_nothing() {
    listing_a_ticket(Via::Api).await;
}

#[tokio::test]
async fn sell_form_from_another_site_is_refused_and_lists_nothing() {
    listing_a_ticket(Via::Form).await;
}

async fn editing_a_ticket(via: Via) {
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Original", json!(10)).await;
    let write = match via {
        Via::Api => Write::api(
            Method::PUT,
            format!("/api/tickets/{}", ticket.id),
            json!({ "title": "Edited", "price": "1" }),
        ),
        Via::Form => Write::form(
            format!("/tickets/{}/edit", ticket.id),
            &[("title", "Edited"), ("price", "1")],
        ),
    };

    write.assert_refused_from_another_site(&seller).await;
    assert_eq!(seller.ticket(&ticket.id).await, ticket.json, "unchanged");

    write.send_from_our_site(&seller).await;
    let now = seller.ticket(&ticket.id).await;
    assert_eq!(
        (
            now["title"].clone(),
            now["priceCents"].clone(),
            now["version"].clone()
        ),
        (json!("Edited"), json!(100), json!(1))
    );
}

#[tokio::test]
async fn api_editing_a_ticket_from_another_site_is_refused_and_changes_nothing() {
    editing_a_ticket(Via::Api).await;
}

#[tokio::test]
async fn edit_form_from_another_site_is_refused_and_changes_nothing() {
    editing_a_ticket(Via::Form).await;
}

// --- orders and payments ------------------------------------------------------

async fn ordering(via: Via) {
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Wanted", json!(10)).await;
    let buyer = TestUser::signed_up().await;
    let write = match via {
        Via::Api => Write::api(
            Method::POST,
            "/api/orders",
            json!({ "ticketId": ticket.id.as_str() }),
        ),
        Via::Form => Write::form(format!("/tickets/{}/purchase", ticket.id), &[]),
    };

    write.assert_refused_from_another_site(&buyer).await;
    assert_eq!(buyer.orders().await, Vec::<Value>::new(), "no order");
    assert_eq!(seller.ticket(&ticket.id).await, ticket.json, "not held");

    let taken = write.send_from_our_site(&buyer).await;
    let order = OrderId(created_id(via, taken, "/orders/").await);
    assert_eq!(seller.ticket(&ticket.id).await["orderId"], order);
}

#[tokio::test]
async fn api_ordering_from_another_site_is_refused_and_holds_nothing() {
    ordering(Via::Api).await;
}

#[tokio::test]
async fn purchase_form_from_another_site_is_refused_and_holds_nothing() {
    ordering(Via::Form).await;
}

async fn cancelling(via: Via) {
    let p = Purchase::new(json!(10)).await;
    let write = match via {
        Via::Api => Write::api(
            Method::DELETE,
            format!("/api/orders/{}", p.order.id),
            Value::Null,
        ),
        Via::Form => Write::form(format!("/orders/{}/cancel", p.order.id), &[]),
    };

    write.assert_refused_from_another_site(&p.buyer).await;
    assert_eq!(p.order_now().await, p.order.json, "still created");
    assert_eq!(p.ticket_now().await["orderId"], p.order.id, "still held");

    write.send_from_our_site(&p.buyer).await;
    assert_eq!(p.order_now().await["status"], "cancelled");
    assert_eq!(p.ticket_now().await["orderId"], Value::Null, "released");
}

#[tokio::test]
async fn api_cancelling_from_another_site_is_refused_and_keeps_the_order() {
    cancelling(Via::Api).await;
}

#[tokio::test]
async fn cancel_form_from_another_site_is_refused_and_keeps_the_order() {
    cancelling(Via::Form).await;
}

async fn paying(via: Via) {
    let p = Purchase::new(json!(10)).await;
    let attempt = uuid::Uuid::new_v4().to_string();
    let write = match via {
        Via::Api => Write::api(
            Method::POST,
            "/api/payments",
            json!({ "orderId": p.order.id.as_str(), "token": "tok_visa" }),
        ),
        Via::Form => Write::form(
            format!("/orders/{}/pay", p.order.id),
            &[("attempt", &attempt), ("token", "tok_visa")],
        ),
    };

    write.assert_refused_from_another_site(&p.buyer).await;
    assert_eq!(p.order_now().await, p.order.json, "not paid");
    assert_eq!(p.payments().await, Vec::<Value>::new(), "no charge");
    assert_eq!(p.ticket_now().await["sold"], false);

    write.send_from_our_site(&p.buyer).await;
    assert_eq!(p.order_now().await["status"], "complete");
    assert_eq!(p.payments().await.len(), 1);
}

#[tokio::test]
async fn api_paying_from_another_site_is_refused_and_charges_nothing() {
    paying(Via::Api).await;
}

#[tokio::test]
async fn pay_form_from_another_site_is_refused_and_charges_nothing() {
    paying(Via::Form).await;
}
