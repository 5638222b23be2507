//! `make dev`: the whole product at http://127.0.0.1:8788 (PORT to change
//! it), on the developer's local state in .state/ (STATE_DIR to change it;
//! `make reset` wipes it), with the settings the environment overrides
//! (`EXPIRATION_WINDOW_SECONDS=3 make dev`; see `stack::OVERRIDES`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let port = match std::env::var("PORT") {
        Err(_) => 8788,
        Ok(port) => match port.parse::<u16>() {
            Ok(port) if port > 0 => port,
            _ => {
                eprintln!("PORT={port} is not a port");
                return ExitCode::from(2);
            }
        },
    };
    let state_dir = std::env::var_os("STATE_DIR")
        .map(Into::into)
        .unwrap_or_else(|| stack::root().join(".state"));
    let settings = stack::Settings::for_development();
    let status = stack::serve_for_development(&settings, port, &state_dir);
    match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    }
}
