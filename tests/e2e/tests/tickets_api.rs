//! The tickets service's contract, black-box over HTTP. Names follow the
//! original app's test cases where there is one.
//!
//! Stack: api (see scripts/test.sh)

use e2e::{errors, eventually, unique_email, TestClient, TestUser, TicketId, PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn has_a_route_handler_listening_for_post_requests() {
    // The handler itself answers: it validated the (empty) body, field by field.
    let client = TestUser::signed_up().await;
    let response = client.post_json("/api/tickets", json!({})).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(response).await,
        [
            ("Title is required".into(), Some("title".into())),
            ("Price must be greater than 0".into(), Some("price".into()))
        ]
    );
}

#[tokio::test]
async fn can_only_be_accessed_if_the_user_is_signed_in() {
    let response = TestClient::anonymous()
        .post_json("/api/tickets", json!({"title": "x", "price": 10}))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(errors(response).await, [("Not authorized".into(), None)]);
}

#[tokio::test]
async fn returns_an_error_if_an_invalid_title_is_provided() {
    let client = TestUser::signed_up().await;
    for body in [
        json!({"title": "", "price": 10}),
        json!({"price": 10}),
        json!({"title": 7, "price": 10}),
    ] {
        let response = client.post_json("/api/tickets", body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            errors(response).await,
            [("Title is required".into(), Some("title".into()))]
        );
    }
}

