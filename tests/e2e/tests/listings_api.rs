//! Listings with events, search and sort, the seller's own listings and
//! withdrawing one: the additions of the resale marketplace, black-box.
//!
//! Stack: api (see scripts/test.sh)

use e2e::{errors, eventually, iso_to_unix_ms, now_ms, TestClient, TestUser, Ticket, TicketId};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn iso(unix_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(unix_ms)
        .expect("a time")
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

const DAY_MS: i64 = 86_400_000;

async fn list_event(seller: &TestUser, title: &str, price: Value, event: Value) -> Ticket {
    let response = seller
        .post_json(
            "/api/tickets",
            json!({"title": title, "price": price, "event": event}),
        )
        .await;
    let status = response.status();
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(status, StatusCode::CREATED, "{body}");
    Ticket {
        id: TicketId::of(&body),
        json: body,
    }
}

fn event(name: &str, venue: &str, starts_at: i64) -> Value {
    json!({"name": name, "venue": venue, "startsAt": iso(starts_at)})
}

/// Every page of a list query, following `Link: rel="next"`; the ids in order.
async fn all_pages(client: &TestClient, first: &str) -> Vec<Value> {
    let mut found = Vec::new();
    let mut next = Some(client.url(first));
    while let Some(url) = next {
        let response = client.http.get(&url).send().await.expect("GET");
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        next = response
            .headers()
            .get("link")
            .and_then(|v| v.to_str().ok())
            .and_then(|link| link.strip_prefix('<'))
            .and_then(|link| link.split_once('>'))
            .map(|(url, _)| url.to_string());
        let page: Vec<Value> = response.json().await.expect("a page");
        found.extend(page);
        assert!(found.len() < 1000, "runaway paging");
    }
    found
}

fn ids(tickets: &[Value]) -> Vec<String> {
    tickets
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_listing_names_its_event() {
    let seller = TestUser::signed_up().await;
    let starts = now_ms() + 30 * DAY_MS;
    let ticket = list_event(
        &seller,
        "Front row",
        json!("80.00"),
        event("Tosca", "Royal Opera House", starts),
    )
    .await;
    assert_eq!(ticket["event"]["name"], "Tosca");
    assert_eq!(ticket["event"]["venue"], "Royal Opera House");
    assert_eq!(
        iso_to_unix_ms(ticket["event"]["startsAt"].as_str().unwrap()),
        starts
    );
    assert_eq!(ticket["state"], "available");
    assert_eq!(ticket["currency"], "usd");
    assert_eq!(seller.ticket(&ticket.id).await["event"], ticket["event"]);

    // The original API is unchanged: no event is `null`.
    let plain = seller.create_ticket("Plain", json!(10)).await;
    assert_eq!(plain["event"], Value::Null);
}

#[tokio::test]
async fn an_invalid_event_is_a_field_error_and_creates_nothing() {
    let seller = TestUser::signed_up().await;
    let response = seller
        .post_json(
            "/api/tickets",
            json!({"title": "X", "price": 10, "event": {"name": "", "venue": "", "startsAt": "soon"}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let fields: Vec<Option<String>> = errors(response).await.into_iter().map(|(_, f)| f).collect();
    assert_eq!(
        fields,
        [
            Some("event.name".into()),
            Some("event.venue".into()),
            Some("event.startsAt".into())
        ]
    );
    let past = seller
        .post_json(
            "/api/tickets",
            json!({"title": "X", "price": 10, "event": event("N", "V", now_ms() - 1000)}),
        )
        .await;
    assert_eq!(
        errors(past).await,
        [(
            "Start must be in the future".into(),
            Some("event.startsAt".into())
        )]
    );
    let mine = seller.get_json("/api/tickets?seller=me").await;
    assert_eq!(
        mine.as_array().unwrap().len(),
        0,
        "nothing was listed: {mine}"
    );
}

#[tokio::test]
async fn search_finds_title_event_and_venue_case_insensitively() {
    let seller = TestUser::signed_up().await;
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let starts = now_ms() + DAY_MS;
    let by_title = list_event(
        &seller,
        &format!("Zebra{tag} seats"),
        json!(10),
        event("Gala", "Hall", starts),
    )
    .await;
    let by_event = list_event(
        &seller,
        "Balcony",
        json!(20),
        event(&format!("The ZEBRA{tag} tour"), "Arena", starts),
    )
    .await;
    let by_venue = list_event(
        &seller,
        "Standing",
        json!(30),
        event("Gig", &format!("zebra{tag} club"), starts),
    )
    .await;
    seller.create_ticket(&format!("Zebr{tag}"), json!(40)).await; // not a match

    let found = all_pages(&seller, &format!("/api/tickets?q=zebra{tag}&limit=2")).await;
    let mut found = ids(&found);
    found.sort();
    let mut wanted = vec![
        by_title.id.to_string(),
        by_event.id.to_string(),
        by_venue.id.to_string(),
    ];
    wanted.sort();
    assert_eq!(found, wanted);

    // LIKE's wildcards in the text are matched literally.
    assert!(all_pages(&seller, &format!("/api/tickets?q=zebr_{tag}"))
        .await
        .is_empty());
    assert!(all_pages(&seller, &format!("/api/tickets?q=%25{tag}"))
        .await
        .is_empty());
}

#[tokio::test]
async fn sorts_by_price_both_ways_and_by_start_across_pages() {
    let seller = TestUser::signed_up().await;
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let now = now_ms();
    let mut listed = Vec::new();
    for (price, days) in [(30, 3), (10, 5), (20, 1), (10, 2), (50, 4)] {
        let t = list_event(
            &seller,
            &format!("{tag} {price}"),
            json!(price),
            event("Show", "Hall", now + days * DAY_MS),
        )
        .await;
        listed.push((price, days, t.id.to_string()));
    }
    let no_event = seller
        .create_ticket(&format!("{tag} plain"), json!(15))
        .await;

    let by = |sort: &str| format!("/api/tickets?q={tag}&sort={sort}&limit=2");
    let prices = |tickets: &[Value]| {
        tickets
            .iter()
            .map(|t| t["priceCents"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    let cheapest = all_pages(&seller, &by("price")).await;
    assert_eq!(prices(&cheapest), [1000, 1000, 1500, 2000, 3000, 5000]);
    let dearest = all_pages(&seller, &by("-price")).await;
    assert_eq!(prices(&dearest), [5000, 3000, 2000, 1500, 1000, 1000]);
    // Equal prices keep one order both ways (the id breaks the tie).
    assert_eq!(
        ids(&cheapest[..2])
            .iter()
            .rev()
            .cloned()
            .collect::<Vec<_>>(),
        ids(&dearest[4..])
    );

    let soonest = all_pages(&seller, &by("startsAt")).await;
    let mut by_start = listed.clone();
    by_start.sort_by_key(|(_, days, _)| *days);
    let mut wanted: Vec<String> = by_start.into_iter().map(|(_, _, id)| id).collect();
    wanted.push(no_event.id.to_string());
    assert_eq!(ids(&soonest), wanted, "listings without an event come last");

    let newest = all_pages(&seller, &by("newest")).await;
    let mut created: Vec<String> = listed.iter().map(|(_, _, id)| id.clone()).collect();
    created.push(no_event.id.to_string());
    created.reverse();
    assert_eq!(ids(&newest), created);

    let bad = seller.get("/api/tickets?sort=cheapest").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(bad).await,
        [(
            "Sort must be one of newest, price, -price, startsAt".into(),
            Some("sort".into())
        )]
    );
}

#[tokio::test]
async fn filters_combine_with_search_and_paging() {
    let seller = TestUser::signed_up().await;
    let buyer = TestUser::signed_up().await;
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let mut free = Vec::new();
    for n in 0..4 {
        free.push(
            seller
                .create_ticket(&format!("{tag} {n}"), json!(10 + n))
                .await,
        );
    }
    let held = seller
        .create_ticket(&format!("{tag} held"), json!(99))
        .await;
    buyer.reserve(&held.id).await;
    let available = eventually("the hold reaches the list", || async {
        let found = all_pages(
            &seller,
            &format!("/api/tickets?q={tag}&available=true&sort=price&limit=3"),
        )
        .await;
        (found.len() == 4).then_some(found)
    })
    .await;
    assert_eq!(
        ids(&available),
        free.iter().map(|t| t.id.to_string()).collect::<Vec<_>>()
    );
    let everything = all_pages(&seller, &format!("/api/tickets?q={tag}&limit=3")).await;
    assert_eq!(
        everything.len(),
        5,
        "held listings stay on the market, marked"
    );
}

#[tokio::test]
async fn a_seller_withdraws_a_free_listing_and_it_leaves_the_market() {
    let seller = TestUser::signed_up().await;
    let buyer = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Withdraw me", json!(25)).await;
    assert!(seller.listed_ticket("", &ticket.id).await.is_some());

    let stranger = TestUser::signed_up().await;
    let refused = stranger
        .delete(&format!("/api/tickets/{}", ticket.id))
        .await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let anonymous = TestClient::anonymous()
        .delete(&format!("/api/tickets/{}", ticket.id))
        .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    let response = seller.delete(&format!("/api/tickets/{}", ticket.id)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let withdrawn: Value = response.json().await.unwrap();
    assert_eq!(withdrawn["state"], "withdrawn");
    assert_eq!(withdrawn["version"], 1);
    assert!(
        seller.listed_ticket("", &ticket.id).await.is_none(),
        "off the market at once"
    );
    let again = seller.delete(&format!("/api/tickets/{}", ticket.id)).await;
    assert_eq!(again.status(), StatusCode::OK, "withdrawing twice is fine");
    assert_eq!(seller.ticket(&ticket.id).await["version"], 1);

    let order = buyer.place_order(&ticket.id).await;
    assert_eq!(order.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(order).await,
        [("This listing was withdrawn".into(), None)]
    );
    let edit = seller.update_ticket(&ticket.id, "Back", json!(5)).await;
    assert_eq!(
        errors(edit).await,
        [("This listing was withdrawn".into(), None)]
    );
    let mine = seller.get_json("/api/tickets?seller=me").await;
    assert_eq!(mine[0]["id"], ticket.id.as_str());
    assert_eq!(mine[0]["state"], "withdrawn", "the seller still sees it");
}

#[tokio::test]
async fn a_held_or_sold_listing_cannot_be_withdrawn() {
    let seller = TestUser::signed_up().await;
    let buyer = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Taken", json!(25)).await;
    let order = buyer.reserve(&ticket.id).await;
    let held = seller.delete(&format!("/api/tickets/{}", ticket.id)).await;
    assert_eq!(
        errors(held).await,
        [("Cannot edit a reserved ticket".into(), None)]
    );
    let paid = buyer.pay(&order.id, "tok_visa").await;
    assert_eq!(paid.status(), StatusCode::CREATED);
    let sold = seller.delete(&format!("/api/tickets/{}", ticket.id)).await;
    assert_eq!(
        errors(sold).await,
        [("Cannot edit a sold ticket".into(), None)]
    );
    let view = seller.ticket(&ticket.id).await;
    assert_eq!(view["state"], "sold");
    assert!(view["soldAt"].is_string(), "{view}");
}

#[tokio::test]
async fn the_sellers_list_shows_every_listing_with_its_state() {
    let seller = TestUser::signed_up().await;
    let buyer = TestUser::signed_up().await;
    let available = seller.create_ticket("Mine A", json!(10)).await;
    let held = seller.create_ticket("Mine B", json!(20)).await;
    let sold = seller.create_ticket("Mine C", json!(30)).await;
    let order = buyer.reserve(&held.id).await;
    let bought = buyer.reserve(&sold.id).await;
    assert_eq!(
        buyer.pay(&bought.id, "tok_visa").await.status(),
        StatusCode::CREATED
    );
    TestUser::signed_up()
        .await
        .create_ticket("Not mine", json!(5))
        .await;

    let mine = eventually("the hold and the sale reach the seller's list", || async {
        let mine = seller.get_json("/api/tickets?seller=me").await;
        let states: Vec<&str> = mine
            .as_array()?
            .iter()
            .filter_map(|t| t["state"].as_str())
            .collect();
        (states == ["sold", "reserved", "available"]).then_some(mine)
    })
    .await;
    assert_eq!(mine[2]["id"], available.id.as_str());
    assert_eq!(mine[1]["heldUntil"], order["expiresAt"]);
    assert!(mine[0]["soldAt"].is_string());
    let totals = seller.get_json("/api/tickets/sales").await;
    assert_eq!(
        totals,
        json!({"listed": 3, "sold": 1, "earnedCents": 3000, "currency": "usd"})
    );
    let signed_out = TestClient::anonymous().get("/api/tickets/sales").await;
    assert_eq!(signed_out.status(), StatusCode::UNAUTHORIZED);

    assert_eq!(
        TestClient::anonymous()
            .get("/api/tickets?seller=me")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let other = seller.get("/api/tickets?seller=someone").await;
    assert_eq!(
        errors(other).await,
        [("Seller must be me".into(), Some("seller".into()))]
    );
}

#[tokio::test]
async fn a_listing_closes_when_its_event_starts_and_its_unpaid_hold_expires() {
    let seller = TestUser::signed_up().await;
    let buyer = TestUser::signed_up().await;
    let later = TestUser::signed_up().await;
    let starts = now_ms() + 3_000;
    let ticket = list_event(
        &seller,
        "Doors at three",
        json!(40),
        event("Soon", "Here", starts),
    )
    .await;
    let order = buyer.reserve(&ticket.id).await;
    assert!(
        order.expires_at_ms() > starts,
        "the hold would outlast the start"
    );

    let closed = eventually("the alarm closes the listing at the start", || async {
        let view = seller.ticket(&ticket.id).await;
        (view["state"] == "closed").then_some(view)
    })
    .await;
    assert!(now_ms() >= starts);
    assert_eq!(closed["orderId"], Value::Null);
    let expired = buyer.order(&order.id).await;
    assert_eq!(expired["status"], "cancelled");
    let refused = later.place_order(&ticket.id).await;
    assert_eq!(
        errors(refused).await,
        [("The event has started: this listing is closed".into(), None)]
    );
    assert!(
        seller.listed_ticket("", &ticket.id).await.is_none(),
        "the market stops offering it"
    );
    let mine = seller.get_json("/api/tickets?seller=me").await;
    assert_eq!(mine[0]["state"], "closed");
}

#[tokio::test]
async fn editing_the_start_moves_the_closing() {
    let seller = TestUser::signed_up().await;
    let starts = now_ms() + 2_000;
    let ticket = list_event(&seller, "Moved", json!(40), event("Early", "Hall", starts)).await;
    let response = seller
        .put_json(
            &format!("/api/tickets/{}", ticket.id),
            json!({"title": "Moved", "price": 40, "event": event("Late", "Hall", now_ms() + DAY_MS)}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    e2e::wait_until(starts + 1_500).await;
    let view = seller.ticket(&ticket.id).await;
    assert_eq!(
        view["state"], "available",
        "the old start closed nothing: {view}"
    );
    assert_eq!(view["event"]["name"], "Late");
}
