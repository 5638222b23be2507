//! A stand-in for the parts of Cloudflare's API that `make deploy` uses, on
//! loopback, for the deploy test (wrangler is pointed at it with
//! CLOUDFLARE_API_BASE_URL). It keeps state as Cloudflare would (databases,
//! applied migrations, queues and their consumers, scripts with their
//! migration tags and secrets, Pages projects and deployments), answers in the
//! v4 envelope `{success, errors, messages, result}`, checks the token and the
//! account on every call, and records every call.

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

pub const API_TOKEN: &str = "stub-api-token";
pub const ACCOUNT_ID: &str = "0123456789abcdef0123456789abcdef";

/// One API call as the stub saw it.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    /// The path after `/client/v4/accounts/<id>` (or after `/client/v4`).
    pub path: String,
    pub query: String,
    pub body: String,
}

impl Call {
    pub fn is(&self, method: &str, path: &str) -> bool {
        self.method == method && self.path == path
    }

    /// A D1 query that records an applied migration in `d1_migrations`.
    pub fn records_a_migration(&self) -> bool {
        self.path.ends_with("/query")
            && serde_json::from_str::<Value>(&self.body).is_ok_and(|body| {
                migrations_table_sql(body["sql"].as_str().unwrap_or_default())
                    .contains("INSERT INTO d1_migrations")
            })
    }
}

/// The SQL with the migrations table's name unquoted: wrangler 4.86 wrote
/// `d1_migrations`, 4.168 writes `"d1_migrations"`.
fn migrations_table_sql(sql: &str) -> String {
    sql.replace("\"d1_migrations\"", "d1_migrations")
}

#[derive(Default)]
struct Script {
    migration_tag: Option<String>,
    secrets: BTreeSet<String>,
    uploads: usize,
    /// The last upload carried a test-only route (`_test/` paths: the
    /// Cargo feature test-hooks), which a deploy must never ship.
    test_routes: bool,
}

#[derive(Default)]
struct State {
    calls: Vec<Call>,
    databases: Vec<(String, String)>,
    applied: BTreeMap<String, Vec<String>>,
    queues: Vec<(String, String, Vec<Value>)>,
    scripts: BTreeMap<String, Script>,
    projects: BTreeMap<String, Value>,
    deployments: usize,
}

#[derive(Clone)]
pub struct CloudflareStub {
    state: Arc<Mutex<State>>,
    pub base_url: String,
}

fn envelope(result: Value) -> Value {
    json!({"success": true, "errors": [], "messages": [], "result": result})
}

fn failure(code: u32, message: &str) -> Value {
    json!({"success": false, "errors": [{"code": code, "message": message}], "messages": [], "result": null})
}

/// One page of a list, as `?page=&per_page=` asks (wrangler pages through
/// until a short page).
fn page_of(items: Vec<Value>, query: &BTreeMap<String, String>) -> Value {
    let per_page: usize = query
        .get("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(100);
    let page: usize = query
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let total = items.len();
    let slice: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    json!({"success": true, "errors": [], "messages": [], "result": slice,
           "result_info": {"page": page, "per_page": per_page, "count": total.min(per_page), "total_count": total}})
}

/// An unsigned JWT: wrangler reads only its claims.
fn upload_token() -> String {
    use base64::Engine;
    let encode = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.stub",
        encode(json!({"alg": "none"})),
        encode(json!({"exp": 4102444800u64, "max_file_count_allowed": 20000}))
    )
}

impl CloudflareStub {
    /// A stub on a free port, served from its own thread.
    pub fn start() -> CloudflareStub {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("a port");
        let port = listener.local_addr().expect("an address").port();
        let stub = CloudflareStub {
            state: Arc::default(),
            base_url: format!("http://127.0.0.1:{port}/client/v4"),
        };
        let server = stub.clone();
        crate::stub_server::serve_in_background(listener, move |req| {
            let stub = server.clone();
            async move { Some(stub.answer(req).await) }
        });
        stub
    }

    /// Sets a secret on a worker (creating the worker as a draft, as
    /// `wrangler secret put` does for a worker that does not exist yet).
    pub fn put_secret(&self, worker: &str, secret: &str) {
        let mut state = self.state.lock().unwrap();
        state
            .scripts
            .entry(worker.into())
            .or_default()
            .secrets
            .insert(secret.into());
    }

    /// Every call so far; `take_calls` also forgets them.
    pub fn take_calls(&self) -> Vec<Call> {
        std::mem::take(&mut self.state.lock().unwrap().calls)
    }

    pub fn database_names(&self) -> Vec<String> {
        self.state
            .lock()
            .unwrap()
            .databases
            .iter()
            .map(|(n, _)| n.clone())
            .collect()
    }

