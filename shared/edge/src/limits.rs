//! Asking a limiter object (`LimitObject`, defined by the auth worker and
//! bound as `LIMITERS`) whether one more request fits its limit. The limits
//! themselves are pure (`domain::limits`).

use domain::limits::{LimitCommand, Taken};
use domain::{ApiError, OrInternal};
use worker::{Env, Stub};

pub const BINDING: &str = "LIMITERS";

/// The client address the per-address limits count (`CF-Connecting-IP`),
/// if the request has a real one.
pub fn client_address(req: &worker::Request) -> Option<domain::limits::ClientAddress> {
    let header = req
        .headers()
        .get(domain::limits::ClientAddress::HEADER)
        .ok()
        .flatten();
    domain::limits::ClientAddress::from_header(header.as_deref())
}

pub struct Limiter {
    stub: Stub,
    name: String,
    request_id: String,
}

impl Limiter {
    /// The one object that counts for `name` (e.g. `signin:<email>`).
    pub fn named(env: &Env, name: String, request_id: &str) -> Result<Self, ApiError> {
        let stub = env
            .durable_object(BINDING)
            .context(BINDING)?
            .id_from_name(&name)
            .and_then(|id| id.get_stub())
            .context("limiter stub")?;
        Ok(Self {
            stub,
            name,
            request_id: request_id.to_string(),
        })
    }

    /// Counts one entry (`Granted`, or `AlreadyHeld` for a retry), or
    /// answers 429 saying `why` (built only then), with when there will be room.
    pub async fn take(
        &self,
        command: &LimitCommand,
        why: impl FnOnce() -> String,
    ) -> Result<Taken, ApiError> {
        match self.count(command).await? {
            Taken::Refused { retry_at_ms } => Err(ApiError::TooManyRequests {
                message: why(),
                retry_after_seconds: Taken::retry_after_seconds(retry_at_ms, crate::now_ms()),
            }),
            taken => Ok(taken),
        }
    }

    /// Counts one entry if it fits: what the limiter answered, refusal included.
    pub async fn count(&self, command: &LimitCommand) -> Result<Taken, ApiError> {
        self.send(command).await
    }

    /// Frees the entry under `key`, if there is one.
    pub async fn give_back(&self, key: &str) -> Result<(), ApiError> {
        let command = LimitCommand::GiveBack {
            key: key.to_string(),
        };
        // Its answer carries nothing to act on: not read into a `Taken`,
        // whose reader the workers that only give back need not carry.
        self.send::<serde::de::IgnoredAny>(&command).await.map(drop)
    }

    async fn send<A: serde::de::DeserializeOwned>(
        &self,
        command: &LimitCommand,
    ) -> Result<A, ApiError> {
        crate::object_call::call(&self.stub, &self.request_id, command, || {
            limiter_label(&self.name)
        })
        .await
    }
}

/// How a failed call names its limiter: the error becomes a log line, and the
/// object's name holds an email, a client address or a user id.
fn limiter_label(name: &str) -> String {
    format!("limiter {}", crate::log::redacted_key(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_limiter_call_names_no_email_or_address() {
        let label = limiter_label("signin:alice@example.com");
        assert!(label.starts_with("limiter signin:"), "{label}");
        assert!(!label.contains("alice"), "{label}");
        assert!(!limiter_label("address:203.0.113.9").contains("203.0.113.9"));
    }
}
