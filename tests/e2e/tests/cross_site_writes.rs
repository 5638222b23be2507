//! Cross-site writes are refused with or without a cookie: another site can
//! neither sign a visitor in to an account of its choosing (login CSRF) nor
//! sign them up or out, through the API or through the forms. Clients that
//! name no sender (curl, servers) and the site itself keep working.
//!
//! Stack: api (see scripts/test.sh)

use e2e::purchase::Purchase;
use e2e::{errors, unique_email, TestClient, TestUser, PASSWORD};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};

/// How a browser names a request sent on behalf of another site; each is
/// refused on its own.
#[derive(Clone, Copy, Debug)]
enum Forged {
    ForeignOrigin,
    NullOrigin,
    CrossSiteFetch,
}

const FORGED: [Forged; 3] = [
    Forged::ForeignOrigin,
    Forged::NullOrigin,
    Forged::CrossSiteFetch,
];

impl Forged {
    fn on(self, request: RequestBuilder) -> RequestBuilder {
        match self {
            Forged::ForeignOrigin => request.header("origin", "https://evil.example"),
            Forged::NullOrigin => request.header("origin", "null"),
            Forged::CrossSiteFetch => request.header("sec-fetch-site", "cross-site"),
        }
    }
}

/// A 403 that set no cookie.
fn assert_refused(response: &Response, what: &str) {
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "{what}");
    assert!(
        response.headers().get("set-cookie").is_none(),
        "{what} set a cookie"
    );
}

/// `POST path` with a JSON body, as `forged`, from `client`.
async fn forged_json(client: &TestClient, forged: Forged, path: &str, body: Value) -> Response {
    let request = client.http.post(client.url(path)).json(&body);
    forged.on(request).send().await.expect("POST")
}

/// A form post to a page, as `forged`, from `client`.
async fn forged_form(
    client: &TestClient,
    forged: Forged,
    path: &str,
    fields: &[(&str, &str)],
) -> Response {
    let request = client.http.post(client.url(path)).form(fields);
    forged.on(request).send().await.expect("POST")
}

#[tokio::test]
async fn another_site_cannot_sign_a_visitor_up_or_in_through_the_api() {
    let attacker = TestUser::signed_up().await;
    for forged in FORGED {
        let visitor = TestClient::anonymous();
        let email = unique_email();
        let credentials = json!({ "email": email, "password": PASSWORD });
        let signup = forged_json(&visitor, forged, "/api/users/signup", credentials).await;
        assert_refused(&signup, &format!("sign-up, {forged:?}"));
        assert_eq!(
            errors(signup).await,
            [("Cross-site request refused".into(), None)]
        );
        let into_attackers = json!({ "email": attacker.email, "password": PASSWORD });
        let signin = forged_json(&visitor, forged, "/api/users/signin", into_attackers).await;
        assert_refused(&signin, &format!("sign-in, {forged:?}"));

        assert_eq!(visitor.current_user().await, Value::Null, "{forged:?}");
        let no_account = TestClient::anonymous().signin(&email, PASSWORD).await;
        assert_eq!(no_account.status(), StatusCode::BAD_REQUEST, "{forged:?}");
    }
}

#[tokio::test]
async fn another_site_cannot_sign_a_visitor_out_through_the_api() {
    let user = TestUser::signed_up().await;
    for forged in FORGED {
        let cookieless = TestClient::anonymous();
        let signout = forged_json(&cookieless, forged, "/api/users/signout", json!({})).await;
        assert_refused(&signout, &format!("sign-out without a cookie, {forged:?}"));
        let signout = forged_json(&user, forged, "/api/users/signout", json!({})).await;
        assert_refused(&signout, &format!("sign-out with a cookie, {forged:?}"));
        assert!(user.current_user().await.is_object(), "still signed in");
    }
}

#[tokio::test]
async fn another_site_cannot_sign_a_visitor_up_in_or_out_through_the_forms() {
    let attacker = TestUser::signed_up().await;
    for forged in FORGED {
        let visitor = TestClient::anonymous();
        let email = unique_email();
        let signup = forged_form(
            &visitor,
            forged,
            "/auth/signup",
            &[("email", &email), ("password", PASSWORD)],
        )
        .await;
        assert_refused(&signup, &format!("sign-up form, {forged:?}"));
        let signin = forged_form(
            &visitor,
            forged,
            "/auth/signin",
            &[("email", &attacker.email), ("password", PASSWORD)],
        )
        .await;
        assert_refused(&signin, &format!("sign-in form, {forged:?}"));
        let signout = forged_form(&visitor, forged, "/auth/signout", &[]).await;
        assert_refused(&signout, &format!("sign-out form, {forged:?}"));

        assert_eq!(visitor.current_user().await, Value::Null, "{forged:?}");
        let no_account = TestClient::anonymous().signin(&email, PASSWORD).await;
        assert_eq!(no_account.status(), StatusCode::BAD_REQUEST, "{forged:?}");
    }
    let signed_in = forged_form(&attacker, Forged::CrossSiteFetch, "/auth/signout", &[]).await;
    assert_refused(&signed_in, "sign-out form with a cookie");
    assert!(attacker.current_user().await.is_object(), "still signed in");
}