    pub fn queue_names(&self) -> Vec<String> {
        self.state
            .lock()
            .unwrap()
            .queues
            .iter()
            .map(|(_, n, _)| n.clone())
            .collect()
    }

    /// The queue a worker consumes, by queue name, with its settings.
    pub fn consumers_of(&self, queue: &str) -> Vec<Value> {
        let state = self.state.lock().unwrap();
        state
            .queues
            .iter()
            .filter(|(_, n, _)| n == queue)
            .flat_map(|(_, _, c)| c.clone())
            .collect()
    }

    /// The migrations recorded as applied in a database, by database name.
    pub fn applied_migrations(&self, database: &str) -> Vec<String> {
        let state = self.state.lock().unwrap();
        let uuid = state
            .databases
            .iter()
            .find(|(n, _)| n == database)
            .map(|(_, u)| u.clone());
        uuid.and_then(|u| state.applied.get(&u).cloned())
            .unwrap_or_default()
    }

    pub fn script_migration_tag(&self, worker: &str) -> Option<String> {
        self.state
            .lock()
            .unwrap()
            .scripts
            .get(worker)
            .and_then(|s| s.migration_tag.clone())
    }

    pub fn uploads_of(&self, worker: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .scripts
            .get(worker)
            .map_or(0, |s| s.uploads)
    }

    /// Whether the worker's last upload had test-only routes in it.
    pub fn ships_test_routes(&self, worker: &str) -> bool {
        self.state
            .lock()
            .unwrap()
            .scripts
            .get(worker)
            .is_some_and(|s| s.test_routes)
    }

    pub fn pages_deployments(&self) -> usize {
        self.state.lock().unwrap().deployments
    }

    async fn answer(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let method = req.method().to_string();
        let uri = req.uri().clone();
        let authorized = req
            .headers()
            .get(hyper::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == format!("Bearer {API_TOKEN}") || v.starts_with("Bearer ey"));
        let body = crate::stub_server::body(req).await;
        let body = String::from_utf8_lossy(&body).into_owned();
        let full_path = uri
            .path()
            .strip_prefix("/client/v4")
            .unwrap_or(uri.path())
            .to_string();
        let account_prefix = format!("/accounts/{ACCOUNT_ID}");
        let path = full_path
            .strip_prefix(&account_prefix)
            .unwrap_or(&full_path)
            .to_string();
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
                .into_owned()
                .collect();
        // Wrangler looks up several queues at once: `?name=a&name=b`.
        let names: Vec<String> = pairs
            .iter()
            .filter(|(k, _)| k == "name")
            .map(|(_, v)| v.clone())
            .collect();
        let query: BTreeMap<String, String> = pairs.into_iter().collect();
        let mut state = self.state.lock().unwrap();
        state.calls.push(Call {
            method: method.clone(),
            path: path.clone(),
            query: uri.query().unwrap_or("").to_string(),
            body: body.chars().take(4000).collect(),
        });
        let (status, answer) = if !authorized {
            (StatusCode::FORBIDDEN, failure(9109, "Invalid access token"))
        } else if full_path.starts_with("/accounts/") && !full_path.starts_with(&account_prefix) {
            (
                StatusCode::FORBIDDEN,
                failure(9109, "Unauthorized to access requested resource"),
            )
        } else {
            route(&mut state, &method, &path, &query, &names, &body)
        };
        Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(answer.to_string())))
            .expect("a response")
    }
}

const NO_WORKER: u32 = 10007;

