//! Abuse limits, counted exactly: a `Tally` is the state of one limiter
//! object (one per key: an email, a client address, a buyer), a list of
//! entries that each count until they expire or are given back.
//!
//! One shape serves both kinds of limit:
//! - a sliding window ("at most 10 failures in 15 minutes") is entries that
//!   expire a window after they were taken;
//! - open slots ("at most 5 unpaid orders") are entries given back when the
//!   order ends, and expiring anyway at its latest possible end, so a slot a
//!   crashed request left behind frees itself.
//!
//! Taking is check-and-record in one step inside the single-writer object, so
//! concurrent requests can never pass the limit together.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// A limit on one lane of a tally: at most `max` live entries carry `lane`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    pub lane: String,
    pub max: u32,
}

impl Quota {
    pub fn new(lane: impl Into<String>, max: u32) -> Self {
        Self {
            lane: lane.into(),
            max,
        }
    }
}

/// What a limiter object is asked to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum LimitCommand {
    /// Record one entry under `key` counting in every quota's lane, unless
    /// a quota is full. A key already held is not taken twice (a retried
    /// request).
    #[serde(rename_all = "camelCase")]
    Take {
        key: String,
        quotas: Vec<Quota>,
        expires_at_ms: i64,
    },
    /// Remove the entry with this key (a sign-in that succeeded is not a
    /// failure; an order that ended frees its slot). Unknown keys are fine.
    GiveBack { key: String },
}

/// The object's answer to `Take`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "camelCase")]
pub enum Taken {
    Granted,
    /// An entry with the key was already there; nothing new counted.
    AlreadyHeld,
    /// A quota is full: the earliest time taking again can succeed.
    #[serde(rename_all = "camelCase")]
    Refused {
        retry_at_ms: i64,
    },
}

impl Taken {
    /// Whole seconds from `now_ms` until `retry_at_ms`, at least 1 (`Retry-After`).
    pub fn retry_after_seconds(retry_at_ms: i64, now_ms: i64) -> u64 {
        let ms = (retry_at_ms - now_ms).max(1);
        (ms as u64).div_ceil(1000)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    key: String,
    lanes: Vec<String>,
    expires_at_ms: i64,
}

/// The live entries of one limiter object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    entries: Vec<Entry>,
}

impl Tally {
    pub fn apply(&mut self, command: LimitCommand, now_ms: i64) -> Option<Taken> {
        self.forget_expired(now_ms);
        match command {
            LimitCommand::Take {
                key,
                quotas,
                expires_at_ms,
            } => Some(self.take(key, &quotas, expires_at_ms)),
            LimitCommand::GiveBack { key } => {
                self.entries.retain(|entry| entry.key != key);
                None
            }
        }
    }

    fn take(&mut self, key: String, quotas: &[Quota], expires_at_ms: i64) -> Taken {
        // Taken again (a retry, or a hold that now lasts longer: 3-D
        // Secure), it counts once and lasts until the later expiry.
        if let Some(entry) = self.entries.iter_mut().find(|entry| entry.key == key) {
            entry.expires_at_ms = entry.expires_at_ms.max(expires_at_ms);
            return Taken::AlreadyHeld;
        }
        let retry_at_ms = quotas
            .iter()
            .filter_map(|quota| self.frees_up_at(quota))
            .max();
        if let Some(retry_at_ms) = retry_at_ms {
            return Taken::Refused { retry_at_ms };
        }
        self.entries.push(Entry {
            key,
            lanes: quotas.iter().map(|q| q.lane.clone()).collect(),
            expires_at_ms,
        });
        Taken::Granted
    }

    /// When the lane is full, the time enough of its entries expire for one
    /// more to fit; `None` while it has room.
    fn frees_up_at(&self, quota: &Quota) -> Option<i64> {
        let mut expiries: Vec<i64> = self
            .entries
            .iter()
            .filter(|entry| entry.lanes.contains(&quota.lane))
            .map(|entry| entry.expires_at_ms)
            .collect();
        let over = expiries.len().checked_sub(quota.max as usize)?;
        expiries.sort_unstable();
        // `over + 1` entries must go, so the (over)-th earliest expiry (0-based).
        expiries.get(over).copied()
    }

