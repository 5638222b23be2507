//! Stack: deploy
//! `make deploy` against a stub of Cloudflare's API (wrangler honours
//! CLOUDFLARE_API_BASE_URL): what it creates, in which order it deploys,
//! that it stops on missing secrets, and that a second run on the same state
//! creates nothing. No stack runs: the release build is what it deploys.

use e2e::cloudflare_stub::{Call, CloudflareStub, ACCOUNT_ID, API_TOKEN};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Deploys write the generated configs of their environment into
/// target/deploy/: one at a time.
static ONE_DEPLOY_AT_A_TIME: Mutex<()> = Mutex::new(());

const WORKERS: [&str; 4] = ["auth", "tickets", "orders", "payments"];
const DATABASES: [(&str, &str); 4] = [
    ("ticketing-users", "auth"),
    ("ticketing-tickets", "tickets"),
    ("ticketing-orders", "orders"),
    ("ticketing-payments", "payments"),
];
const QUEUES: [&str; 6] = [
    "order-events",
    "order-events-dlq",
    "payment-events",
    "payment-events-dlq",
    "ticket-events",
    "ticket-events-dlq",
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Run {
    ok: bool,
    output: String,
}

fn make_deploy(stub: &CloudflareStub, env: &str) -> Run {
    let output = std::process::Command::new("make")
        .arg("--no-print-directory")
        .arg("deploy")
        .current_dir(repo())
        .env("CLOUDFLARE_API_BASE_URL", &stub.base_url)
        .env("CLOUDFLARE_API_TOKEN", API_TOKEN)
        .env("CLOUDFLARE_ACCOUNT_ID", ACCOUNT_ID)
        .env_remove("CLOUDFLARE_API_KEY")
        .env_remove("CLOUDFLARE_EMAIL")
        .env("ENV", env)
        .output()
        .expect("make deploy");
    Run {
        ok: output.status.success(),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

fn name(base: &str, env: &str) -> String {
    if env == "staging" {
        format!("{base}-staging")
    } else {
        base.to_string()
    }
}

fn with_secrets(stub: &CloudflareStub, env: &str) {
    for worker in WORKERS {
        stub.put_secret(&name(&format!("ticketing-{worker}"), env), "JWT_KEY");
    }
    for secret in ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"] {
        stub.put_secret(&name("ticketing-payments", env), secret);
    }
    stub.put_secret(&name("ticketing-auth", env), "PASSWORD_PEPPER");
}

fn migration_files(folder: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(repo().join("migrations").join(folder))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    files.sort();
    files
}

/// The tag of a worker's last Durable Object migration, as its committed
/// config says: what the upload must carry.
fn last_migration_tag(worker: &str) -> Option<String> {
    let config = repo().join("workers").join(worker).join("wrangler.toml");
    let text = std::fs::read_to_string(config).expect("the worker's config");
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("tag = "))
        .map(|tag| tag.trim_matches('"').to_string())
        .next_back()
}

/// What changes resources (not the code): creations and applied migrations.
fn creations(calls: &[Call]) -> Vec<String> {
    calls
        .iter()
        .filter(|c| {
            c.is("POST", "/d1/database")
                || c.is("POST", "/queues")
                || c.is("POST", "/pages/projects")
                || c.records_a_migration()
        })
        .map(|c| format!("{} {} {}", c.method, c.path, c.body))
        .collect()
}

/// The workers in the order their code was first uploaded.
fn upload_order(calls: &[Call]) -> Vec<String> {
    let mut order: Vec<String> = Vec::new();
    for call in calls {
        let parts: Vec<&str> = call.path.split('/').collect();
        let uploaded = match (call.method.as_str(), parts.as_slice()) {
            ("PUT", ["", "workers", "scripts", name]) => Some(name),
            ("POST", ["", "workers", "scripts", name, "versions"]) => Some(name),
            _ => None,
        };
        if let Some(name) = uploaded {
            if !order.iter().any(|n| n == name) {
                order.push(name.to_string());
            }
        }
    }
    order
}

/// Where the first upload of code is among the calls, and the first D1 query
/// (a migration run reads `d1_migrations` first).
fn first_upload_and_first_query(calls: &[Call]) -> (Option<usize>, Option<usize>) {
    let upload = calls.iter().position(|c| {
        let parts: Vec<&str> = c.path.split('/').collect();
        matches!(
            (c.method.as_str(), parts.as_slice()),
            ("PUT", ["", "workers", "scripts", _])
                | ("POST", ["", "workers", "scripts", _, "versions"])
        )
    });
    let query = calls.iter().position(|c| c.path.ends_with("/query"));
    (upload, query)
}

fn assert_deployed(stub: &CloudflareStub, env: &str, run: &Run, calls: &[Call]) {
    assert!(run.ok, "{}", run.output);
    for (database, folder) in DATABASES {
        assert_eq!(
            stub.applied_migrations(&name(database, env)),
            migration_files(folder),
            "{}",
            run.output
        );
    }
    for queue in QUEUES.iter().filter(|q| !q.ends_with("-dlq")) {
        let consumers = stub.consumers_of(&name(queue, env));
        assert_eq!(consumers.len(), 1, "{queue}: {consumers:?}");
        assert_eq!(
            consumers[0]["dead_letter_queue"].as_str(),
            Some(name(&format!("{queue}-dlq"), env).as_str()),
            "{consumers:?}"
        );
    }
    // Each worker after those it binds to: tickets and auth define the
    // objects orders and payments use; payments calls orders.
    let order = upload_order(calls);
    assert_eq!(
        order,
        WORKERS.map(|w| name(&format!("ticketing-{w}"), env)),
        "{}",
        run.output
    );
    // The release build, even while `make test` serves its test build.
    for worker in WORKERS {
        let script = name(&format!("ticketing-{worker}"), env);
        assert!(!stub.ships_test_routes(&script), "{script} has test routes");
    }
    assert_eq!(
        stub.script_migration_tag(&name("ticketing-tickets", env)),
        last_migration_tag("tickets")
    );
    let project = name("ticketing", env);
    let deployment = calls
        .iter()
        .find(|c| c.is("POST", &format!("/pages/projects/{project}/deployments")))
        .unwrap_or_else(|| panic!("no Pages deployment: {}", run.output));
    // The site's bindings come from the Pages config, not from a dashboard.
    for worker in WORKERS {
        let service = format!(
            "\"service\":\"{}\"",
            name(&format!("ticketing-{worker}"), env)
        );
        assert!(
            deployment.body.contains(&service),
            "{service} not in {}",
            deployment.body
        );
    }
    let url = format!("https://{project}.pages.dev");
    assert!(run.output.contains(&url), "{url} not in {}", run.output);
}

#[test]
fn a_deploy_stops_before_anything_when_secrets_are_missing() {
    let _one = ONE_DEPLOY_AT_A_TIME
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let stub = CloudflareStub::start();
    stub.put_secret("ticketing-payments", "JWT_KEY");
    let run = make_deploy(&stub, "production");
    assert!(!run.ok, "{}", run.output);
    for command in [
        "npx wrangler secret put JWT_KEY --name ticketing-auth -c workers/auth/wrangler.toml",
        "npx wrangler secret put PASSWORD_PEPPER --name ticketing-auth -c workers/auth/wrangler.toml",
        "npx wrangler secret put JWT_KEY --name ticketing-tickets -c workers/tickets/wrangler.toml",
        "npx wrangler secret put JWT_KEY --name ticketing-orders -c workers/orders/wrangler.toml",
        "npx wrangler secret put STRIPE_SECRET_KEY --name ticketing-payments -c workers/payments/wrangler.toml",
        "npx wrangler secret put STRIPE_WEBHOOK_SECRET --name ticketing-payments -c workers/payments/wrangler.toml",
    ] {
        assert!(run.output.contains(command), "{command:?} not in {}", run.output);
    }
    assert!(
        !run.output
            .contains("secret put JWT_KEY --name ticketing-payments"),
        "{}",
        run.output
    );
    let calls = stub.take_calls();
    let changes: Vec<&Call> = calls.iter().filter(|c| c.method != "GET").collect();
    assert!(changes.is_empty(), "{changes:#?}");
    assert!(stub.database_names().is_empty() && stub.queue_names().is_empty());
}

/// A PAYMENT_PROVIDER secret would override the committed `stripe`: the
/// deploy stops before anything, saying which secret to delete.
#[test]
fn a_deploy_stops_before_anything_when_payment_provider_is_a_secret() {
    let _one = ONE_DEPLOY_AT_A_TIME
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let stub = CloudflareStub::start();
    with_secrets(&stub, "production");
    stub.put_secret("ticketing-payments", "PAYMENT_PROVIDER");
    let run = make_deploy(&stub, "production");
    assert!(!run.ok, "{}", run.output);
    for text in [
        "npx wrangler secret delete PAYMENT_PROVIDER --name ticketing-payments -c workers/payments/wrangler.toml",
        "PAYMENT_PROVIDER is set as a secret",
        "Nothing was created or deployed.",
    ] {
        assert!(run.output.contains(text), "{text:?} not in {}", run.output);
    }
    let calls = stub.take_calls();
    let changes: Vec<&Call> = calls.iter().filter(|c| c.method != "GET").collect();
    assert!(changes.is_empty(), "{changes:#?}");
    assert!(stub.database_names().is_empty() && stub.queue_names().is_empty());
}

/// Production twice (the second run creates nothing), then staging on the
/// same account: one account holding both is the case that matters, and
/// reusing production's run saves a whole deploy (about 25 s of wrangler).
#[test]
fn deploying_twice_creates_once_then_staging_is_a_separate_copy() {
    let _one = ONE_DEPLOY_AT_A_TIME
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let stub = CloudflareStub::start();
    with_secrets(&stub, "production");

    let first = make_deploy(&stub, "production");
    let calls = stub.take_calls();
    assert_deployed(&stub, "production", &first, &calls);
    let mut databases = stub.database_names();
    databases.sort();
    assert_eq!(
        databases,
        [
            "ticketing-orders",
            "ticketing-payments",
            "ticketing-tickets",
            "ticketing-users"
        ]
    );
    let mut queues = stub.queue_names();
    queues.sort();
    assert_eq!(queues, QUEUES);
    // Each database, each queue, the Pages project and each migration: once.
    let migrations: usize = DATABASES
        .iter()
        .map(|(_, folder)| migration_files(folder).len())
        .sum();
    assert_eq!(
        creations(&calls).len(),
        4 + 6 + 1 + migrations,
        "{:#?}",
        creations(&calls)
    );

    let second = make_deploy(&stub, "production");
    let calls = stub.take_calls();
    assert_deployed(&stub, "production", &second, &calls);
    assert_eq!(creations(&calls), Vec::<String>::new(), "{}", second.output);
    // Once the databases exist, their migrations run before any code is
    // uploaded: new code never meets an old schema.
    let (upload, query) = first_upload_and_first_query(&calls);
    assert!(
        query.is_some() && upload.is_some() && query < upload,
        "first D1 query at {query:?}, first upload at {upload:?}: {}",
        second.output
    );
    assert_eq!(stub.database_names().len(), 4);
    assert_eq!(stub.queue_names().len(), 6);
    for worker in WORKERS {
        assert_eq!(
            stub.uploads_of(&format!("ticketing-{worker}")),
            2,
            "{worker}"
        );
    }
    assert_eq!(stub.pages_deployments(), 2);

    with_secrets(&stub, "staging");
    let staging = make_deploy(&stub, "staging");
    let calls = stub.take_calls();
    assert_deployed(&stub, "staging", &staging, &calls);
    // Everything it touched is named for staging.
    for change in calls.iter().filter(|c| c.method != "GET") {
        let body_names_production = [
            "\"ticketing-users\"",
            "\"order-events\"",
            "\"ticketing-orders\"",
        ]
        .iter()
        .any(|n| change.body.contains(n));
        assert!(!body_names_production, "{change:#?}");
        assert!(
            !change.path.contains("/scripts/") || change.path.contains("-staging"),
            "{change:#?}"
        );
    }
    assert_eq!(stub.database_names().len(), 8);
    assert_eq!(stub.queue_names().len(), 12);
    // Production's scripts are as the second run left them.
    for worker in WORKERS {
        let production = format!("ticketing-{worker}");
        assert_eq!(stub.uploads_of(&production), 2, "{worker}");
        assert_eq!(
            stub.uploads_of(&name(&production, "staging")),
            1,
            "{worker}"
        );
    }
}
