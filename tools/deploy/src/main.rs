//! `deploy check` (offline: configs and dry-run bundles) and `deploy run`
//! (against Cloudflare's API; `ENV=staging` for the staging copy).

use deploy::config::Project;
use deploy::environment::Environment;
use deploy::project_root::find_project_root;
use std::path::PathBuf;
use std::process::ExitCode;

/// The checkout the tool is run in (`make` runs it from the root), never the
/// one it was compiled in: see `deploy::project_root`.
fn root() -> Result<PathBuf, String> {
    let here =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let root = find_project_root(&here).map_err(|e| e.to_string())?;
    Ok(root.canonicalize().unwrap_or(root))
}

fn main() -> ExitCode {
    let command = std::env::args().nth(1).unwrap_or_default();
    let result = root()
        .and_then(|root| Project::load(&root).map_err(|e| e.to_string()))
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
