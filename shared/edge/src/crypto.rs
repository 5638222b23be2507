//! Randomness and PBKDF2-HMAC-SHA256 through the runtime's WebCrypto: native code, so a
//! 100,000-iteration hash costs milliseconds instead of the ~10x a pure-Rust
//! loop in wasm would.

use domain::password::{HASH_LEN, SALT_LEN};
use domain::ApiError;
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Crypto, CryptoKey};

fn crypto() -> Result<Crypto, ApiError> {
    Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))
        .ok()
        .and_then(|c| c.dyn_into::<Crypto>().ok())
        .ok_or_else(|| ApiError::internal("WebCrypto is not available"))
}

fn js_error(context: &str) -> impl Fn(JsValue) -> ApiError + '_ {
    move |e| ApiError::internal(format!("{context}: {e:?}"))
}

pub fn random_salt() -> Result<Vec<u8>, ApiError> {
    let mut salt = vec![0u8; SALT_LEN];
    crypto()?
        .get_random_values_with_u8_array(&mut salt)
        .map_err(js_error("getRandomValues"))?;
    Ok(salt)
}

pub async fn pbkdf2_sha256(
    password: &str,
    salt: &[u8],
    iterations: u32,
) -> Result<Vec<u8>, ApiError> {
    let subtle = crypto()?.subtle();
    let usages = Array::of1(&JsValue::from_str("deriveBits"));
    let password = Uint8Array::from(password.as_bytes());
    let key = subtle
        .import_key_with_str("raw", &password, "PBKDF2", false, &usages)
        .map_err(js_error("importKey"))?;
    let key: CryptoKey = JsFuture::from(key)
        .await
        .map_err(js_error("importKey"))?
        .unchecked_into();

    let params = Object::new();
    let set = |name: &str, value: &JsValue| Reflect::set(&params, &JsValue::from_str(name), value);
    set("name", &JsValue::from_str("PBKDF2"))
        .and_then(|_| set("hash", &JsValue::from_str("SHA-256")))
        .and_then(|_| set("salt", &Uint8Array::from(salt)))
        .and_then(|_| set("iterations", &JsValue::from(iterations)))
        .map_err(js_error("PBKDF2 params"))?;
    let bits = subtle
        .derive_bits_with_object(&params, &key, (HASH_LEN * 8) as u32)
        .map_err(js_error("deriveBits"))?;
    let bits = JsFuture::from(bits).await.map_err(js_error("deriveBits"))?;
    Ok(Uint8Array::new(&bits).to_vec())
}
