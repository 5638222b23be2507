//! The object's storage layout, all in one place. Keys:
//! - `ticket`: the ticket
//! - `order:<id>`: each order ever placed on it
//! - `outbox:<ms>:<event id>`: events written with the change, deleted once sent
//! - `send_failures`: failed delivery rounds in a row (the retry backoff)
//! - `rehold:<user>`: until when that buyer may not hold the ticket again,
//!   after letting a hold on it expire (`REHOLD_COOLDOWN_SECONDS`)
//! - `hold_address`: the live hold's order and the client address whose
//!   per-address slot it took (`MAX_OPEN_ORDERS_PER_ADDRESS`)
//! - `test:fail_sends`: injected send failures still to come (test builds only)
//! - `test:bench_write`: the bench's bare write (test builds only)
//!
//! Values are JSON text: plain to inspect, and free of the JS Map/Object
//! ambiguity of structured clone.

use domain::desk::{Change, Command, Loaded, OrderLookup};
use domain::events::Envelope;
use domain::ids::OrderId;
use domain::orders::Order;
use domain::tickets::Ticket;
use serde::de::DeserializeOwned;
use worker::js_sys::{Object, Reflect};
use worker::{ListOptions, Result, Storage};

const TICKET: &str = "ticket";
const OUTBOX: &str = "outbox:";
const SEND_FAILURES: &str = "send_failures";
#[cfg(feature = "test-hooks")]
const INJECTED_SEND_FAILURES: &str = "test:fail_sends";

pub struct Store {
    storage: Storage,
}

const ORDER: &str = "order:";

fn order_key(id: &OrderId) -> String {
    format!("{ORDER}{id}")
}

/// Sorts by time, then by place in its commit.
fn outbox_key(now: i64, index: usize, envelope: &Envelope) -> String {
    format!("{OUTBOX}{now:015}:{index:04}:{}", envelope.id)
}

fn rehold_key(user_id: &str) -> String {
    format!("rehold:{user_id}")
}

pub const HOLD_ADDRESS: &str = "hold_address";

/// The live hold's per-address slot: which order took it, from where.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HoldAddress {
    pub order_id: OrderId,
    pub address: String,
}

impl Store {
    pub fn new(storage: Storage) -> Self {
        Self { storage }
    }

