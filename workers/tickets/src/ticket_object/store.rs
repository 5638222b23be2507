//! The object's storage layout, all in one place. Keys:
//! - `ticket`: the ticket
//! - `order:<id>`: each order ever placed on it
//! - `idem:<user>:<key>`: order id per Idempotency-Key
//! - `outbox:<ms>:<event id>`: events written with the change, deleted once sent
//!
//! Values are JSON text: plain to inspect, and free of the JS Map/Object
//! ambiguity of structured clone.

use domain::desk::Outcome;
use domain::events::Envelope;
use domain::ids::OrderId;
use domain::orders::Order;
use domain::tickets::Ticket;
use serde::de::DeserializeOwned;
use worker::js_sys::{Object, Reflect};
use worker::{ListOptions, Result, Storage};

const TICKET: &str = "ticket";
const OUTBOX: &str = "outbox:";

pub struct Store {
    storage: Storage,
}

fn order_key(id: &OrderId) -> String {
    format!("order:{id}")
}

fn idempotency_key(user_id: &str, key: &str) -> String {
    format!("idem:{user_id}:{key}")
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

    pub async fn order_for_idempotency_key(
        &self,
        user_id: &str,
        key: &str,
    ) -> Result<Option<OrderId>> {
        self.get(&idempotency_key(user_id, key)).await
    }

    /// Writes the outcome and its events in ONE put: the change and its
    /// outbox entries are stored together or not at all.
    pub async fn write(
        &self,
        outcome: &Outcome,
        envelopes: &[Envelope],
        idempotency: Option<(&str, &str)>,
        now: i64,
    ) -> Result<()> {
        let entries = Object::new();
        let put = |key: &str, value: String| {
            Reflect::set(&entries, &key.into(), &value.into()).map(|_| ())
        };
        put(TICKET, serde_json::to_string(&outcome.ticket)?)?;
        if let Some(order) = &outcome.order {
            put(&order_key(&order.id), serde_json::to_string(order)?)?;
            if let Some((user_id, key)) = idempotency {
                put(
                    &idempotency_key(user_id, key),
                    serde_json::to_string(&order.id)?,
                )?;
            }
        }
        for (index, envelope) in envelopes.iter().enumerate() {
            put(
                &format!("{OUTBOX}{now:015}:{index:02}:{}", envelope.id),
                serde_json::to_string(envelope)?,
            )?;
        }
        self.storage.put_multiple_raw(entries).await
    }

    /// Unsent events, oldest first.
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
            if let Ok(envelope) = serde_json::from_str::<Envelope>(&json) {
                pending.push((key, envelope));
            }
        });
        pending.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(pending)
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
