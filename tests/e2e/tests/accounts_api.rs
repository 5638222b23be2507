//! Accounts safe for real money, black-box over HTTP: passwords as NIST SP
//! 800-63B asks (8 to 128 characters, the most common refused), hashes that
//! depend on the pepper and old ones upgraded at sign-in, emails compared in
//! Unicode NFC, the `__Host-` session cookie wherever it is Secure, and
//! ticket titles without controls or bidirectional overrides.
//!
//! Stack: api (see scripts/test.sh; the test build's auth routes `_test/*`)

use e2e::{errors, set_cookie, TestClient, TestUser, PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// An email no other test uses, with a non-ASCII local part in composed (NFC)
/// and decomposed (NFD) spellings: `renée` as one code point or as `e` plus
/// U+0301.
fn accented_email() -> (String, String) {
    let unique = uuid::Uuid::new_v4().simple().to_string();
    (
        format!("ren\u{e9}e.{unique}@example.com"),
        format!("rene\u{301}e.{unique}@example.com"),
    )
}

fn plain_email() -> String {
    format!("u{}@example.com", uuid::Uuid::new_v4().simple())
}

async fn password_scheme(email: &str) -> String {
    let client = TestClient::anonymous();
    let url = reqwest::Url::parse_with_params(
        &client.url("/api/users/_test/password-scheme"),
        [("email", email)],
    )
    .unwrap();
    let response = client.http.get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "the scheme of {email}");
    let body: Value = response.json().await.unwrap();
    body["scheme"].as_str().unwrap().to_string()
}

