//! Buyers own what they bought and can resell it, capped at what they paid;
//! each ticket keeps its chain of custody. Black-box over HTTP.
//!
//! Stack: api (see scripts/test.sh)

use e2e::{errors, eventually, TestClient, TestUser, TicketId};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Buys `ticket` (reserve, then pay with the local provider's test card)
/// and answers the ticket issued to the buyer, once it exists.
async fn buy(buyer: &TestUser, ticket: &TicketId) -> Value {
    let order = buyer.reserve(ticket).await;
    let paid = buyer.pay(&order.id, "tok_visa").await;
    assert_eq!(paid.status(), StatusCode::CREATED);
    let issued = TicketId::of(&json!({"id": order.id.as_str()}));
    eventually("the bought ticket is issued to the buyer", || async {
        let owned = buyer.get_json("/api/tickets?owner=me").await;
        owned
            .as_array()?
            .iter()
            .find(|t| t["id"] == issued.as_str())
            .cloned()
    })
    .await
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