#[tokio::test]
async fn writes_to_every_service_and_form_are_refused_from_another_site() {
    let p = Purchase::new(json!(10)).await;
    let (ticket, order) = (p.ticket_id.as_str(), p.order.id.as_str());
    let ticket_before = p.ticket_now().await;
    for forged in FORGED {
        let seller = &p.seller.client;
        let buyer = &p.buyer.client;
        let attempts = [
            forged
                .on(seller.http.post(seller.url("/api/tickets")))
                .json(&json!({ "title": "Forged", "price": 1 })),
            forged
                .on(seller
                    .http
                    .put(seller.url(&format!("/api/tickets/{ticket}"))))
                .json(&json!({ "title": "Forged", "price": 1 })),
            forged
                .on(buyer.http.post(buyer.url("/api/orders")))
                .json(&json!({ "ticketId": ticket })),
            forged.on(buyer
                .http
                .delete(buyer.url(&format!("/api/orders/{order}")))),
            forged
                .on(buyer.http.post(buyer.url("/api/payments")))
                .json(&json!({ "orderId": order, "token": "tok_visa" })),
            forged
                .on(seller.http.post(seller.url("/tickets/new")))
                .form(&[("title", "Forged"), ("price", "1")]),
            forged
                .on(buyer
                    .http
                    .post(buyer.url(&format!("/tickets/{ticket}/purchase"))))
                .form(&[("x", "")]),
            forged
                .on(buyer
                    .http
                    .post(buyer.url(&format!("/orders/{order}/cancel"))))
                .form(&[("x", "")]),
            forged
                .on(buyer.http.post(buyer.url(&format!("/orders/{order}/pay"))))
                .form(&[("token", "tok_visa"), ("attempt", "forged")]),
        ];
        for attempt in attempts {
            // Sent by the client that built it, with that user's cookie.
            let (client, request) = attempt.build_split();
            let request = request.expect("a request");
            let what = format!("{} {}, {forged:?}", request.method(), request.url().path());
            let response = client.execute(request).await.expect("a response");
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{what}");
        }
    }
    assert_eq!(
        p.order_now().await["status"],
        "created",
        "not cancelled, not paid"
    );
    assert_eq!(
        p.ticket_now().await,
        ticket_before,
        "not edited, still reserved"
    );
    assert_eq!(p.payments().await, Vec::<Value>::new());
}

#[tokio::test]
async fn clients_that_name_no_sender_and_the_site_itself_still_sign_in_and_out() {
    // reqwest sends neither Origin nor Sec-Fetch-Site, as curl or a server.
    let client = TestClient::anonymous();
    let email = unique_email();
    assert_eq!(
        client.signup(&email, PASSWORD).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(client.signout().await.status(), StatusCode::OK);
    assert_eq!(
        client.signin(&email, PASSWORD).await.status(),
        StatusCode::OK
    );

    // What a browser on the site itself sends.
    let own = |request: RequestBuilder| {
        request
            .header("origin", client.base.as_str())
            .header("sec-fetch-site", "same-origin")
    };
    let api = own(client.http.post(client.url("/api/users/signin")))
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::OK);
    let visitor = TestClient::anonymous();
    for with_headers in [false, true] {
        let form = visitor
            .http
            .post(visitor.url("/auth/signin"))
            .form(&[("email", email.as_str()), ("password", PASSWORD)]);
        let form = if with_headers { own(form) } else { form };
        let signed_in = form.send().await.unwrap();
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER, "{with_headers}");
        assert!(signed_in.headers().get("set-cookie").is_some());
        assert_eq!(visitor.current_user().await["email"], email.as_str());
        let signout = visitor.http.post(visitor.url("/auth/signout"));
        let signout = if with_headers { own(signout) } else { signout };
        assert_eq!(
            signout.send().await.unwrap().status(),
            StatusCode::SEE_OTHER
        );
        assert_eq!(visitor.current_user().await, Value::Null);
    }
}

#[tokio::test]
async fn the_stripe_webhook_is_exempt() {
    // Stripe is no browser and the handler checks its signature; on this stack
    // (no webhook secret) that check, not the CSRF guard, refuses it.
    let client = TestClient::anonymous();
    let response = forged_json(
        &client,
        Forged::ForeignOrigin,
        "/api/payments/webhook",
        json!({"id": "evt_1", "type": "payment_intent.succeeded"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
