//! HTML forms: posts read bounded and checked for a same-site origin, and
//! the query strings of GET pages.

use domain::{ApiError, FieldError};
use edge::RequestUrl;
use serde_json::Value;
use std::collections::HashMap;
use worker::Request;

const FORM_LIMIT: usize = 8 * 1024;

pub async fn read_form(req: &mut Request) -> Result<HashMap<String, String>, ApiError> {
    edge::csrf::refuse_cross_site(req)?;
    let bytes = req
        .bytes()
        .await
        .map_err(|_| ApiError::BadRequest("Unreadable form".into()))?;
    if bytes.len() > FORM_LIMIT {
        return Err(ApiError::PayloadTooLarge { limit: FORM_LIMIT });
    }
    Ok(form_urlencoded::parse(&bytes).into_owned().collect())
}

/// The value of `name` in the page's query string.
pub fn query(req: &Request, name: &str) -> Result<Option<String>, ApiError> {
    Ok(RequestUrl::of(req)?.query_param(name))
}

/// A submitted field's text, or "" when the form left it out.
pub fn value<'a>(fields: &'a HashMap<String, String>, name: &str) -> &'a str {
    fields.get(name).map(String::as_str).unwrap_or("")
}

/// Errors from an API reply, split into those shown next to a field and
/// those shown above the form.
#[derive(Default, Debug)]
pub struct FormErrors {
    pub general: Vec<String>,
    by_field: HashMap<String, Vec<String>>,
}

impl FormErrors {
    pub fn from_api(body: &Value) -> Self {
        let parsed: Vec<FieldError> = body
            .get("errors")
            .and_then(Value::as_array)
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| FieldError {
                        message: e
                            .get("message")
                            .and_then(Value::as_str)
                            .unwrap_or("Something went wrong")
                            .into(),
                        field: e.get("field").and_then(Value::as_str).map(Into::into),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut errors = FormErrors::default();
        for error in parsed {
            match error.field {
                Some(field) => errors
                    .by_field
                    .entry(field)
                    .or_default()
                    .push(error.message),
                None => errors.general.push(error.message),
            }
        }
        if errors.general.is_empty() && errors.by_field.is_empty() {
            errors
                .general
                .push("Something went wrong, please try again".into());
        }
        errors
    }

    pub fn for_field(&self, field: &str) -> &[String] {
        self.by_field.get(field).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every message, general ones first: for pages with no field to put them next to.
    pub fn all(&self) -> Vec<String> {
        let mut fields: Vec<&String> = self.by_field.keys().collect();
        fields.sort();
        let by_field = fields.into_iter().flat_map(|f| self.for_field(f).iter());
        self.general.iter().chain(by_field).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn splits_field_errors_from_general_ones() {
        let body = json!({"errors": [
            {"message": "Email must be valid", "field": "email"},
            {"message": "Email in use"}
        ]});
        let errors = FormErrors::from_api(&body);
        assert_eq!(errors.for_field("email"), ["Email must be valid"]);
        assert_eq!(errors.general, ["Email in use"]);
        assert!(errors.for_field("password").is_empty());
        assert_eq!(errors.all(), ["Email in use", "Email must be valid"]);
    }

    #[test]
    fn an_unexpected_body_still_says_something() {
        assert_eq!(FormErrors::from_api(&Value::Null).general.len(), 1);
    }
}