    pub fn forget_expired(&mut self, now_ms: i64) {
        self.entries.retain(|entry| entry.expires_at_ms > now_ms);
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// When the last entry expires: the object can forget everything then.
    pub fn last_expiry(&self) -> Option<i64> {
        self.entries.iter().map(|entry| entry.expires_at_ms).max()
    }
}

/// The client's address, from `CF-Connecting-IP`, which Cloudflare sets on
/// every request in production. A missing, unparsable or loopback address
/// (local runs: miniflare fills in 127.0.0.1) means "no per-address limit".
/// An IPv6 address counts by its /64: one subscriber gets a whole /64, so
/// counting single addresses would let one client take billions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(IpAddr);

impl ClientAddress {
    pub const HEADER: &'static str = "cf-connecting-ip";

    pub fn from_header(value: Option<&str>) -> Option<Self> {
        let ip: IpAddr = value?.trim().parse().ok()?;
        (!ip.is_loopback()).then_some(ClientAddress(ip))
    }

    /// What the limits count: the IPv4 address, or the IPv6 /64 network.
    pub fn as_string(&self) -> String {
        match self.0 {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => {
                let s = v6.segments();
                let network = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{network}/64")
            }
        }
    }
}

/// Live channels opened without a session (a ticket's, the market list's)
/// from one client address, per minute (`LIVE_SOCKETS_PER_ADDRESS_PER_MINUTE`):
/// a socket costs the platform for as long as it stays open, so one address
/// cannot open thousands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketLimit {
    pub per_minute: u32,
}

impl SocketLimit {
    pub const DEFAULT_PER_MINUTE: u32 = 60;

    pub fn address_object(address: &ClientAddress) -> String {
        format!("sockets:address:{}", address.as_string())
    }

    pub fn open(&self, socket: &str, now_ms: i64) -> LimitCommand {
        LimitCommand::Take {
            key: socket.to_string(),
            quotas: vec![Quota::new("sockets", self.per_minute)],
            expires_at_ms: now_ms + 60_000,
        }
    }
}

/// The limits on declined payment attempts (card testing: trying stolen
/// cards one after another), counted per buyer, per order and per client
/// address over a sliding window. An attempt counts as a decline from
/// before the provider is called; one that was not declined is given back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclineLimits {
    pub per_buyer: u32,
    pub per_order: u32,
    pub per_address: u32,
    pub window_ms: i64,
}

impl DeclineLimits {
    pub const DEFAULT: DeclineLimits = DeclineLimits {
        per_buyer: 5,
        per_order: 5,
        per_address: 20,
        window_ms: 60 * 60 * 1000,
    };

    /// The buyer's object: both the buyer's lane and each order's lane
    /// (an order has one buyer), so one call counts both exactly.
    pub fn buyer_object(user_id: &str) -> String {
        format!("declines:buyer:{user_id}")
    }

    pub fn address_object(address: &ClientAddress) -> String {
        format!("declines:address:{}", address.as_string())
    }

    /// One attempt `attempt` (a key unique to the pay request) on `order_id`.
    pub fn buyer_attempt(&self, attempt: &str, order_id: &str, now_ms: i64) -> LimitCommand {
        LimitCommand::Take {
            key: attempt.to_string(),
            quotas: vec![
                Quota::new("buyer", self.per_buyer),
                Quota::new(format!("order:{order_id}"), self.per_order),
            ],
            expires_at_ms: now_ms + self.window_ms,
        }
    }

    pub fn address_attempt(&self, attempt: &str, now_ms: i64) -> LimitCommand {
        LimitCommand::Take {
            key: attempt.to_string(),
            quotas: vec![Quota::new("address", self.per_address)],
            expires_at_ms: now_ms + self.window_ms,
        }
    }
}

/// The sign-in and sign-up limits, from the auth worker's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigninLimits {
    pub failures_per_email_and_address: u32,
    pub failures_per_email: u32,
    pub failure_window_ms: i64,
    pub requests_per_address: u32,
    pub request_window_ms: i64,
}

impl SigninLimits {
    pub const DEFAULT: SigninLimits = SigninLimits {
        failures_per_email_and_address: 10,
        failures_per_email: 50,
        failure_window_ms: 15 * 60 * 1000,
        requests_per_address: 60,
        request_window_ms: 60 * 1000,
    };