    async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        match self.storage.get::<String>(key).await? {
            Some(json) => Ok(Some(serde_json::from_str(&json)?)),
            None => Ok(None),
        }
    }

    pub async fn ticket(&self) -> Result<Option<Ticket>> {
        self.get(TICKET).await
    }

    pub async fn order(&self, id: &OrderId) -> Result<Option<Order>> {
        self.get(&order_key(id)).await
    }

    /// What `desk::decide` needs for this command: the ticket, and the
    /// orders the command is about.
    pub async fn load(&self, command: &Command) -> Result<Loaded> {
        let ticket = self.ticket().await?;
        let mut loaded = Loaded::default();
        match command.order_to_load() {
            None => {}
            Some(OrderLookup::ById(id)) => loaded.order = self.order(id).await?,
            Some(OrderLookup::Holding) => {
                if let Some(id) = ticket.as_ref().and_then(Ticket::order_id) {
                    loaded.order = self.order(id).await?;
                }
            }
            Some(OrderLookup::Every) => loaded.every_order = self.orders().await?,
        }
        // Only a hold on a free ticket can be refused for the cooldown: the
        // stampede on a held one costs no extra read.
        if let Command::PlaceOrder { user_id, .. } = command {
            if ticket.as_ref().is_some_and(Ticket::is_free) {
                loaded.rehold_after = self.get(&rehold_key(user_id.as_str())).await?;
            }
        }
        loaded.ticket = ticket;
        Ok(loaded)
    }

    pub async fn hold_address(&self) -> Result<Option<HoldAddress>> {
        self.get(HOLD_ADDRESS).await
    }

    pub async fn set_hold_address(&self, hold: &HoldAddress) -> Result<()> {
        self.storage
            .put(HOLD_ADDRESS, serde_json::to_string(hold)?)
            .await
    }

    /// Writes the change and its events in ONE put: the new state and its
    /// outbox entries are stored together or not at all. `rehold_until`:
    /// the order's buyer let it expire, and may not hold again until then.
    pub async fn write(
        &self,
        change: &Change,
        envelopes: &[Envelope],
        now: i64,
        rehold_until: Option<i64>,
    ) -> Result<()> {
        let entries = Object::new();
        let put = |key: &str, value: String| {
            Reflect::set(&entries, &key.into(), &value.into()).map(|_| ())
        };
        put(TICKET, serde_json::to_string(&change.ticket)?)?;
        if let Some(order) = &change.order {
            put(&order_key(&order.id), serde_json::to_string(order)?)?;
            if let Some(until) = rehold_until {
                put(&rehold_key(order.user_id.as_str()), until.to_string())?;
            }
        }
        for (index, envelope) in envelopes.iter().enumerate() {
            put(
                &outbox_key(now, index, envelope),
                serde_json::to_string(envelope)?,
            )?;
        }
        self.storage.put_multiple_raw(entries).await
    }

    /// Every order ever placed on this ticket.
    pub async fn orders(&self) -> Result<Vec<Order>> {
        let listed = self
            .storage
            .list_with_options(ListOptions::new().prefix(ORDER))
            .await?;
        let mut orders = Vec::new();
        let mut unreadable = None;
        listed.for_each(&mut |value, _key| match value
            .as_string()
            .map(|json| serde_json::from_str::<Order>(&json))
        {
            Some(Ok(order)) => orders.push(order),
            Some(Err(e)) => unreadable = Some(e.to_string()),
            None => unreadable = Some("not text".into()),
        });
        match unreadable {
            Some(e) => Err(format!("unreadable order in storage: {e}").into()),
            None => Ok(orders),
        }
    }

    pub async fn outbox(&self) -> Result<Vec<(String, Envelope)>> {
        let listed = self
            .storage
            .list_with_options(ListOptions::new().prefix(OUTBOX))
            .await?;
        let mut pending = Vec::new();
        listed.for_each(&mut |value, key| {
            let (Some(key), Some(json)) = (key.as_string(), value.as_string()) else {
                return;
            };
            if let Ok(envelope) = Envelope::from_json(&json) {
                pending.push((key, envelope));
            }
        });
        pending.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(pending)
    }

    /// Failed delivery rounds in a row.
    pub async fn send_failures(&self) -> Result<u32> {
        Ok(self.get::<u32>(SEND_FAILURES).await?.unwrap_or(0))
    }

    pub async fn set_send_failures(&self, failures: u32) -> Result<()> {
        if failures == 0 {
            self.delete(SEND_FAILURES).await
        } else {
            self.storage.put(SEND_FAILURES, failures.to_string()).await
        }
    }

    /// Test builds: the next `n` event sends fail (a queue in trouble).
    #[cfg(feature = "test-hooks")]
    pub async fn inject_send_failures(&self, n: u32) -> Result<()> {
        self.storage
            .put(INJECTED_SEND_FAILURES, n.to_string())
            .await
    }

    /// Test builds: the bench's bare write of one key.
    #[cfg(feature = "test-hooks")]
    pub async fn bench_write(&self, now: i64) -> Result<()> {
        self.storage.put("test:bench_write", now.to_string()).await
    }

    /// Test builds: whether this send must fail, counting it down.
    #[cfg(feature = "test-hooks")]
    pub async fn take_injected_send_failure(&self) -> Result<bool> {
        let left = self.get::<u32>(INJECTED_SEND_FAILURES).await?.unwrap_or(0);
        if left > 0 {
            self.storage
                .put(INJECTED_SEND_FAILURES, (left - 1).to_string())
                .await?;
        }
        Ok(left > 0)
    }

    pub async fn delete(&self, key: &str) -> Result<()> {
        self.storage.delete(key).await.map(|_| ())
    }

    pub async fn set_alarm_at(&self, unix_ms: i64) -> Result<()> {
        let at = worker::js_sys::Date::new(&(unix_ms as f64).into());
        self.storage.set_alarm(worker::ScheduledTime::new(at)).await
    }

    pub async fn clear_alarm(&self) -> Result<()> {
        self.storage.delete_alarm().await
    }
}
