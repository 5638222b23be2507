//! `LimitObject`: one Durable Object per limited key (an email's sign-in
//! failures, a client address's requests, a buyer's unpaid orders). It is
//! the single writer of its `domain::limits::Tally`, so a check and the count
//! it allows happen in one step and concurrent requests cannot both pass.
//!
//! Defined here, bound by the auth worker (sign-in) and the orders worker
//! (open orders) as `LIMITERS`. Its alarm forgets a tally once every entry
//! has expired, so idle keys keep no storage.

use domain::limits::{LimitCommand, Tally};
use std::cell::Cell;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

const TALLY: &str = "tally";

#[durable_object]
pub struct LimitObject {
    state: State,
    /// The alarm this instance set last; saves a storage write per call.
    alarm_at: Cell<Option<i64>>,
}

impl DurableObject for LimitObject {
    fn new(state: State, _env: Env) -> Self {
        Self {
            state,
            alarm_at: Cell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let command: LimitCommand = match edge::body::read_internal(&mut req).await {
            Ok(command) => command,
            Err(e) => return Response::error(format!("unreadable command: {e}"), 400),
        };
        let (stored, mut tally) = self.load().await?;
        let taken = tally.apply(command, edge::now_ms());
        self.save(&stored, &tally).await?;
        Response::from_json(&taken)
    }

    async fn alarm(&self) -> Result<Response> {
        self.alarm_at.set(None);
        let (stored, mut tally) = self.load().await?;
        tally.forget_expired(edge::now_ms());
        self.save(&stored, &tally).await?;
        Response::ok("")
    }
}

impl LimitObject {
    /// The tally and the JSON it was read from (to skip writing it unchanged).
    async fn load(&self) -> Result<(String, Tally)> {
        let stored = self
            .state
            .storage()
            .get::<String>(TALLY)
            .await?
            .unwrap_or_default();
        let tally = if stored.is_empty() {
            Tally::default()
        } else {
            serde_json::from_str(&stored)?
        };
        Ok((stored, tally))
    }

    async fn save(&self, stored: &str, tally: &Tally) -> Result<()> {
        let storage = self.state.storage();
        let Some(last_expiry) = tally.last_expiry() else {
            if !stored.is_empty() {
                storage.delete_all().await?;
            }
            return Ok(());
        };
        let json = serde_json::to_string(tally)?;
        if json != stored {
            storage.put(TALLY, json).await?;
        }
        // Wake once everything has expired, not once per entry.
        if self.alarm_at.get().is_none_or(|at| at < last_expiry) {
            let at = worker::js_sys::Date::new(&(last_expiry as f64).into());
            storage.set_alarm(worker::ScheduledTime::new(at)).await?;
            self.alarm_at.set(Some(last_expiry));
        }
        Ok(())
    }
}