/// An account as the code before the pepper and before email normalisation
/// stored it (test build only).
async fn legacy_account(email: &str, password: &str) -> Value {
    let response = TestClient::anonymous()
        .post_json(
            "/api/users/_test/legacy-user",
            json!({ "email": email, "password": password }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

// --- passwords --------------------------------------------------------------

#[tokio::test]
async fn signup_takes_passwords_of_8_to_128_characters_of_any_kind() {
    for password in [
        "gig-pass",
        &"x".repeat(128),
        "  spaces inside are fine  ",
        "пароль-для-теста ☃ 🎟",
    ] {
        let client = TestClient::anonymous();
        let email = plain_email();
        let response = client.signup(&email, password).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{password:?}");
        let again = TestClient::anonymous().signin(&email, password).await;
        assert_eq!(again.status(), StatusCode::OK, "{password:?}");
    }
}

#[tokio::test]
async fn signup_refuses_passwords_shorter_than_8_or_longer_than_128_characters() {
    for password in ["abcdefg", "   abcdefg   ", &"x".repeat(129)] {
        let email = plain_email();
        let response = TestClient::anonymous().signup(&email, password).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{password:?}");
        assert_eq!(
            errors(response).await,
            [(
                "Password must be between 8 and 128 characters".into(),
                Some("password".into())
            )]
        );
        // Nothing was made: the email is free.
        let signup = TestClient::anonymous().signup(&email, PASSWORD).await;
        assert_eq!(signup.status(), StatusCode::CREATED);
    }
}

#[tokio::test]
async fn signup_refuses_the_most_common_passwords_saying_why() {
    for password in ["password1", "qwertyuiop", "Password123", " iloveyou1 "] {
        let email = plain_email();
        let response = TestClient::anonymous().signup(&email, password).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{password:?}");
        assert!(response.headers().get("set-cookie").is_none());
        assert_eq!(
            errors(response).await,
            [(
                "This password is one of the 10,000 most common passwords: choose another".into(),
                Some("password".into())
            )],
            "{password:?}"
        );
        let signup = TestClient::anonymous().signup(&email, PASSWORD).await;
        assert_eq!(
            signup.status(),
            StatusCode::CREATED,
            "the email stayed free"
        );
    }
}

#[tokio::test]
async fn new_accounts_store_peppered_hashes() {
    let user = TestUser::signed_up().await;
    assert_eq!(password_scheme(&user.email).await, "pbkdf2-sha256-hmac");
}

#[tokio::test]
async fn an_account_from_before_the_pepper_signs_in_with_its_old_password_and_is_upgraded() {
    // A 4-character password: the old rule allowed it, and it keeps working.
    let email = plain_email();
    let account = legacy_account(&email, "abcd").await;
    assert_eq!(password_scheme(&email).await, "pbkdf2-sha256");

    let wrong = TestClient::anonymous().signin(&email, "abce").await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        password_scheme(&email).await,
        "pbkdf2-sha256",
        "not on a failure"
    );

    let client = TestClient::anonymous();
    let signin = client.signin(&email, "abcd").await;
    assert_eq!(signin.status(), StatusCode::OK);
    assert_eq!(signin.json::<Value>().await.unwrap()["id"], account["id"]);
    assert_eq!(client.current_user().await["email"], email.as_str());
    assert_eq!(password_scheme(&email).await, "pbkdf2-sha256-hmac");

    // The upgraded hash holds the same password, and only it.
    let again = TestClient::anonymous().signin(&email, "abcd").await;
    assert_eq!(again.status(), StatusCode::OK);
    let wrong = TestClient::anonymous().signin(&email, "abce").await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
}

// --- emails in NFC -------------------------------------------------------------

#[tokio::test]
async fn a_decomposed_spelling_of_an_email_is_the_same_account() {
    let (composed, decomposed) = accented_email();
    let signup = TestClient::anonymous().signup(&composed, PASSWORD).await;
    assert_eq!(signup.status(), StatusCode::CREATED);
    let account: Value = signup.json().await.unwrap();
    assert_eq!(account["email"], composed.as_str());

    let second = TestClient::anonymous().signup(&decomposed, PASSWORD).await;
    assert_eq!(second.status(), StatusCode::BAD_REQUEST);
    assert_eq!(errors(second).await, [("Email in use".into(), None)]);

    for spelling in [&composed, &decomposed] {
        let signin = TestClient::anonymous().signin(spelling, PASSWORD).await;
        assert_eq!(signin.status(), StatusCode::OK, "{spelling:?}");
        assert_eq!(signin.json::<Value>().await.unwrap(), account);
    }
}

#[tokio::test]
async fn an_account_stored_under_a_decomposed_email_is_found_by_either_spelling() {
    let (composed, decomposed) = accented_email();
    let account = legacy_account(&decomposed, PASSWORD).await;
    for spelling in [&composed, &decomposed] {
        let signin = TestClient::anonymous().signin(spelling, PASSWORD).await;
        assert_eq!(signin.status(), StatusCode::OK, "{spelling:?}");
        assert_eq!(signin.json::<Value>().await.unwrap()["id"], account["id"]);
    }
    let signup = TestClient::anonymous().signup(&composed, PASSWORD).await;
    assert_eq!(signup.status(), StatusCode::BAD_REQUEST);
    assert_eq!(errors(signup).await, [("Email in use".into(), None)]);
}

// --- the __Host- session cookie ------------------------------------------------

/// A loopback name that is not plain `localhost`: the stack treats it as a
/// site served over HTTPS (Secure cookies), and the example keys still serve it.
const SECURE_HOST: &str = "tickets.localhost";

async fn request(
    client: &TestClient,
    method: reqwest::Method,
    path: &str,
    host: Option<&str>,
    cookie: Option<&str>,
) -> reqwest::Response {
    let mut request = client.http.request(method.clone(), client.url(path));
    if let Some(host) = host {
        request = request.header("host", host);
    }
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    if method == reqwest::Method::POST {
        request = request.json(&json!({ "email": "", "password": "" }));
    }
    request.send().await.unwrap()
}

/// Signs `email` up through `client` on the site served over HTTPS (`SECURE_HOST`).
async fn secure_signup(client: &TestClient, email: &str) -> reqwest::Response {
    client
        .http
        .post(client.url("/api/users/signup"))
        .header("host", SECURE_HOST)
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap()
}

async fn current_email(host: Option<&str>, cookie: &str) -> Value {
    let client = TestClient::anonymous();
    let response = request(
        &client,
        reqwest::Method::GET,
        "/api/users/currentuser",
        host,
        Some(cookie),
    )
    .await;
    let body: Value = response.json().await.unwrap();
    body["currentUser"]["email"].clone()
}

#[tokio::test]
async fn a_secure_site_sets_and_reads_only_the_host_prefixed_session_cookie() {
    let email = plain_email();
    let client = TestClient::anonymous();
    let response = secure_signup(&client, &email).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let cookie = set_cookie(&response);
    assert!(cookie.starts_with("__Host-session=ey"), "{cookie}");
    for attribute in ["; Path=/", "; Secure", "; HttpOnly", "; SameSite=Lax"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
    let token = cookie
        .strip_prefix("__Host-session=")
        .and_then(|rest| rest.split(';').next())
        .unwrap();

    let host_cookie = format!("__Host-session={token}");
    let plain_cookie = format!("session={token}");
    assert_eq!(
        current_email(Some(SECURE_HOST), &host_cookie).await,
        email.as_str()
    );
    // The unprefixed name, which a sibling subdomain could plant, is not read there.
    assert_eq!(
        current_email(Some(SECURE_HOST), &plain_cookie).await,
        Value::Null
    );
    // Plain-HTTP loopback keeps the old name (browsers refuse __Host- without Secure).
    assert_eq!(current_email(None, &plain_cookie).await, email.as_str());
    assert_eq!(current_email(None, &host_cookie).await, Value::Null);

    // Signing out there clears the prefixed cookie.
    let signout = request(
        &client,
        reqwest::Method::POST,
        "/api/users/signout",
        Some(SECURE_HOST),
        Some(&host_cookie),
    )
    .await;
    assert_eq!(signout.status(), StatusCode::OK);
    let cleared = set_cookie(&signout);
    assert!(cleared.starts_with("__Host-session=;"), "{cleared}");
    assert!(
        cleared.contains("Max-Age=0") && cleared.contains("; Secure"),
        "{cleared}"
    );
}

#[tokio::test]
async fn the_pages_read_the_host_prefixed_session_cookie() {
    let email = plain_email();
    let client = TestClient::anonymous();
    let signup = secure_signup(&client, &email).await;
    let cookie = set_cookie(&signup);
    let pair = cookie.split(';').next().unwrap().to_string();
    assert!(pair.starts_with("__Host-session="), "{cookie}");
    let page = request(
        &client,
        reqwest::Method::GET,
        "/",
        Some(SECURE_HOST),
        Some(&pair),
    )
    .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&email),
        "the home page shows who is signed in"
    );
}

// --- ticket titles --------------------------------------------------------------

#[tokio::test]
async fn titles_with_controls_or_bidirectional_overrides_are_refused() {
    let seller = TestUser::signed_up().await;
    let message = "Title must not contain control characters or invisible formatting \
                   characters (such as bidirectional overrides)";
    for title in [
        "Concert \u{202E}3202 ,tsuguA",
        "Opera \u{2066}front row\u{2069}",
        "Jazz\u{200B}night",
        "Two\nlines",
        "Tab\tseparated",
        "Escape \u{1b}[31mred",
    ] {
        let response = seller
            .post_json("/api/tickets", json!({ "title": title, "price": 20 }))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{title:?}");
        assert_eq!(
            errors(response).await,
            [(message.into(), Some("title".into()))],
            "{title:?}"
        );
    }
    // Accents, emoji sequences (with their zero-width joiners) and other
    // scripts are titles like any other.
    for title in [
        "Die Zauberflöte — Opéra",
        "Family pass \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}",
        "\u{645}\u{648}\u{633}\u{64A}\u{642}\u{649} live",
    ] {
        let response = seller
            .post_json("/api/tickets", json!({ "title": title, "price": 20 }))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "{title:?}");
    }
    // The refused ones made nothing: the seller lists the three above only.
    let listed = e2e::eventually("the seller's three listings", || async {
        let mine = seller.get_json("/api/tickets?seller=me").await;
        let titles: Vec<String> = mine
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t["title"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        (titles.len() == 3).then_some(titles)
    })
    .await;
    assert!(listed.iter().all(|t| !t.contains('\u{202E}')));
}