    /// The limiter object that counts requests from `address`.
    pub fn address_object(address: &ClientAddress) -> String {
        format!("address:{}", address.as_string())
    }

    /// One sign-in or sign-up request from the address, counted for a minute.
    pub fn request(&self, attempt: &str, now_ms: i64) -> LimitCommand {
        LimitCommand::Take {
            key: attempt.to_string(),
            quotas: vec![Quota::new("requests", self.requests_per_address)],
            expires_at_ms: now_ms + self.request_window_ms,
        }
    }

    /// The limiter object that counts failed sign-ins to `email`.
    pub fn email_object(email: &str) -> String {
        format!("signin:{email}")
    }

    /// A sign-in attempt, counted as a failure until it succeeds (then it is
    /// given back): taking it before the password is checked is what keeps
    /// concurrent guesses within the limit.
    pub fn attempt(
        &self,
        attempt: &str,
        address: Option<&ClientAddress>,
        now_ms: i64,
    ) -> LimitCommand {
        let mut quotas = vec![Quota::new("all", self.failures_per_email)];
        if let Some(address) = address {
            quotas.push(Quota::new(
                format!("from:{}", address.as_string()),
                self.failures_per_email_and_address,
            ));
        }
        LimitCommand::Take {
            key: attempt.to_string(),
            quotas,
            expires_at_ms: now_ms + self.failure_window_ms,
        }
    }
}

/// How many unpaid orders one buyer may hold at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOrderLimit {
    pub max: u32,
}

impl OpenOrderLimit {
    pub const DEFAULT_MAX: u32 = 5;
    /// A slot outlives its order's payment window by this much, for a payment
    /// still running at the deadline; the order's end normally frees it first.
    pub const GRACE_MS: i64 = 2 * 60 * 1000;

    /// `MAX_OPEN_ORDERS_PER_ADDRESS`: unpaid holds from one client address
    /// across all its accounts (accounts are free).
    pub const DEFAULT_MAX_PER_ADDRESS: u32 = 20;

    pub fn buyer_object(user_id: &str) -> String {
        format!("buyer:{user_id}")
    }

    /// The object counting holds from a client address (`counted`: what
    /// `ClientAddress::as_string` gives).
    pub fn address_object(counted: &str) -> String {
        format!("holds:address:{counted}")
    }

    /// Keeps the slot of `order_id` until its hold can end at the latest
    /// (`until`, e.g. a 3-D Secure window), so the slot never lapses first.
    pub fn extend(&self, order_id: &str, until_ms: i64) -> LimitCommand {
        LimitCommand::Take {
            key: order_id.to_string(),
            quotas: vec![Quota::new("open", self.max)],
            expires_at_ms: until_ms + Self::GRACE_MS,
        }
    }

    /// A slot for the new order `order_id`. A retried request (same
    /// Idempotency-Key, hence same order id) finds its slot already held.
    pub fn slot(&self, order_id: &str, window_ms: i64, now_ms: i64) -> LimitCommand {
        LimitCommand::Take {
            key: order_id.to_string(),
            quotas: vec![Quota::new("open", self.max)],
            expires_at_ms: now_ms + window_ms + Self::GRACE_MS,
        }
    }
}

