//! The deployed copies: production under the committed names, staging under
//! the same names with `-staging` appended (workers, databases, queues and the
//! Pages project), so the two never share a resource.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Production,
    Staging,
}

#[derive(Debug, thiserror::Error)]
#[error("ENV={0:?}: the environments are \"production\" (the default) and \"staging\"")]
pub struct UnknownEnvironment(String);

impl Environment {
    pub fn parse(name: &str) -> Result<Self, UnknownEnvironment> {
        match name {
            "" | "production" => Ok(Environment::Production),
            "staging" => Ok(Environment::Staging),
            other => Err(UnknownEnvironment(other.to_string())),
        }
    }

    /// The name of a worker, database, queue or Pages project in this copy.
    pub fn name(self, committed: &str) -> String {
        match self {
            Environment::Production => committed.to_string(),
            Environment::Staging => format!("{committed}-staging"),
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Environment::Production => "production",
            Environment::Staging => "staging",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_names_every_resource_apart() {
        assert_eq!(
            Environment::Production.name("ticket-events"),
            "ticket-events"
        );
        assert_eq!(
            Environment::Staging.name("ticket-events-dlq"),
            "ticket-events-dlq-staging"
        );
        assert_eq!(Environment::parse("").unwrap(), Environment::Production);
        assert_eq!(Environment::parse("staging").unwrap(), Environment::Staging);
        assert!(Environment::parse("prod").is_err());
    }
}
