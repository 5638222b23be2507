//! `make deploy`: every step from an empty account to a running site, each
//! one a no-op when its work is already done, so a second run changes only
//! the deployed code.

use crate::config::Project;
use crate::environment::Environment;
use crate::generate::{self, Generated};
use crate::order::deploy_order;
use crate::wrangler::{Wrangler, WranglerError};
use std::collections::BTreeSet;

/// The secrets without which a worker cannot serve (by worker folder).
/// `ADMIN_TOKEN` is optional: unset, the operator's routes answer 503.
const REQUIRED_SECRETS: &[(&str, &[&str])] = &[
    ("auth", &["JWT_KEY", "PASSWORD_PEPPER"]),
    ("tickets", &["JWT_KEY"]),
    ("orders", &["JWT_KEY"]),
    (
        "payments",
        &["JWT_KEY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"],
    ),
];
const OPTIONAL_SECRETS: &[(&str, &[&str])] = &[
    ("tickets", &["ADMIN_TOKEN"]),
    ("orders", &["ADMIN_TOKEN"]),
    ("payments", &["ADMIN_TOKEN"]),
];

/// Settings that must never be secrets: a secret overrides the committed
/// `[vars]` value, and `PAYMENT_PROVIDER=local` approves test cards with no
/// money moving (the worker refuses it off loopback too).
const FORBIDDEN_SECRETS: &[&str] = &["PAYMENT_PROVIDER"];

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("the configs have problems (run `make deploy-check`):\n{0}")]
    Configs(String),
    #[error(transparent)]
    Wrangler(#[from] WranglerError),
    #[error(transparent)]
    Generate(#[from] generate::GenerateError),
    #[error("secrets are missing; set each with the command above, then run `make deploy` again. Nothing was created or deployed.")]
    MissingSecrets,
    #[error("PAYMENT_PROVIDER is set as a secret, which would override the committed `PAYMENT_PROVIDER = \"stripe\"`; delete it with the command above, then run `make deploy` again. Nothing was created or deployed.")]
    ForbiddenSecret,
    #[error("the workers bind to each other in a cycle; no order deploys them")]
    Cycle,
}

/// Nothing is deployed from configs that disagree (`crate::check`).
fn refuse_broken_configs(project: &Project) -> Result<(), DeployError> {
    let problems = crate::check::problems(project);
    if problems.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
    Err(DeployError::Configs(list.join("\n")))
}

fn step(text: &str) {
    println!("==> {text}");
}

/// Runs `task` on every item at once, answering in the items' order. Each
/// task is a wrangler process that mostly waits on Cloudflare's API, and the
/// items of a step (workers, databases, queues) do not depend on each other.
fn all_at_once<I: Sync, T: Send, E: Send>(
    items: &[I],
    task: impl Fn(&I) -> Result<T, E> + Sync,
) -> Result<Vec<T>, E> {
    std::thread::scope(|scope| {
        let task = &task;
        let running: Vec<_> = items
            .iter()
            .map(|item| scope.spawn(move || task(item)))
            .collect();
        running
            .into_iter()
            .map(|t| {
                t.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

pub fn deploy(project: &Project, env: Environment) -> Result<(), DeployError> {
    refuse_broken_configs(project)?;
    let wrangler = Wrangler::new(&project.root);
    step(&format!("deploying the {env} copy"));
    check_secrets(project, env, &wrangler)?;
    let generated = generate::write_all(project, env)?;
    println!("    configs generated in {}", generated.dir.display());
    // The schema before the code that reads it.
    step("D1 migrations");
    let not_created = apply_migrations(project, env, &wrangler, &generated, None)?;
    // Wrangler creates the databases and queues a config names that do not
    // exist yet (its automatic provisioning), and the queue consumers.
    deploy_workers(project, env, &wrangler, &generated)?;
    if !not_created.is_empty() {
        step("D1 migrations of the databases the deploy created");
        apply_migrations(project, env, &wrangler, &generated, Some(&not_created))?;
    }
    let url = deploy_site(project, env, &wrangler, &generated)?;
    step(&format!("the {env} site is at {url}"));
    Ok(())
}

/// Every required secret is set on every worker before anything is created:
/// a worker without its JWT_KEY would answer 500 to every request.
fn check_secrets(
    project: &Project,
    env: Environment,
    wrangler: &Wrangler,
) -> Result<(), DeployError> {
    step("checking secrets");
    let mut missing = Vec::new();
    let mut forbidden = Vec::new();
    let set_on_each = all_at_once(&project.workers, |worker| {
        wrangler.secrets(
            &env.name(worker.name()),
            &project.root.join(&worker.config.file),
        )
    })?;
    for (worker, set) in project.workers.iter().zip(set_on_each) {
        let name = env.name(worker.name());
        let has: BTreeSet<String> = set.into_iter().collect();
        for secret in FORBIDDEN_SECRETS.iter().filter(|s| has.contains(**s)) {
            forbidden.push(format!(
                "npx wrangler secret delete {secret} --name {name} -c {}",
                worker.config.file.display()
            ));
        }
        let wanted = |table: &[(&str, &[&'static str])]| -> Vec<&'static str> {
            table
                .iter()
                .filter(|(folder, _)| *folder == worker.folder)
                .flat_map(|(_, names)| names.iter().copied())
                .filter(|s| !has.contains(*s))
                .collect()
        };
        for secret in wanted(REQUIRED_SECRETS) {
            missing.push(format!(
                "npx wrangler secret put {secret} --name {name} -c {}",
                worker.config.file.display()
            ));
        }
        for secret in wanted(OPTIONAL_SECRETS) {
            println!("    note: {name} has no {secret} (optional: its operator routes answer 503 without it)");
        }
    }
    if !forbidden.is_empty() {
        eprintln!("secrets that must not exist (the provider is the committed [vars] setting):");
        for command in &forbidden {
            eprintln!("  {command}");
        }
        return Err(DeployError::ForbiddenSecret);
    }
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("missing secrets (JWT_KEY: the same value of 32 bytes or more on every worker):");
    for command in &missing {
        eprintln!("  {command}");
    }
    Err(DeployError::MissingSecrets)
}

/// Applies each database's migrations that it has not recorded (wrangler
/// skips the rest); answers the databases that do not exist yet. Those are
/// created by `wrangler deploy` of the worker that binds them (its
/// provisioning of a binding with a name and no id), so their migrations run
/// after it: on a first deploy only, before the site points anywhere at it.
fn apply_migrations(
    project: &Project,
    env: Environment,
    wrangler: &Wrangler,
    generated: &Generated,
    only: Option<&[String]>,
) -> Result<Vec<String>, DeployError> {
    let mut databases = Vec::new();
    for worker in &project.workers {
        for database in &worker.config.config.d1_databases {
            let name = env.name(&database.get_ref().database_name);
            if only.is_none_or(|names| names.contains(&name)) {
                databases.push((name, &generated.workers[&worker.folder]));
            }
        }
    }
    let applied = all_at_once(&databases, |(name, config)| {
        wrangler.apply_migrations(name, config)
    })?;
    let mut missing = Vec::new();
    for ((name, _), applied) in databases.into_iter().zip(applied) {
        println!(
            "    {name}: {}",
            if applied {
                "up to date"
            } else {
                "not created yet"
            }
        );
        if !applied {
            missing.push(name);
        }
    }
    Ok(missing)
}

fn deploy_workers(
    project: &Project,
    env: Environment,
    wrangler: &Wrangler,
    generated: &Generated,
) -> Result<(), DeployError> {
    let order = deploy_order(project);
    if order.len() != project.workers.len() {
        return Err(DeployError::Cycle);
    }
    step("workers, each after those it binds to");
    for worker in order {
        println!("    {}", env.name(worker.name()));
        wrangler.deploy_worker(&generated.workers[&worker.folder])?;
    }
    Ok(())
}

/// The Pages project (created if missing) and the site; answers its address.
fn deploy_site(
    project: &Project,
    env: Environment,
    wrangler: &Wrangler,
    generated: &Generated,
) -> Result<String, DeployError> {
    let name = env.name(project.pages.config.name.get_ref());
    step(&format!("the site (Pages project {name})"));
    let exists =
        |projects: &[crate::wrangler::PagesProject]| projects.iter().any(|p| p.name == name);
    if !exists(&wrangler.pages_projects()?) {
        println!("    creating the project");
        wrangler.create_pages_project(&name)?;
    }
    let site = project
        .root
        .join(project.pages.config.pages_build_output_dir.get_ref());
    let config_dir = generated.pages.parent().expect("a file in a folder");
    wrangler.deploy_pages(config_dir, &name, &site)?;
    let projects = wrangler.pages_projects()?;
    let domain = projects
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| p.domains.split(", ").next().map(str::to_string))
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| format!("{name}.pages.dev"));
    Ok(format!("https://{domain}"))
}

/// `make deploy-check`: the consistency check, then every worker's config of
/// both environments bundled by `wrangler deploy --dry-run` (which validates
/// each config and uploads nothing).
pub fn check_offline(project: &Project) -> Result<(), DeployError> {
    refuse_broken_configs(project)?;
    let wrangler = Wrangler::new(&project.root);
    for env in [Environment::Production, Environment::Staging] {
        let generated = generate::write_all(project, env)?;
        for worker in deploy_order(project) {
            let outdir = generated.dir.join("dry-run").join(&worker.folder);
            wrangler.dry_run(&generated.workers[&worker.folder], &outdir)?;
            println!(
                "    {env}: {} bundles ({})",
                env.name(worker.name()),
                outdir.display()
            );
        }
    }
    Ok(())
}