fn route(
    state: &mut State,
    method: &str,
    path: &str,
    query: &BTreeMap<String, String>,
    names: &[String],
    body: &str,
) -> (StatusCode, Value) {
    let ok = |v: Value| (StatusCode::OK, envelope(v));
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let now = "2026-11-26T00:00:00.000Z";
    let json_body = || serde_json::from_str::<Value>(body).unwrap_or(Value::Null);
    match (method, parts.as_slice()) {
        // D1
        ("GET", ["d1", "database"]) => {
            let items = state.databases.iter().map(|(n, u)| json!({"uuid": u, "name": n, "created_at": now, "version": "production"})).collect();
            (StatusCode::OK, page_of(items, query))
        }
        // Wrangler's provisioning finds a database by its name (the generated
        // configs carry no id); `d1 migrations apply` does too.
        ("GET", ["d1", "database", name_or_id]) => {
            match state
                .databases
                .iter()
                .find(|(n, u)| n == name_or_id || u == name_or_id)
            {
                Some((n, u)) => {
                    ok(json!({"uuid": u, "name": n, "created_at": now, "version": "production"}))
                }
                None => (StatusCode::NOT_FOUND, failure(7404, "database not found")),
            }
        }
        ("POST", ["d1", "database"]) => {
            let name = json_body()["name"].as_str().unwrap_or_default().to_string();
            if state.databases.iter().any(|(n, _)| *n == name) {
                return (
                    StatusCode::BAD_REQUEST,
                    failure(7502, "A database with that name already exists"),
                );
            }
            let uuid = uuid::Uuid::new_v4().to_string();
            state.databases.push((name.clone(), uuid.clone()));
            ok(json!({"uuid": uuid, "name": name, "created_at": now}))
        }
        ("POST", ["d1", "database", id, "query"]) => {
            if !state.databases.iter().any(|(_, u)| u == id) {
                return (StatusCode::NOT_FOUND, failure(7404, "database not found"));
            }
            let sql = migrations_table_sql(json_body()["sql"].as_str().unwrap_or_default());
            let applied = state.applied.entry(id.to_string()).or_default();
            let results: Vec<Value> = if sql.contains("FROM d1_migrations") {
                applied
                    .iter()
                    .enumerate()
                    .map(|(i, n)| json!({"id": i + 1, "name": n, "applied_at": now}))
                    .collect()
            } else {
                // Wrangler appends `INSERT INTO d1_migrations (name)\n values ('<file>');`.
                for record in sql.split("INSERT INTO d1_migrations").skip(1) {
                    let name = record.split("values ('").nth(1);
                    if let Some(name) = name.and_then(|v| v.split('\'').next()) {
                        applied.push(name.to_string());
                    }
                }
                Vec::new()
            };
            ok(
                json!([{"results": results, "success": true, "meta": {"duration": 0.1, "changes": 0}}]),
            )
        }
        // Queues
        ("GET", ["queues"]) => {
            let items = state
                .queues
                .iter()
                .filter(|(_, n, _)| names.is_empty() || names.contains(n))
                .map(|(id, n, consumers)| queue_json(id, n, consumers, now))
                .collect();
            (StatusCode::OK, page_of(items, query))
        }
        ("POST", ["queues"]) => {
            let name = json_body()["queue_name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if state.queues.iter().any(|(_, n, _)| *n == name) {
                return (
                    StatusCode::BAD_REQUEST,
                    failure(11009, "A queue with this name already exists"),
                );
            }
            let id = uuid::Uuid::new_v4().simple().to_string();
            state.queues.push((id.clone(), name.clone(), Vec::new()));
            ok(queue_json(&id, &name, &[], now))
        }
        // A new consumer (POST) or a consumer's new settings (PUT .../:id).
        ("POST", ["queues", id, "consumers"]) | ("PUT", ["queues", id, "consumers", _]) => {
            let mut consumer = json_body();
            let consumer_id = parts.get(3).map_or_else(
                || uuid::Uuid::new_v4().simple().to_string(),
                |c| c.to_string(),
            );
            consumer["consumer_id"] = json!(consumer_id);
            consumer["script"] = consumer["script_name"].clone();
            match state.queues.iter_mut().find(|(q, _, _)| q == id) {
                Some((_, _, consumers)) => {
                    consumers.retain(|c| c["consumer_id"] != json!(consumer_id));
                    consumers.push(consumer.clone());
                    ok(consumer)
                }
                None => (StatusCode::NOT_FOUND, failure(11000, "queue not found")),
            }
        }
        // Workers
        // A worker that is not there, under any of its paths (an upload
        // creates it).
        (_, ["workers", "services" | "workers" | "scripts", name, ..])
            if !(state.scripts.contains_key(*name) || (method == "PUT" && parts.len() == 3)) =>
        {
            (
                StatusCode::NOT_FOUND,
                failure(NO_WORKER, "This Worker does not exist on your account."),
            )
        }
        ("GET", ["workers", "services", name]) => ok(
            json!({"id": name, "default_environment": {"environment": "production", "script": {"id": name, "tag": format!("tag-{name}"), "tags": [], "last_deployed_from": "wrangler", "migration_tag": state.scripts[*name].migration_tag}}}),
        ),
        // The Worker resource: wrangler 4.168 reads a worker's workers.dev and
        // preview settings here before it sets them (`.../subdomain` below).
        ("GET", ["workers", "workers", name]) => ok(
            json!({"id": name, "name": name, "subdomain": {"enabled": false, "previews_enabled": false}}),
        ),
        ("PUT", ["workers", "scripts", name]) => {
            let script = state.scripts.entry(name.to_string()).or_default();
            script.uploads += 1;
            script.test_routes = body.contains("_test/");
            if let Some(tag) = body
                .split("\"new_tag\":\"")
                .nth(1)
                .and_then(|t| t.split('"').next())
            {
                script.migration_tag = Some(tag.to_string());
            }
            ok(
                json!({"id": name, "etag": "etag", "deployment_id": uuid::Uuid::new_v4().to_string(), "startup_time_ms": 1}),
            )
        }
        ("GET", ["workers", "scripts", _, "secrets"]) => {
            let name = parts[2];
            let secrets: Vec<Value> = state.scripts[name]
                .secrets
                .iter()
                .map(|s| json!({"name": s, "type": "secret_text"}))
                .collect();
            ok(Value::Array(secrets))
        }
        ("GET", ["workers", "scripts", _, "deployments"]) => ok(
            json!({"deployments": [{"id": "d-1", "source": "wrangler", "strategy": "percentage", "created_on": now, "versions": [{"version_id": "v-1", "percentage": 100}]}]}),
        ),
        ("GET", ["workers", "scripts", _, "settings"]) => ok(json!({"bindings": []})),
        ("POST", ["workers", "scripts", name, "versions"]) => {
            let script = state.scripts.get_mut(*name).expect("checked above");
            script.uploads += 1;
            script.test_routes = body.contains("_test/");
            ok(
                json!({"id": uuid::Uuid::new_v4().to_string(), "number": 2, "resources": {"script": {"etag": "etag"}, "bindings": []}, "startup_time_ms": 1}),
            )
        }
        ("POST", ["workers", "scripts", _, "deployments"]) => {
            ok(json!({"id": "d-2", "strategy": "percentage"}))
        }
        ("PATCH", ["workers", "scripts", _, "script-settings"]) => ok(json_body()),
        // Cron Triggers (the payments worker's reconciliation): set as sent.
        ("PUT", ["workers", "scripts", _, "schedules"]) => {
            let schedules: Vec<Value> = json_body()
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|s| json!({"cron": s["cron"], "created_on": "2026-01-01T00:00:00Z", "modified_on": "2026-01-01T00:00:00Z"}))
                .collect();
            ok(json!({ "schedules": schedules }))
        }
        (_, ["workers", "scripts", _, "subdomain"]) => {
            ok(json!({"enabled": false, "previews_enabled": false}))
        }
        // Pages
        ("GET", ["pages", "projects"]) => (
            StatusCode::OK,
            page_of(state.projects.values().cloned().collect(), query),
        ),
        ("POST", ["pages", "projects"]) => {
            let request = json_body();
            let name = request["name"].as_str().unwrap_or_default().to_string();
            if state.projects.contains_key(&name) {
                return (
                    StatusCode::CONFLICT,
                    failure(8000002, "A project with this name already exists."),
                );
            }
            let project = json!({"name": name, "subdomain": format!("{name}.pages.dev"), "domains": [format!("{name}.pages.dev")],
                "production_branch": request["production_branch"], "created_on": now, "deployment_configs": {"production": {}, "preview": {}}});
            state.projects.insert(name, project.clone());
            ok(project)
        }
        ("GET", ["pages", "projects", name]) => match state.projects.get(*name) {
            Some(project) => ok(project.clone()),
            None => (
                StatusCode::NOT_FOUND,
                failure(8000007, "Project not found."),
            ),
        },
        ("GET", ["pages", "projects", _, "upload-token"]) => ok(json!({"jwt": upload_token()})),
        ("POST", ["pages", "assets", "check-missing"]) => ok(json_body()["hashes"].clone()),
        ("POST", ["pages", "assets", "upload"])
        | ("POST", ["pages", "assets", "upsert-hashes"]) => ok(Value::Null),
        ("POST", ["pages", "projects", name, "deployments"]) => {
            if !state.projects.contains_key(*name) {
                return (
                    StatusCode::NOT_FOUND,
                    failure(8000007, "Project not found."),
                );
            }
            state.deployments += 1;
            let id = format!("dep-{}", state.deployments);
            ok(
                json!({"id": id, "url": format!("https://{id}.{name}.pages.dev"), "project_name": name, "environment": "production"}),
            )
        }
        ("GET", ["pages", "projects", _, "deployments", id]) => ok(
            json!({"id": id, "latest_stage": {"name": "deploy", "status": "success"}, "aliases": []}),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            failure(7003, &format!("stub: no route for {method} {path}")),
        ),
    }
}

fn queue_json(id: &str, name: &str, consumers: &[Value], now: &str) -> Value {
    json!({"queue_id": id, "queue_name": name, "created_on": now, "modified_on": now,
           "producers": [], "producers_total_count": 0, "consumers": consumers, "consumers_total_count": consumers.len()})
}
