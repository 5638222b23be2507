//! Reading the internal protocols' tagged enums (`{"type": "placeOrder",
//! ...fields}`) through a flat struct of their fields.
//!
//! Serde's derive for an internally tagged enum first buffers the input in
//! its generic `Content` tree, then reads the variant from that tree: a
//! second reader of every payload type, tens of KB of each worker's wasm.
//! A flat struct (the tag, and every variant's fields as options) reads
//! straight from the JSON, and `TryFrom` picks the variant
//! (`#[serde(try_from = ...)]`). The JSON stays exactly as the derive
//! writes it, so workers of either build understand each other during a
//! deploy.

/// A field the variant needs: missing (or null) is an error naming it.
pub fn required<T>(field: Option<T>, name: &str, variant: &str) -> Result<T, String> {
    field.ok_or_else(|| format!("{variant}: missing field `{name}`"))
}

/// A tag that names no variant.
pub fn unknown(tag: &str, what: &str) -> String {
    format!("unknown {what} `{tag}`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_what_is_missing() {
        assert_eq!(required(Some(1), "a", "v"), Ok(1));
        assert_eq!(
            required::<u8>(None, "key", "take"),
            Err("take: missing field `key`".to_string())
        );
        assert_eq!(unknown("x", "op"), "unknown op `x`");
    }
}
