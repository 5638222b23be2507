//! Runs the project's wrangler on the project's Node (both npm packages in
//! node_modules, pinned by package-lock.json) and reads what it prints. Wrangler talks to Cloudflare's API at CLOUDFLARE_API_BASE_URL when
//! that is set (the deploy test's stub of the API), else api.cloudflare.com.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct Wrangler {
    root: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum WranglerError {
    #[error("could not start wrangler ({0}): run `make deploy`, which installs it")]
    Start(std::io::Error),
    #[error("`wrangler {command}` failed:\n{output}")]
    Failed { command: String, output: String },
    #[error("`wrangler {command}` printed what this tool cannot read ({error}):\n{output}")]
    Unreadable {
        command: String,
        error: String,
        output: String,
    },
}

/// What a command printed, or how it failed.
struct Output {
    ok: bool,
    stdout: String,
    all: String,
}

impl Output {
    /// What it printed, or the failure with everything it printed.
    fn stdout_of(self, args: &[&str]) -> Result<String, WranglerError> {
        if self.ok {
            Ok(self.stdout)
        } else {
            Err(WranglerError::Failed {
                command: args.join(" "),
                output: self.all,
            })
        }
    }
}

/// The JSON a command printed: its output from the first bracket on.
fn parse_json<T: serde::de::DeserializeOwned>(
    args: &[&str],
    stdout: String,
) -> Result<T, WranglerError> {
    let start = stdout.find(['[', '{']).unwrap_or(0);
    serde_json::from_str(&stdout[start..]).map_err(|e| WranglerError::Unreadable {
        command: args.join(" "),
        error: e.to_string(),
        output: stdout,
    })
}

#[derive(Debug, Deserialize)]
struct Secret {
    name: String,
}

#[derive(Debug, Deserialize)]
pub struct PagesProject {
    #[serde(rename = "Project Name")]
    pub name: String,
    #[serde(rename = "Project Domains", default)]
    pub domains: String,
}

impl Wrangler {
    pub fn new(root: &Path) -> Self {
        Wrangler {
            root: root.to_path_buf(),
        }
    }

    fn run_in(&self, dir: &Path, args: &[&str]) -> Result<Output, WranglerError> {
        // Not `node_modules/.bin/wrangler`: its `#!/usr/bin/env node` would
        // pick whatever Node is first on PATH (the system's may be too old).
        let output = Command::new(self.root.join("node_modules/.bin/node"))
            .arg(self.root.join("node_modules/wrangler/bin/wrangler.js"))
            .args(args)
            .current_dir(dir)
            // No prompts (migrations ask for a yes otherwise), no telemetry,
            // no update check or error reports: only the API is contacted.
            .env("CI", "true")
            .env("WRANGLER_SEND_METRICS", "false")
            .env("WRANGLER_SEND_ERROR_REPORTS", "false")
            .env("WRANGLER_HIDE_BANNER", "true")
            .stdin(Stdio::null())
            .output()
            .map_err(WranglerError::Start)?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr);
        Ok(Output {
            ok: output.status.success(),
            all: format!("{stdout}{stderr}"),
            stdout,
        })
    }

    fn run(&self, args: &[&str]) -> Result<String, WranglerError> {
        self.run_in(&self.root, args)?.stdout_of(args)
    }

    fn json<T: serde::de::DeserializeOwned>(&self, args: &[&str]) -> Result<T, WranglerError> {
        parse_json(args, self.run(args)?)
    }

    /// The secrets a worker has; none if the worker does not exist yet.
    pub fn secrets(&self, worker: &str, config: &Path) -> Result<Vec<String>, WranglerError> {
        let config = config.display().to_string();
        let args = [
            "secret", "list", "--name", worker, "--format", "json", "-c", &config,
        ];
        let out = self.run_in(&self.root, &args)?;
        if !out.ok && out.all.contains(&format!("Worker \"{worker}\" not found")) {
            return Ok(Vec::new());
        }
        let secrets: Vec<Secret> = parse_json(&args, out.stdout_of(&args)?)?;
        Ok(secrets.into_iter().map(|s| s.name).collect())
    }

    /// Applies a database's new migrations; false if the database does not
    /// exist yet (the worker's `wrangler deploy` creates it).
    pub fn apply_migrations(&self, database: &str, config: &Path) -> Result<bool, WranglerError> {
        let config = config.display().to_string();
        let args = [
            "d1",
            "migrations",
            "apply",
            database,
            "--remote",
            "-c",
            &config,
        ];
        let out = self.run_in(&self.root, &args)?;
        if !out.ok
            && out
                .all
                .contains(&format!("Couldn't find a D1 DB named '{database}'"))
        {
            return Ok(false);
        }
        out.stdout_of(&args).map(|_| true)
    }

    /// Uploads and deploys a worker; wrangler creates what its config names
    /// and the account lacks (databases by name, producers' queues) and
    /// attaches its queue consumers.
    pub fn deploy_worker(&self, config: &Path) -> Result<(), WranglerError> {
        let config = config.display().to_string();
        self.run(&["deploy", "-c", &config]).map(drop)
    }

    /// Bundles a worker as `wrangler deploy` would, uploading nothing.
    pub fn dry_run(&self, config: &Path, outdir: &Path) -> Result<(), WranglerError> {
        let (config, outdir) = (config.display().to_string(), outdir.display().to_string());
        self.run(&["deploy", "--dry-run", "--outdir", &outdir, "-c", &config])
            .map(drop)
    }

    pub fn pages_projects(&self) -> Result<Vec<PagesProject>, WranglerError> {
        self.json(&["pages", "project", "list", "--json"])
    }

    pub fn create_pages_project(&self, name: &str) -> Result<(), WranglerError> {
        self.run(&[
            "pages",
            "project",
            "create",
            name,
            "--production-branch",
            "main",
        ])
        .map(drop)
    }

    /// Deploys the site from the folder of its generated wrangler.toml, which
    /// `pages deploy` reads from its working directory (the service bindings).
    pub fn deploy_pages(
        &self,
        config_dir: &Path,
        project: &str,
        site: &Path,
    ) -> Result<(), WranglerError> {
        let site = site.display().to_string();
        let args = [
            "pages",
            "deploy",
            &site,
            "--project-name",
            project,
            "--branch",
            "main",
        ];
        self.run_in(config_dir, &args)?.stdout_of(&args).map(drop)
    }
}
