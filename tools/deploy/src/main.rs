//! `deploy check` (offline) and `deploy run` (against Cloudflare's API).

use deploy::{check, config::Project};
use std::path::PathBuf;
use std::process::ExitCode;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("check") => run_check(),
        _ => {
            eprintln!("usage: deploy check");
            ExitCode::from(64)
        }
    }
}

fn run_check() -> ExitCode {
    let project = match Project::load(&root()) {
        Ok(project) => project,
        Err(e) => {
            eprintln!("deploy-check: {e}");
            return ExitCode::FAILURE;
        }
    };
    let problems = check::problems(&project);
    for problem in &problems {
        eprintln!("deploy-check: {problem}");
    }
    if problems.is_empty() {
        println!(
            "deploy-check: the configs of {} workers and the Pages project agree",
            project.workers.len()
        );
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
