//! Buyers own what they bought and can resell it, capped at what they paid;
//! each ticket keeps its chain of custody. Black-box over HTTP.
//!
//! Stack: api (see scripts/test.sh)

use e2e::{errors, eventually, TestClient, TestUser, TicketId};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Buys `ticket` (reserve, then pay with the local provider's test card)
/// and answers the ticket issued to the buyer, once it exists: the one new
/// ticket in what they own (its id says nothing about the order).
async fn buy(buyer: &TestUser, ticket: &TicketId) -> Value {
    let owned_ids = || async {
        let owned = buyer.get_json("/api/tickets?owner=me").await;
        owned.as_array().cloned().unwrap_or_default()
    };
    let before: Vec<Value> = owned_ids().await.iter().map(|t| t["id"].clone()).collect();
    let order = buyer.reserve(ticket).await;
    let paid = buyer.pay(&order.id, "tok_visa").await;
    assert_eq!(paid.status(), StatusCode::CREATED);
    let mine = eventually("the bought ticket is issued to the buyer", || async {
        owned_ids()
            .await
            .into_iter()
            .find(|t| !before.contains(&t["id"]))
    })
    .await;
    assert_ne!(
        mine["id"],
        order.id.as_str(),
        "not derivable from the order"
    );
    mine
}

async fn resell(owner: &TestUser, ticket: &str, price: Value) -> reqwest::Response {
    owner
        .post_json(
            &format!("/api/tickets/{ticket}/resell"),
            json!({ "price": price }),
        )
        .await
}

#[tokio::test]
async fn a_purchase_issues_a_new_ticket_that_the_buyer_owns() {
    let seller = TestUser::signed_up().await;
    let buyer = TestUser::signed_up().await;
    let other = TestUser::signed_up().await;
    let listing = seller.create_ticket("Stalls", json!("25.00")).await;

    let mine = buy(&buyer, &listing.id).await;
    assert_ne!(
        mine["id"],
        listing.id.as_str(),
        "a new ticket, not the listing"
    );
    assert_eq!(mine["userId"], buyer.id.as_str());
    assert_eq!(
        (mine["state"].as_str(), mine["paidCents"].as_i64()),
        (Some("owned"), Some(2500))
    );
    assert_eq!(mine["resaleMaxCents"], 2500, "the cap: face value");
    assert_eq!(mine["title"], "Stalls");

    // The listing stays as the seller's record of the sale.
    let record = seller.ticket(&listing.id).await;
    assert_eq!(record["state"], "sold");
    assert_eq!(record["userId"], seller.id.as_str());
    // The bought ticket is not on the market and nobody can order it.
    let id = TicketId::of(&mine);
    assert!(other.listed_ticket("", &id).await.is_none());
    let refused = other.place_order(&id).await;
    assert_eq!(
        errors(refused).await,
        [("This ticket is not for sale".into(), None)]
    );

    // Its chain of custody, for its owner only.
    let custody = buyer.get_json(&format!("/api/tickets/{id}/custody")).await;
    assert_eq!(custody.as_array().map(Vec::len), Some(1), "{custody}");
    assert_eq!(custody[0]["from"], seller.id.as_str());
    assert_eq!(custody[0]["to"], buyer.id.as_str());
    assert_eq!(custody[0]["priceCents"], 2500);
    assert_eq!(custody[0]["listing"], listing.id.as_str());
    let not_yours = other.get(&format!("/api/tickets/{id}/custody")).await;
    assert_eq!(not_yours.status(), StatusCode::UNAUTHORIZED);
    // Nor does the buyer's ticket count among the seller's or buyer's listings.
    let listings = buyer.get_json("/api/tickets?seller=me").await;
    assert_eq!(listings, json!([]));
}

#[tokio::test]
async fn a_resale_is_capped_at_what_the_owner_paid() {
    let seller = TestUser::signed_up().await;
    let buyer = TestUser::signed_up().await;
    let listing = seller.create_ticket("Circle", json!("40.00")).await;
    let mine = buy(&buyer, &listing.id).await;
    let id = mine["id"].as_str().unwrap();

    let above = resell(&buyer, id, json!("40.01")).await;
    assert_eq!(above.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(above).await,
        [(
            "Price must be at most $40.00 (the resale cap on what you paid)".into(),
            Some("price".into())
        )]
    );
    let stranger = resell(&TestUser::signed_up().await, id, json!(10)).await;
    assert_eq!(stranger.status(), StatusCode::UNAUTHORIZED);
    let first_hand = resell(&seller, listing.id.as_str(), json!(10)).await;
    assert_eq!(
        errors(first_hand).await,
        [("Cannot edit a sold ticket".into(), None)]
    );
    let bad = resell(&buyer, id, json!("abc")).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    let listed = resell(&buyer, id, json!("40.00")).await;
    assert_eq!(listed.status(), StatusCode::OK);
    let listed: Value = listed.json().await.unwrap();
    assert_eq!(
        (listed["state"].as_str(), listed["priceCents"].as_i64()),
        (Some("available"), Some(4000))
    );
    // An edit keeps to the cap as well.
    let edit = buyer
        .put_json(
            &format!("/api/tickets/{id}"),
            json!({"title": "Circle", "price": 45}),
        )
        .await;
    assert_eq!(errors(edit).await[0].1.as_deref(), Some("price"));
    // Withdrawn, a resale goes back to its owner.
    let back = buyer.delete(&format!("/api/tickets/{id}")).await;
    assert_eq!(back.status(), StatusCode::OK);
    let back: Value = back.json().await.unwrap();
    assert_eq!(back["state"], "owned");
    assert_eq!(resell(&buyer, id, json!(30)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_resold_ticket_is_resold_again_and_every_seller_sees_their_sale() {
    let seller = TestUser::signed_up().await;
    let reseller = TestUser::signed_up().await;
    let fan = TestUser::signed_up().await;
    let last = TestUser::signed_up().await;
    let listing = seller.create_ticket("Balcony", json!(30)).await;

    let first = buy(&reseller, &listing.id).await;
    let first_id = TicketId::of(&first);
    assert_eq!(
        resell(&reseller, first_id.as_str(), json!(25))
            .await
            .status(),
        StatusCode::OK
    );
    let on_market = eventually("the resale is on the market", || async {
        reseller.listed_ticket("&available=true", &first_id).await
    })
    .await;
    assert_eq!(on_market["priceCents"], 2500);

    let second = buy(&fan, &first_id).await;
    assert_eq!(second["paidCents"], 2500);
    assert_eq!(
        second["resaleMaxCents"], 2500,
        "the cap follows what this owner paid"
    );
    let second_id = TicketId::of(&second);
    let chain = fan
        .get_json(&format!("/api/tickets/{second_id}/custody"))
        .await;
    let hands: Vec<(&str, &str, i64)> = chain
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["from"].as_str().unwrap(),
                t["to"].as_str().unwrap(),
                t["priceCents"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        hands,
        [
            (seller.id.as_str(), reseller.id.as_str(), 3000),
            (reseller.id.as_str(), fan.id.as_str(), 2500)
        ]
    );
    // The reseller owns it no more; the resale is their sale.
    let owned = reseller.get_json("/api/tickets?owner=me").await;
    assert_eq!(owned, json!([]));
    let totals = eventually("the resale reaches the reseller's totals", || async {
        let totals = reseller.get_json("/api/tickets/sales").await;
        (totals["sold"] == 1).then_some(totals)
    })
    .await;
    assert_eq!(
        totals,
        json!({"listed": 1, "sold": 1, "earnedCents": 2500, "currency": "usd"})
    );
    let totals = seller.get_json("/api/tickets/sales").await;
    assert_eq!(
        totals,
        json!({"listed": 1, "sold": 1, "earnedCents": 3000, "currency": "usd"})
    );

    // And once more: the chain grows by one sale each time.
    assert_eq!(
        resell(&fan, second_id.as_str(), json!(20)).await.status(),
        StatusCode::OK
    );
    let third = buy(&last, &second_id).await;
    let chain = last
        .get_json(&format!(
            "/api/tickets/{}/custody",
            third["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(chain.as_array().map(Vec::len), Some(3));
    assert_eq!(
        TestClient::anonymous()
            .get("/api/tickets?owner=me")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

/// The Proms at the Royal Albert Hall, starting in 2031, or a year later.
fn proms(year: u32) -> Value {
    json!({"name": "Proms", "venue": "Royal Albert Hall", "startsAt": format!("{year}-07-18T19:30:00Z")})
}

/// Lists `title` at `price` for the Proms of 2031, which must succeed.
async fn list_for_the_proms(seller: &TestUser, title: &str, price: u32) -> TicketId {
    let listing = seller
        .post_json(
            "/api/tickets",
            json!({"title": title, "price": price, "event": proms(2031)}),
        )
        .await;
    assert_eq!(listing.status(), StatusCode::CREATED);
    TicketId::of(&listing.json::<Value>().await.unwrap())
}

#[tokio::test]
async fn a_bought_ticket_keeps_the_title_and_event_it_was_sold_with() {
    let seller = TestUser::signed_up().await;
    let buyer = TestUser::signed_up().await;
    let event = proms(2031);
    let listing = list_for_the_proms(&seller, "Arena, block C", 40).await;
    let mine = buy(&buyer, &listing).await;
    let id = mine["id"].as_str().unwrap();
    let path = format!("/api/tickets/{id}");
    let relabelled =
        "A bought ticket's title and event say what was sold: only its price can change";

    // Relabelled as something it is not, or its start moved a year on: 400.
    let later = proms(2032);
    for body in [
        json!({"title": "Front row, headline show", "price": 40}),
        json!({"title": "Arena, block C", "price": 40, "event": later}),
        json!({"title": "Arena, block C", "price": 40, "event": null}),
    ] {
        let refused = buyer.put_json(&path, body.clone()).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(errors(refused).await, [(relabelled.into(), None)], "{body}");
    }
    let unchanged = buyer.ticket(&TicketId::of(&mine)).await;
    assert_eq!(
        (
            &unchanged["title"],
            &unchanged["event"]["startsAt"],
            &unchanged["version"]
        ),
        (&mine["title"], &mine["event"]["startsAt"], &mine["version"]),
        "nothing changed"
    );

    // Listed for resale, only its price moves (within the cap).
    assert_eq!(resell(&buyer, id, json!(35)).await.status(), StatusCode::OK);
    let repriced = buyer
        .put_json(
            &path,
            json!({"title": "Arena, block C", "price": 30, "event": event}),
        )
        .await;
    assert_eq!(repriced.status(), StatusCode::OK);
    let repriced: Value = repriced.json().await.unwrap();
    assert_eq!(repriced["priceCents"], 3000);

    // The first-hand seller cannot move the event of the listing it sold.
    let moved = seller
        .put_json(
            &format!("/api/tickets/{listing}"),
            json!({"title": "Arena, block C", "price": 40, "event": later}),
        )
        .await;
    assert_eq!(
        errors(moved).await,
        [("Cannot edit a sold ticket".into(), None)]
    );
}

#[tokio::test]
async fn the_first_hand_seller_cannot_move_the_event_of_a_held_listing() {
    let seller = TestUser::signed_up().await;
    let buyer = TestUser::signed_up().await;
    let listing = list_for_the_proms(&seller, "Box 4", 60).await;
    buyer.reserve(&listing).await;
    let later = proms(2032);
    let moved = seller
        .put_json(
            &format!("/api/tickets/{listing}"),
            json!({"title": "Box 4", "price": 60, "event": later}),
        )
        .await;
    assert_eq!(
        errors(moved).await,
        [("Cannot edit a reserved ticket".into(), None)]
    );
    assert_eq!(
        seller.ticket(&listing).await["event"]["startsAt"],
        "2031-07-18T19:30:00.000Z"
    );
}

#[tokio::test]
async fn a_bought_ticket_and_what_was_paid_are_its_owners_to_see() {
    let seller = TestUser::signed_up().await;
    let buyer = TestUser::signed_up().await;
    let stranger = TestUser::signed_up().await;
    let listing = seller.create_ticket("Stalls, row F", json!(40)).await;
    // Anyone watching the listing sees the order that holds it.
    let order = buyer.reserve(&listing.id).await;
    let held = TestClient::anonymous()
        .get_json(&format!("/api/tickets/{}", listing.id))
        .await;
    assert_eq!(held["orderId"], order.id.as_str());
    buyer.cancel_order(&order.id).await;
    let mine = buy(&buyer, &listing.id).await;
    let id = TicketId::of(&mine);
    assert_eq!(mine["paidCents"], 4000, "the owner sees what they paid");

    // Not listed: a 404 to everyone else, signed in or not, and for the
    // order's id as well (it names no ticket).
    for path in [
        format!("/api/tickets/{id}"),
        format!("/api/tickets/{}", order.id),
    ] {
        assert_eq!(
            stranger.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
        assert_eq!(
            TestClient::anonymous().get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(
        seller.get(&format!("/api/tickets/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let own = buyer.ticket(&id).await;
    assert_eq!(
        (own["paidCents"].as_i64(), own["state"].as_str()),
        (Some(4000), Some("owned"))
    );

    // Listed for resale: public like any listing, but never what was paid
    // nor the chain of custody.
    assert_eq!(
        resell(&buyer, id.as_str(), json!(40)).await.status(),
        StatusCode::OK
    );
    let public = stranger.ticket(&id).await;
    assert_eq!(public["state"], "available");
    assert_eq!(public["paidCents"], Value::Null);
    let listed = eventually("the resale is on the market", || async {
        TestClient::anonymous().listed_ticket("", &id).await
    })
    .await;
    assert_eq!(listed["paidCents"], Value::Null);
    assert_eq!(
        stranger
            .get(&format!("/api/tickets/{id}/custody"))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(buyer.ticket(&id).await["paidCents"], 4000);
}
