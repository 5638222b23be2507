//! `deploy check` (offline: configs and dry-run bundles) and `deploy run`
//! (against Cloudflare's API; `ENV=staging` for the staging copy).

use deploy::config::Project;
use deploy::environment::Environment;
use std::path::PathBuf;
use std::process::ExitCode;

fn root() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

fn main() -> ExitCode {
    let command = std::env::args().nth(1).unwrap_or_default();
    let result = Project::load(&root())
        .map_err(|e| e.to_string())
        .and_then(|project| match command.as_str() {
            "check" => deploy::deploy::check_offline(&project)
                .map(|()| {
                    println!(
                        "deploy-check: the configs of {} workers and the Pages project agree and bundle",
                        project.workers.len()
                    )
                })
                .map_err(|e| e.to_string()),
            "run" => Environment::parse(&std::env::var("ENV").unwrap_or_default())
                .map_err(|e| e.to_string())
                .and_then(|env| deploy::deploy::deploy(&project, env).map_err(|e| e.to_string())),
            _ => Err("usage: deploy check | deploy run (ENV=production|staging)".into()),
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("deploy: {message}");
            ExitCode::FAILURE
        }
    }
}