#[tokio::test]
async fn returns_an_error_if_an_invalid_price_is_provided() {
    let client = TestUser::signed_up().await;
    for price in [json!(-10), json!(0), json!("abc"), Value::Null] {
        let response = client
            .post_json("/api/tickets", json!({"title": "Show", "price": price}))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{price}");
        assert_eq!(
            errors(response).await,
            [("Price must be greater than 0".into(), Some("price".into()))]
        );
    }
    // Sub-cent prices are refused, not rounded.
    let response = client
        .post_json("/api/tickets", json!({"title": "Show", "price": 1.234}))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(response).await,
        [(
            "Price must have at most two decimal places".into(),
            Some("price".into())
        )]
    );
    // Below what a card network can charge: listed, it could never be paid.
    for price in [json!(0.49), json!("0.01")] {
        let response = client
            .post_json("/api/tickets", json!({"title": "Show", "price": price}))
            .await;
        assert_eq!(
            errors(response).await,
            [(
                "Price must be at least $0.50 (the smallest amount a card can be charged)".into(),
                Some("price".into())
            )],
            "{price}"
        );
    }
    let lowest = client
        .post_json("/api/tickets", json!({"title": "Show", "price": 0.5}))
        .await;
    assert_eq!(lowest.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn creates_a_ticket_with_valid_inputs() {
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("  Concert  ", json!(19.99)).await;
    assert_eq!(ticket["title"], "Concert");
    assert_eq!(ticket["price"], 19.99);
    assert_eq!(ticket["priceCents"], 1999);
    assert_eq!(ticket["version"], 0);
    assert_eq!(ticket["userId"], seller.id);
    assert_eq!(
        (ticket["orderId"].clone(), ticket["sold"].clone()),
        (Value::Null, json!(false))
    );
    assert!(uuid::Uuid::parse_str(ticket.id.as_str()).is_ok());
    // Forms send prices as text.
    assert_eq!(
        seller.create_ticket("Play", json!("12.5")).await["priceCents"],
        1250
    );
}

#[tokio::test]
async fn publishes_an_event_so_the_ticket_appears_in_the_list() {
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Listed soon", json!(5)).await;
    let listed = eventually("the new ticket in the list", || {
        seller.listed_ticket("", &ticket.id)
    })
    .await;
    assert_eq!(listed, ticket.json);
}

#[tokio::test]
async fn returns_a_404_if_the_ticket_is_not_found() {
    let client = TestClient::anonymous();
    for id in [
        TicketId::unknown(),
        TicketId("not-a-uuid".into()),
        TicketId("123".into()),
    ] {
        let response = client.get_ticket(&id).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{id}");
        assert_eq!(errors(response).await, [("Not found".into(), None)]);
    }
}

#[tokio::test]
async fn returns_the_ticket_if_the_ticket_is_found() {
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Findable", json!(20)).await;
    let found = TestClient::anonymous().ticket(&ticket.id).await;
    assert_eq!(found, ticket.json);
}

#[tokio::test]
async fn can_fetch_a_list_of_tickets_newest_first() {
    let seller = TestUser::signed_up().await;
    let older = seller.create_ticket("Older", json!(1)).await;
    let newer = seller.create_ticket("Newer", json!(2)).await;
    let positions = eventually("both tickets listed", || async {
        let list: Value = seller.get_json("/api/tickets?limit=100").await;
        let list = list.as_array()?.clone();
        let at = |id: &TicketId| list.iter().position(|t| t["id"] == *id);
        Some((at(&older.id)?, at(&newer.id)?))
    })
    .await;
    assert!(positions.1 < positions.0, "newest first: {positions:?}");
}

#[tokio::test]
async fn lists_are_paginated_with_a_link_to_the_next_page() {
    let client = TestUser::signed_up().await;
    let mut created = Vec::new();
    for n in 0..3 {
        created.push(
            client
                .create_ticket(&format!("Paged {n}"), json!(3))
                .await
                .id,
        );
    }
    let last = created.last().unwrap();
    eventually("the tickets listed", || client.listed_ticket("", last)).await;

    // Walk the whole list two at a time: every ticket once, in order, no duplicates.
    let mut seen = Vec::new();
    let mut next = Some(client.url("/api/tickets?limit=2"));
    while let Some(url) = next.take() {
        let response = client.http.get(&url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        next = response.headers().get("link").map(|link| {
            let link = link.to_str().unwrap();
            assert!(link.ends_with(">; rel=\"next\""), "{link}");
            link.trim_start_matches('<')
                .split('>')
                .next()
                .unwrap()
                .to_string()
        });
        let page: Vec<Value> = response.json().await.unwrap();
        assert!(page.len() <= 2);
        seen.extend(page.iter().map(TicketId::of));
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no ticket twice");
    let positions: Vec<usize> = created
        .iter()
        .map(|id| {
            seen.iter()
                .position(|s| s == id)
                .expect("every ticket listed")
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[1] < w[0]),
        "newest first across pages: {positions:?}"
    );
}

#[tokio::test]
async fn bad_list_parameters_are_400() {
    let client = TestClient::anonymous();
    let limit = ("Limit must be between 1 and 100", "limit");
    for (query, (message, field)) in [
        ("limit=0", limit),
        ("limit=101", limit),
        ("limit=abc", limit),
        ("cursor=garbage!", ("Cursor is invalid", "cursor")),
        (
            "available=maybe",
            ("Available must be true or false", "available"),
        ),
    ] {
        let response = client.get(&format!("/api/tickets?{query}")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(
            errors(response).await,
            [(message.into(), Some(field.into()))],
            "{query}"
        );
    }
}

// --- updates --------------------------------------------------------------

#[tokio::test]
async fn update_returns_a_404_if_the_provided_id_does_not_exist() {
    let client = TestUser::signed_up().await;
    let response = client
        .update_ticket(&TicketId::unknown(), "x", json!(1))
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(errors(response).await, [("Not found".into(), None)]);
}

#[tokio::test]
async fn update_returns_a_401_if_the_user_is_not_authenticated() {
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Untouchable", json!(10)).await;
    let response = TestClient::anonymous()
        .update_ticket(&ticket.id, "x", json!(1))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(errors(response).await, [("Not authorized".into(), None)]);
    assert_eq!(seller.ticket(&ticket.id).await, ticket.json, "unchanged");
}

#[tokio::test]
async fn update_returns_a_401_if_the_user_does_not_own_the_ticket() {
    let owner = TestUser::signed_up().await;
    let ticket = owner.create_ticket("Mine", json!(10)).await;
    let other = TestUser::signed_up().await;
    let response = other.update_ticket(&ticket.id, "Stolen", json!(1)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(errors(response).await, [("Not authorized".into(), None)]);
    assert_eq!(owner.ticket(&ticket.id).await, ticket.json, "unchanged");
}

#[tokio::test]
async fn update_returns_a_400_if_the_user_provides_an_invalid_title_or_price() {
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Valid", json!(10)).await;
    let response = seller.update_ticket(&ticket.id, "", json!(-1)).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(response).await,
        [
            ("Title is required".into(), Some("title".into())),
            ("Price must be greater than 0".into(), Some("price".into()))
        ]
    );
    assert_eq!(seller.ticket(&ticket.id).await, ticket.json, "unchanged");
}

#[tokio::test]
async fn updates_the_ticket_provided_valid_inputs_and_publishes_an_event() {
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Before", json!(10)).await;
    let response = seller.update_ticket(&ticket.id, "After", json!(99.5)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(
        (
            updated["title"].clone(),
            updated["priceCents"].clone(),
            updated["version"].clone()
        ),
        (json!("After"), json!(9950), json!(1))
    );
    let listed = eventually("the edit in the list", || async {
        seller
            .listed_ticket("", &ticket.id)
            .await
            .filter(|t| t["version"] == 1)
    })
    .await;
    assert_eq!(listed["title"], "After");
}

#[tokio::test]
async fn rejects_updates_if_the_ticket_is_reserved() {
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Hot", json!(10)).await;
    let buyer = TestUser::signed_up().await;
    let order = buyer.reserve(&ticket.id).await;
    let held = seller.ticket(&ticket.id).await;
    assert_eq!(held["orderId"], order.id);
    let response = seller.update_ticket(&ticket.id, "Changed", json!(1)).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(response).await,
        [("Cannot edit a reserved ticket".into(), None)]
    );
    assert_eq!(seller.ticket(&ticket.id).await, held, "unchanged");
}

#[tokio::test]
async fn available_listing_hides_reserved_tickets_and_shows_them_again_when_released() {
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Comes and goes", json!(10)).await;
    eventually("listed as available", || {
        seller.listed_ticket("&available=true", &ticket.id)
    })
    .await;

    let buyer = TestUser::signed_up().await;
    let order = buyer.reserve(&ticket.id).await;
    eventually("hidden from the available list", || async {
        seller
            .listed_ticket("&available=true", &ticket.id)
            .await
            .is_none()
            .then_some(())
    })
    .await;
    let reserved = seller
        .listed_ticket("", &ticket.id)
        .await
        .expect("still in the full list");
    assert_eq!(reserved["orderId"], order.id);

    assert_eq!(
        buyer.cancel_order(&order.id).await.status(),
        StatusCode::NO_CONTENT
    );
    let released = eventually("available again", || {
        seller.listed_ticket("&available=true", &ticket.id)
    })
    .await;
    assert_eq!(
        released["version"], 2,
        "created v0, reserved v1, released v2"
    );
}

#[tokio::test]
async fn a_user_signed_up_elsewhere_can_sell() {
    // Sessions from the auth service are honoured by the tickets service.
    let client = TestClient::anonymous();
    let email = unique_email();
    let response = client.signup(&email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let user: Value = response.json().await.unwrap();
    let ticket = client.create_ticket("Cross-service", json!(1)).await;
    assert_eq!(
        ticket["userId"], user["id"],
        "sold by the user auth signed up"
    );
}

/// Whoever just acted sees it in their next request, whatever the queue's
/// delay (the list is a read model fed by events): a new listing and an
/// edit are in the list at once.
#[tokio::test]
async fn a_new_or_edited_listing_is_in_the_list_at_once() {
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Seen at once", json!(31)).await;
    let listed = seller
        .listed_ticket("&available=true", &ticket.id)
        .await
        .expect("listed at once");
    assert_eq!(listed["title"], "Seen at once");
    let edited = seller
        .update_ticket(&ticket.id, "Edited at once", json!(32))
        .await;
    assert_eq!(edited.status(), StatusCode::OK);
    let listed = seller.listed_ticket("", &ticket.id).await.expect("listed");
    assert_eq!(
        (listed["title"].clone(), listed["price"].clone()),
        (json!("Edited at once"), json!(32.0))
    );
}
