//! Reading settings from a worker's environment, one way everywhere: a
//! secret or a plain var, blank counts as unset.

use worker::Env;

/// A setting's trimmed text, from a secret or a var; `None` when unset or blank.
pub fn setting(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A whole number above zero, or `default` when unset or not one.
pub fn positive_number(env: &Env, name: &str, default: i64) -> i64 {
    parse_positive(setting(env, name).as_deref()).unwrap_or(default)
}

/// [`positive_number`] for a count (limits): at most `u32::MAX`.
pub fn positive_count(env: &Env, name: &str, default: u32) -> u32 {
    positive_number(env, name, default.into()).min(u32::MAX.into()) as u32
}

fn parse_positive(text: Option<&str>) -> Option<i64> {
    text?.parse::<i64>().ok().filter(|n| *n > 0)
}

#[cfg(test)]
mod tests {
    use super::parse_positive;

    #[test]
    fn only_whole_numbers_above_zero_count() {
        assert_eq!(parse_positive(Some("900")), Some(900));
        for text in [None, Some("0"), Some("-5"), Some("2.5"), Some("soon")] {
            assert_eq!(parse_positive(text), None, "{text:?}");
        }
    }
}