/// Whether the slot claimed for the new order `order_id` ended up holding
/// no order, once the ticket's object answered with the order it placed (its
/// id) or an error (its status): then the slot is given back. A different id
/// is the replay of an order placed before; a 5xx may have placed the order,
/// so that slot is kept until it expires.
pub fn slot_unused(order_id: &str, answer: Result<&str, u16>) -> bool {
    match answer {
        Ok(placed) => placed != order_id,
        Err(status) => status < 500,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The limiter objects are named once and kept: a new name would start
    /// every count afresh in production.
    #[test]
    fn every_limiter_object_keeps_its_own_name() {
        let address = ClientAddress::from_header(Some("203.0.113.7")).unwrap();
        assert_eq!(
            [
                DeclineLimits::buyer_object("u1"),
                DeclineLimits::address_object(&address),
                SigninLimits::address_object(&address),
                SigninLimits::email_object("a@b.co"),
                OpenOrderLimit::buyer_object("u1"),
                OpenOrderLimit::address_object(&address.as_string()),
            ],
            [
                "declines:buyer:u1",
                "declines:address:203.0.113.7",
                "address:203.0.113.7",
                "signin:a@b.co",
                "buyer:u1",
                "holds:address:203.0.113.7",
            ]
        );
        assert_eq!(OpenOrderLimit::GRACE_MS, 120_000, "two minutes");
    }

    fn take(key: &str, lanes: &[(&str, u32)], expires_at_ms: i64) -> LimitCommand {
        LimitCommand::Take {
            key: key.to_string(),
            quotas: lanes.iter().map(|(l, m)| Quota::new(*l, *m)).collect(),
            expires_at_ms,
        }
    }

    #[test]
    fn a_lane_grants_up_to_its_max_then_refuses_until_the_oldest_expires() {
        let mut tally = Tally::default();
        for (i, expiry) in [(0, 1_000), (1, 2_000), (2, 3_000)] {
            let key = format!("k{i}");
            assert_eq!(
                tally.apply(take(&key, &[("a", 3)], expiry), 0),
                Some(Taken::Granted)
            );
        }
        assert_eq!(
            tally.apply(take("k3", &[("a", 3)], 4_000), 10),
            Some(Taken::Refused { retry_at_ms: 1_000 })
        );
        // At the oldest entry's expiry there is room again.
        assert_eq!(
            tally.apply(take("k3", &[("a", 3)], 4_000), 1_000),
            Some(Taken::Granted)
        );
    }

    #[test]
    fn a_refusal_counts_nothing() {
        let mut tally = Tally::default();
        tally.apply(take("k0", &[("a", 1)], 1_000), 0);
        for _ in 0..3 {
            tally.apply(take("k1", &[("a", 1)], 1_000), 0);
        }
        assert_eq!(tally.entries.len(), 1);
    }

    #[test]
    fn every_quota_must_have_room_and_the_latest_retry_time_is_given() {
        let mut tally = Tally::default();
        tally.apply(take("k0", &[("all", 5), ("from:a", 1)], 1_000), 0);
        // Another address still fits in "all".
        assert_eq!(
            tally.apply(take("k1", &[("all", 5), ("from:b", 1)], 2_000), 0),
            Some(Taken::Granted)
        );
        assert_eq!(
            tally.apply(take("k2", &[("all", 5), ("from:a", 1)], 3_000), 0),
            Some(Taken::Refused { retry_at_ms: 1_000 })
        );
        assert_eq!(
            tally.apply(take("k3", &[("all", 2), ("from:c", 1)], 3_000), 0),
            Some(Taken::Refused { retry_at_ms: 1_000 })
        );
        assert_eq!(
            tally.apply(take("k3", &[("all", 1), ("from:a", 1)], 3_000), 0),
            Some(Taken::Refused { retry_at_ms: 2_000 })
        );
    }

    #[test]
    fn a_lowered_max_waits_until_enough_entries_expire() {
        let mut tally = Tally::default();
        for (key, expiry) in [("k0", 1_000), ("k1", 2_000), ("k2", 3_000)] {
            tally.apply(take(key, &[("a", 3)], expiry), 0);
        }
        assert_eq!(
            tally.apply(take("k3", &[("a", 1)], 9_000), 0),
            Some(Taken::Refused { retry_at_ms: 3_000 })
        );
    }

    #[test]
    fn a_key_already_held_is_not_counted_again() {
        let mut tally = Tally::default();
        tally.apply(take("order-1", &[("open", 1)], 1_000), 0);
        assert_eq!(
            tally.apply(take("order-1", &[("open", 1)], 1_000), 0),
            Some(Taken::AlreadyHeld)
        );
        assert_eq!(tally.entries.len(), 1);
    }

    #[test]
    fn a_slot_taken_again_lasts_until_the_later_expiry() {
        let mut tally = Tally::default();
        let limit = OpenOrderLimit { max: 1 };
        tally.apply(limit.slot("o1", 1_000, 0), 0);
        assert_eq!(
            tally.apply(limit.extend("o1", 600_000), 0),
            Some(Taken::AlreadyHeld)
        );
        assert_eq!(
            tally.last_expiry(),
            Some(600_000 + OpenOrderLimit::GRACE_MS)
        );
        // Never shortened.
        tally.apply(limit.slot("o1", 1_000, 0), 0);
        assert_eq!(
            tally.last_expiry(),
            Some(600_000 + OpenOrderLimit::GRACE_MS)
        );
    }

    #[test]
    fn giving_back_frees_the_entry_with_its_key() {
        let mut tally = Tally::default();
        tally.apply(take("order-1", &[("open", 1)], 1_000), 0);
        assert_eq!(
            tally.apply(LimitCommand::GiveBack { key: "nope".into() }, 0),
            None
        );
        assert_eq!(tally.entries.len(), 1);
        tally.apply(
            LimitCommand::GiveBack {
                key: "order-1".into(),
            },
            0,
        );
        assert!(tally.is_empty());
        assert_eq!(
            tally.apply(take("order-2", &[("open", 1)], 1_000), 0),
            Some(Taken::Granted)
        );
    }

    #[test]
    fn expired_entries_are_forgotten_and_the_last_expiry_is_known() {
        let mut tally = Tally::default();
        tally.apply(take("k0", &[("a", 9)], 1_000), 0);
        tally.apply(take("k1", &[("a", 9)], 5_000), 0);
        assert_eq!(tally.last_expiry(), Some(5_000));
        tally.forget_expired(1_000);
        assert_eq!(tally.last_expiry(), Some(5_000));
        assert_eq!(tally.entries.len(), 1);
        tally.forget_expired(5_000);
        assert!(tally.is_empty());
        assert_eq!(tally.last_expiry(), None);
    }

    #[test]
    fn an_ipv6_client_counts_by_its_64_and_ipv4_by_its_address() {
        let of = |raw| ClientAddress::from_header(Some(raw)).map(|a| a.as_string());
        assert_eq!(of("203.0.113.7").as_deref(), Some("203.0.113.7"));
        assert_eq!(
            of("2001:db8:1:2:aaaa::1").as_deref(),
            Some("2001:db8:1:2::/64")
        );
        assert_eq!(
            of("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            of("2001:db8:1:2::9")
        );
        assert_ne!(of("2001:db8:1:3::1"), of("2001:db8:1:2::1"));
        assert_eq!(of("::1"), None);
        assert_eq!(of("127.0.0.1"), None);
    }

    #[test]
    fn declines_count_per_buyer_per_order_and_per_address() {
        let limits = DeclineLimits::DEFAULT;
        let mut buyer = Tally::default();
        for i in 0..5 {
            let taken = buyer.apply(limits.buyer_attempt(&format!("a{i}"), "o1", 0), 0);
            assert_eq!(taken, Some(Taken::Granted));
        }
        // A sixth on the same order, or on another order of this buyer: refused.
        for order in ["o1", "o2"] {
            assert_eq!(
                buyer.apply(limits.buyer_attempt("a5", order, 10), 10),
                Some(Taken::Refused {
                    retry_at_ms: limits.window_ms
                })
            );
        }
        let mut address = Tally::default();
        for i in 0..20 {
            address.apply(limits.address_attempt(&format!("a{i}"), 0), 0);
        }
        assert!(matches!(
            address.apply(limits.address_attempt("a20", 0), 0),
            Some(Taken::Refused { .. })
        ));
    }

    #[test]
    fn retry_after_is_whole_seconds_rounded_up_and_at_least_one() {
        assert_eq!(Taken::retry_after_seconds(10_001, 0), 11);
        assert_eq!(Taken::retry_after_seconds(10_000, 0), 10);
        assert_eq!(Taken::retry_after_seconds(0, 500), 1);
    }

    #[test]
    fn commands_and_answers_cross_json_unchanged() {
        let give_back = LimitCommand::GiveBack { key: "o1".into() };
        for command in [OpenOrderLimit { max: 5 }.slot("o1", 1_000, 0), give_back] {
            let json = serde_json::to_string(&command).unwrap();
            assert_eq!(
                serde_json::from_str::<LimitCommand>(&json).unwrap(),
                command
            );
        }
        for taken in [
            Taken::Granted,
            Taken::AlreadyHeld,
            Taken::Refused { retry_at_ms: 7 },
        ] {
            let json = serde_json::to_string(&taken).unwrap();
            assert_eq!(serde_json::from_str::<Taken>(&json).unwrap(), taken);
        }
    }

    #[test]
    fn the_wire_form_is_the_tagged_one() {
        let take = OpenOrderLimit { max: 5 }.slot("o1", 1_000, 0);
        let json = serde_json::to_value(&take).unwrap();
        assert_eq!(json["op"], "take");
        assert_eq!(json["expiresAtMs"].as_i64(), Some(take_expiry(&take)));
        assert_eq!(
            serde_json::to_value(Taken::Refused { retry_at_ms: 7 }).unwrap(),
            serde_json::json!({"outcome": "refused", "retryAtMs": 7})
        );
        for (bad, why) in [
            (r#"{"op":"take","key":"k"}"#, "missing field `quotas`"),
            (r#"{"op":"steal","key":"k"}"#, "unknown variant `steal`"),
        ] {
            let error = serde_json::from_str::<LimitCommand>(bad).unwrap_err();
            assert!(error.to_string().contains(why), "{error}");
        }
        let error = serde_json::from_str::<Taken>(r#"{"outcome":"refused"}"#).unwrap_err();
        assert!(error.to_string().contains("retryAtMs"), "{error}");
    }

    fn take_expiry(command: &LimitCommand) -> i64 {
        match command {
            LimitCommand::Take { expires_at_ms, .. } => *expires_at_ms,
            LimitCommand::GiveBack { .. } => panic!("not a take"),
        }
    }

    #[test]
    fn a_slot_is_given_back_only_when_surely_unused() {
        assert!(!slot_unused("o1", Ok("o1")));
        assert!(slot_unused("o1", Ok("o0")));
        assert!(slot_unused("o1", Err(400)));
        assert!(slot_unused("o1", Err(404)));
        assert!(!slot_unused("o1", Err(500)));
        assert!(!slot_unused("o1", Err(503)));
    }

    #[test]
    fn only_a_real_remote_address_is_limited() {
        assert_eq!(ClientAddress::from_header(None), None);
        assert_eq!(ClientAddress::from_header(Some("127.0.0.1")), None);
        assert_eq!(ClientAddress::from_header(Some("::1")), None);
        assert_eq!(ClientAddress::from_header(Some("not an ip")), None);
        let address = ClientAddress::from_header(Some(" 203.0.113.7 ")).unwrap();
        assert_eq!(address.as_string(), "203.0.113.7");
        assert_eq!(
            ClientAddress::from_header(Some("2001:db8::1")).map(|a| a.as_string()),
            Some("2001:db8::/64".to_string())
        );
    }

    #[test]
    fn a_sign_in_attempt_counts_per_email_and_per_address_only_with_an_address() {
        let limits = SigninLimits::DEFAULT;
        let address = ClientAddress::from_header(Some("203.0.113.7"));
        let LimitCommand::Take { quotas, .. } = limits.attempt("a1", address.as_ref(), 0) else {
            panic!("a take");
        };
        assert_eq!(
            quotas,
            vec![Quota::new("all", 50), Quota::new("from:203.0.113.7", 10)]
        );
        let LimitCommand::Take {
            quotas,
            expires_at_ms,
            ..
        } = limits.attempt("a1", None, 5)
        else {
            panic!("a take");
        };
        assert_eq!(quotas, vec![Quota::new("all", 50)]);
        assert_eq!(expires_at_ms, 5 + 15 * 60 * 1000);
    }

    #[test]
    fn an_order_slot_is_keyed_by_order_and_outlives_the_window() {
        let command = OpenOrderLimit { max: 5 }.slot("o1", 60_000, 1_000);
        assert_eq!(
            command,
            LimitCommand::Take {
                key: "o1".into(),
                quotas: vec![Quota::new("open", 5)],
                expires_at_ms: 1_000 + 60_000 + OpenOrderLimit::GRACE_MS,
            }
        );
        let requests = SigninLimits::DEFAULT.request("r1", 0);
        assert_eq!(
            requests,
            LimitCommand::Take {
                key: "r1".into(),
                quotas: vec![Quota::new("requests", 60)],
                expires_at_ms: 60_000,
            }
        );
    }
}
