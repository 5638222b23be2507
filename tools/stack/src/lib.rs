//! The whole product (`wrangler pages dev` with every worker) run locally.
//! `make dev` runs it in the foreground on the developer's state
//! (`serve_for_development`, the `dev` binary). The `Stack` fixture starts it
//! on free ports with a given stack's settings, on a state folder of its own,
//! and stops it with its process group when dropped: the test runner
//! (`tests/e2e/src/bin/run-tests.rs`) starts most stacks; the restart and
//! crash tests own theirs, which they stop, kill and start again.
//!
//! What a test stack shares with its caller comes through the environment,
//! set by the runner: TICKETING_ROOT (the checkout), TICKETING_STACK_TEMPLATE
//! (a migrated state folder to copy), TICKETING_ADMIN_TOKEN,
//! TICKETING_STRIPE_WEBHOOK_SECRET, TICKETING_STRIPE_STUB_PORT and
//! TICKETING_AVOID_PORTS (the Stripe stubs' ports, which no stack takes).

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Once;
use std::time::{Duration, Instant};

/// The stacks a test file can name on its `//! Stack: <name>` line.
pub const STACKS: [&str; 8] = [
    "api", "faults", "stripe", "expiry", "restart", "crash", "release", "deploy",
];

/// The payment window of the stacks that test expiry: short, so that orders
/// expire during the run. The other stacks keep the default 15 minutes, so no
/// test there races a deadline.
const SHORT_WINDOW: &str = "3";

/// Service workers, in the order their configs are given to `pages dev`.
const WORKERS: [&str; 4] = ["auth", "tickets", "orders", "payments"];
/// D1 databases and the worker config that owns each.
const DATABASES: [(&str, &str); 4] = [
    ("ticketing-users", "workers/auth/wrangler.toml"),
    ("ticketing-tickets", "workers/tickets/wrangler.toml"),
    ("ticketing-orders", "workers/orders/wrangler.toml"),
    ("ticketing-payments", "workers/payments/wrangler.toml"),
];
/// Settings written to the workers' .dev.vars over the configs' [vars]: a
/// test stack's, or the environment's for `make dev`
/// (`EXPIRATION_WINDOW_SECONDS=3 make dev`): the payment and 3-D Secure
/// windows and the lost-payment timeout, the abuse limits
/// (docs/security.md), how long consumers retry before an event becomes a
/// dead letter, and the operator's token (docs/events.md).
pub const OVERRIDES: [&str; 21] = [
    "EXPIRATION_WINDOW_SECONDS",
    "MAX_OPEN_ORDERS",
    "SIGNIN_FAILURES_PER_EMAIL_AND_ADDRESS",
    "SIGNIN_FAILURES_PER_EMAIL",
    "SIGNIN_FAILURE_WINDOW_SECONDS",
    "AUTH_REQUESTS_PER_ADDRESS_PER_MINUTE",
    "DEAD_LETTER_AFTER_SECONDS",
    "ADMIN_TOKEN",
    "AUTHENTICATION_WINDOW_SECONDS",
    "PAYMENT_TIMEOUT_SECONDS",
    "MAX_OPEN_ORDERS_PER_ADDRESS",
    "REHOLD_COOLDOWN_SECONDS",
    "DECLINES_PER_BUYER_PER_HOUR",
    "DECLINES_PER_ORDER_PER_HOUR",
    "DECLINES_PER_ADDRESS_PER_HOUR",
    "LIVE_SOCKETS_PER_ADDRESS_PER_MINUTE",
    "DEAD_LETTER_RETENTION_DAYS",
    // The Stripe adapter's, pointed at a stub by the Stripe stacks.
    "STRIPE_API_BASE",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    // Set on every stack (the provider of a run), written last.
    "PAYMENT_PROVIDER",
];

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run with `make test`"))
}

/// The checkout: TICKETING_ROOT, else the current folder.
pub fn root() -> PathBuf {
    std::env::var_os("TICKETING_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::current_dir().expect("the current folder"))
}

/// A stack's settings: the values written to the workers' .dev.vars (a set
/// but empty value blanks one the root .dev.vars holds).
#[derive(Clone, Debug)]
pub struct Settings {
    pub name: String,
    vars: BTreeMap<&'static str, String>,
    publishable_key: Option<String>,
    stripe_stub_port: Option<u16>,
}

impl Settings {
    /// The settings of the named stack; the Stripe stacks' stub listens on
    /// `stripe_stub_port`.
    pub fn for_stack(name: &str, stripe_stub_port: Option<u16>) -> Settings {
        let mut settings = Settings {
            name: name.to_string(),
            vars: BTreeMap::new(),
            publishable_key: None,
            stripe_stub_port: None,
        };
        let admin_token = std::env::var("TICKETING_ADMIN_TOKEN")
            .unwrap_or_else(|_| format!("admin-{}", uuid::Uuid::new_v4().simple()));
        settings.set("ADMIN_TOKEN", &admin_token);
        let stub = || stripe_stub_port.unwrap_or_else(|| panic!("{name}: no Stripe stub port"));
        match name {
            // The local provider; consumers give up on an event after
            // seconds, not 20 minutes, so the dead-letter tests see one die.
            // The fault switches count down on any call, so the fault tests
            // get a stack of their own.
            "api" | "faults" => settings.set("DEAD_LETTER_AFTER_SECONDS", "8"),
            "stripe" => settings.with_stripe_stub(stub()),
            // A lost-payment timeout longer than the stub's slow charge (5 s).
            "expiry" => settings
                .with_stripe_stub(stub())
                .set("EXPIRATION_WINDOW_SECONDS", SHORT_WINDOW)
                .set("AUTHENTICATION_WINDOW_SECONDS", "5")
                .set("PAYMENT_TIMEOUT_SECONDS", "8"),
            "restart" => settings.set("EXPIRATION_WINDOW_SECONDS", SHORT_WINDOW),
            // A payment the kill cut off is given up on after 10 s.
            "crash" => settings
                .with_stripe_stub(stub())
                .set("EXPIRATION_WINDOW_SECONDS", SHORT_WINDOW)
                .set("PAYMENT_TIMEOUT_SECONDS", "10"),
            // The committed settings (provider stripe) with no secret key, as
            // a deploy that forgot it, and no operator's token.
            "release" => settings
                .set("PAYMENT_PROVIDER", "stripe")
                .set("STRIPE_SECRET_KEY", "")
                .set("ADMIN_TOKEN", ""),
            "deploy" => &mut settings,
            // `make bench`: a short window, so that expiry lateness is
            // measured in the same run, and abuse limits out of the way (it
            // holds hundreds of tickets per buyer and address). The
            // environment may override each.
            "bench" => {
                for (name, default) in [
                    ("EXPIRATION_WINDOW_SECONDS", SHORT_WINDOW),
                    ("MAX_OPEN_ORDERS", "100000"),
                    ("MAX_OPEN_ORDERS_PER_ADDRESS", "100000"),
                ] {
                    settings.set(
                        name,
                        &std::env::var(name).unwrap_or_else(|_| default.into()),
                    );
                }
                &mut settings
            }
            other => panic!("no stack is called {other}"),
        };
        settings
    }

    /// `make dev`'s settings: each of OVERRIDES the environment sets (set but
    /// empty blanks the root .dev.vars' value), and STRIPE_PUBLISHABLE_KEY
    /// for the pages (the root .dev.vars, which the Pages worker reads
    /// itself, may hold one too).
    pub fn for_development() -> Settings {
        let mut settings = Settings {
            name: "dev".into(),
            vars: BTreeMap::new(),
            publishable_key: std::env::var("STRIPE_PUBLISHABLE_KEY").ok(),
            stripe_stub_port: None,
        };
        for name in OVERRIDES {
            if let Ok(value) = std::env::var(name) {
                settings.set(name, &value);
            }
        }
        settings
    }

    /// The named stack's settings, its stub port from TICKETING_STRIPE_STUB_PORT.
    pub fn from_env(name: &str) -> Settings {
        let port = std::env::var("TICKETING_STRIPE_STUB_PORT")
            .ok()
            .map(|port| port.parse().expect("TICKETING_STRIPE_STUB_PORT: a port"));
        Settings::for_stack(name, port)
    }

    pub fn set(&mut self, name: &'static str, value: &str) -> &mut Settings {
        assert!(
            OVERRIDES.contains(&name),
            "{name} is no setting a stack takes"
        );
        self.vars.insert(name, value.to_string());
        self
    }

    /// The Stripe provider, its API at the stub on `port`. The pages get a
    /// publishable key, so they render Stripe Elements (no browser runs there).
    fn with_stripe_stub(&mut self, port: u16) -> &mut Settings {
        self.stripe_stub_port = Some(port);
        self.publishable_key = Some("pk_test_stub".into());
        self.set("PAYMENT_PROVIDER", "stripe")
            .set("STRIPE_API_BASE", &format!("http://127.0.0.1:{port}"))
            .set("STRIPE_SECRET_KEY", "sk_test_stub")
            .set(
                "STRIPE_WEBHOOK_SECRET",
                &env("TICKETING_STRIPE_WEBHOOK_SECRET"),
            )
    }

    fn var_or(&self, name: &str, default: &str) -> String {
        self.vars
            .get(name)
            .cloned()
            .unwrap_or_else(|| default.into())
    }

    /// What the tests read of these settings (TICKETING_*), but the URL.
    pub fn test_env(&self) -> Vec<(String, String)> {
        let mut vars = vec![
            ("TICKETING_JWT_KEY", jwt_key()),
            (
                "TICKETING_EXPIRATION_WINDOW_SECONDS",
                self.var_or("EXPIRATION_WINDOW_SECONDS", "900"),
            ),
            (
                "TICKETING_PAYMENT_TIMEOUT_SECONDS",
                self.var_or("PAYMENT_TIMEOUT_SECONDS", "60"),
            ),
            ("TICKETING_ADMIN_TOKEN", self.var_or("ADMIN_TOKEN", "")),
            (
                "TICKETING_DEAD_LETTER_AFTER_SECONDS",
                self.var_or("DEAD_LETTER_AFTER_SECONDS", "1200"),
            ),
        ];
        if let Some(port) = self.stripe_stub_port {
            vars.push(("TICKETING_STRIPE_STUB_PORT", port.to_string()));
        }
        vars.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    /// The payment provider: this stack's, else the root .dev.vars', else
    /// `local` (offline; test cards approve).
    fn provider(&self) -> String {
        if let Some(provider) = self.vars.get("PAYMENT_PROVIDER") {
            return provider.clone();
        }
        let root_vars = fs::read_to_string(root().join(".dev.vars")).unwrap_or_default();
        root_vars
            .lines()
            .filter_map(|line| line.strip_prefix("PAYMENT_PROVIDER="))
            .map(|value| value.replace(['"', '\'', ' '], ""))
            .next_back()
            .filter(|value| !value.is_empty())
            .unwrap_or_else(|| "local".into())
    }

    /// Each worker's .dev.vars (wrangler reads a worker's secrets beside its
    /// config): the lines of .dev.vars.example the root .dev.vars lacks, the
    /// root .dev.vars, then these settings (later lines win).
    fn write_worker_dev_vars(&self) {
        let root = root();
        let dev_vars = fs::read_to_string(root.join(".dev.vars")).expect("the root .dev.vars");
        let example = fs::read_to_string(root.join(".dev.vars.example")).unwrap_or_default();
        let mut text = String::new();
        for line in example.lines() {
            let Some((name, _)) = line.split_once('=') else {
                continue;
            };
            let is_setting =
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
            if is_setting && !dev_vars.lines().any(|l| l.starts_with(&format!("{name}="))) {
                text += &format!("{line}\n");
            }
        }
        text += &dev_vars;
        text += "\n\n";
        for name in OVERRIDES.iter().filter(|name| **name != "PAYMENT_PROVIDER") {
            if let Some(value) = self.vars.get(name) {
                text += &format!("{name}={value}\n");
            }
        }
        text += &format!("PAYMENT_PROVIDER={}\n", self.provider());
        for worker in WORKERS {
            let file = root.join("workers").join(worker).join(".dev.vars");
            fs::write(&file, &text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        }
    }
}

/// The JWT key of the root .dev.vars, so tests can forge tokens.
pub fn jwt_key() -> String {
    let dev_vars = fs::read_to_string(root().join(".dev.vars")).expect("the root .dev.vars");
    dev_vars
        .lines()
        .find_map(|line| line.strip_prefix("JWT_KEY="))
        .expect("JWT_KEY in .dev.vars")
        .to_string()
}

/// Where stacks keep their state: in memory (/dev/shm) when the machine has
/// it. Locally every Durable Object and D1 database is an SQLite file synced
/// at each commit; on this kind of VM that disk wait slows every test.
/// STACK_STATE_PARENT overrides.
fn state_parent() -> PathBuf {
    if let Some(parent) = std::env::var_os("STACK_STATE_PARENT") {
        return parent.into();
    }
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        return shm.into();
    }
    std::env::temp_dir()
}

/// A fresh, empty folder under `state_parent()`.
fn fresh_folder(prefix: &str) -> PathBuf {
    let dir = state_parent().join(format!("{prefix}.{}", uuid::Uuid::new_v4().simple()));
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

fn wrangler() -> Command {
    let mut command = Command::new(root().join("node_modules/.bin/wrangler"));
    command.current_dir(root());
    command
}

/// Applies every D1 migration to a state folder, one database after another:
/// with wrangler 4.168 the databases of one folder share a metadata.sqlite,
/// and migrations side by side fail with SQLITE_BUSY.
pub fn migrate(dir: &Path) {
    for (database, config) in DATABASES {
        let status = wrangler()
            .args([
                "d1",
                "migrations",
                "apply",
                database,
                "--local",
                "-c",
                config,
                "--persist-to",
            ])
            .arg(dir)
            .env("CI", "true")
            .stdout(Stdio::null())
            .status()
            .expect("wrangler");
        assert!(status.success(), "migrating {database} failed");
    }
}

/// A migrated state folder that every stack starts from a copy of (the
/// migrations are 4 wrangler runs, most of a stack's start). Deleted on drop.
pub struct StateTemplate(pub PathBuf);

impl StateTemplate {
    pub fn new() -> StateTemplate {
        let template = StateTemplate(fresh_folder("ticketing-template"));
        migrate(&template.0);
        template
    }
}

impl Default for StateTemplate {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for StateTemplate {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The process groups of the stacks this process runs, for the signal
/// watcher: a Ctrl-C, a TERM or a hang-up ends them too (0 is a free slot).
static GROUPS: [AtomicI32; 16] = [const { AtomicI32::new(0) }; 16];

/// Sends `signal` (a name: TERM, KILL) to a process group.
fn signal_group(group: i32, signal: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{signal}"), "--", &format!("-{group}")])
        .stderr(Stdio::null())
        .status();
}

/// Starts, once per process, a thread that waits for SIGINT, SIGTERM or
/// SIGHUP, kills the stacks' process groups (each leads its own, so a
/// Ctrl-C at the terminal does not reach them) and ends the process.
pub fn stop_stacks_on_signals() {
    static WATCH: Once = Once::new();
    WATCH.call_once(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        let Ok(runtime) = runtime else { return };
        std::thread::spawn(move || {
            let code = runtime.block_on(async {
                use tokio::signal::unix::{signal, SignalKind};
                let (Ok(mut interrupt), Ok(mut terminate), Ok(mut hangup)) = (
                    signal(SignalKind::interrupt()),
                    signal(SignalKind::terminate()),
                    signal(SignalKind::hangup()),
                ) else {
                    return None;
                };
                tokio::select! {
                    _ = interrupt.recv() => Some(130),
                    _ = terminate.recv() => Some(143),
                    _ = hangup.recv() => Some(129),
                }
            });
            let Some(code) = code else { return };
            for group in &GROUPS {
                let pid = group.load(Ordering::SeqCst);
                if pid > 0 {
                    signal_group(pid, "KILL");
                }
            }
            std::process::exit(code);
        });
    });
}

fn remember_group(pid: i32) {
    let _ = GROUPS.iter().any(|slot| {
        slot.compare_exchange(0, pid, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    });
}

fn forget_group(pid: i32) {
    for slot in &GROUPS {
        let _ = slot.compare_exchange(pid, 0, Ordering::SeqCst, Ordering::SeqCst);
    }
}

/// Two distinct free loopback ports, none of them one to avoid. Both are
/// held open while picked; a port is only free until someone binds it,
/// which is why a start is retried.
fn free_ports() -> (u16, u16) {
    let avoid: Vec<u16> = std::env::var("TICKETING_AVOID_PORTS")
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|port| port.parse().ok())
        .collect();
    let mut held = Vec::new();
    while held.len() < 2 {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("its address").port();
        if !avoid.contains(&port) {
            held.push((listener, port));
        }
    }
    (held[0].1, held[1].1)
}

/// `n` distinct free loopback ports below the kernel's ephemeral range, for
/// a port chosen long before it is bound (the Stripe stub's: the stack is
/// configured with it, the tests bind it minutes later). An ephemeral port
/// can be handed to any outgoing connection meanwhile; one below the range
/// is only taken by an explicit bind.
pub fn lasting_ports(n: usize) -> Vec<u16> {
    let range = fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap_or_default();
    let low: u32 = range
        .split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(32768);
    let (from, to) = if low > 11000 {
        (10000, low)
    } else {
        (1024, 65536)
    };
    let mut held = Vec::new();
    let mut tries = 0;
    while held.len() < n {
        tries += 1;
        assert!(tries < 10_000, "no free port below the ephemeral range");
        let port = from + (uuid::Uuid::new_v4().as_u128() % u128::from(to - from)) as u32;
        let Ok(port) = u16::try_from(port) else {
            continue;
        };
        if held.iter().any(|(_, p)| *p == port) {
            continue;
        }
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) {
            held.push((listener, port));
        }
    }
    held.into_iter().map(|(_, port)| port).collect()
}

/// Held from writing the workers' .dev.vars until the stack that reads them
/// answers: they are one file per checkout, which wrangler reads once, at
/// start, so stacks starting side by side take turns (`make dev` too). The
/// lock is the file's, released when it closes.
struct StartLock {
    _file: File,
}

impl StartLock {
    fn take() -> StartLock {
        let path = std::env::temp_dir().join("ticketing-stack-start.lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        file.lock().expect("the stack start lock");
        StartLock { _file: file }
    }
}

/// Whether the stack on `port` answers a page with a success.
fn answers(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request =
        "GET /api/users/currentuser HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 2")
}

/// `wrangler pages dev` for the whole product on `port`: the Pages config
/// (root wrangler.toml) first, then every service worker's. `--binding`
/// reaches the Pages worker only: the pay form offers test cards with the
/// local provider only, and renders Stripe Elements with a publishable key.
fn pages_dev(settings: &Settings, port: u16, inspector_port: u16, state_dir: &Path) -> Command {
    let mut command = wrangler();
    command.args(["pages", "dev", "-c", "wrangler.toml"]);
    for worker in WORKERS {
        command.args(["-c", &format!("workers/{worker}/wrangler.toml")]);
    }
    command.args([
        "--binding",
        &format!("PAYMENT_PROVIDER={}", settings.provider()),
    ]);
    if let Some(key) = &settings.publishable_key {
        command.args(["--binding", &format!("STRIPE_PUBLISHABLE_KEY={key}")]);
    }
    command
        .args(["--ip", "127.0.0.1", "--port", &port.to_string()])
        .args(["--inspector-port", &inspector_port.to_string()])
        .arg("--persist-to")
        .arg(state_dir);
    command
}

/// `make dev`: the product on `port`, in the foreground, on `state_dir`
/// (the developer's, kept across runs: migrated first, so a new migration
/// applies). Prints the address once it answers; ends with wrangler, or
/// ends it on Ctrl-C.
pub fn serve_for_development(settings: &Settings, port: u16, state_dir: &Path) -> ExitStatus {
    stop_stacks_on_signals();
    let turn = StartLock::take();
    settings.write_worker_dev_vars();
    fs::create_dir_all(state_dir).unwrap_or_else(|e| panic!("{}: {e}", state_dir.display()));
    migrate(state_dir);
    let inspector_port = port.checked_add(1000).unwrap_or(9229);
    let mut command = pages_dev(settings, port, inspector_port, state_dir);
    // Its own process group, so it never reads the terminal (a background
    // group that does is stopped): Ctrl-C reaches this process, which ends it.
    let mut child = command
        .stdin(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("wrangler");
    remember_group(child.id() as i32);
    println!(
        "starting on http://127.0.0.1:{port} (state in {})",
        state_dir.display()
    );
    while !answers(port) {
        if let Ok(Some(status)) = child.try_wait() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(turn);
    println!("ready: http://127.0.0.1:{port}");
    child.wait().expect("wrangler")
}

/// A running stack; dropped, it is stopped and its state deleted.
pub struct Stack {
    pub settings: Settings,
    pub port: u16,
    state_dir: PathBuf,
    log: PathBuf,
    child: Option<Child>,
}

impl Stack {
    /// Starts the stack with these settings on a fresh state folder (a copy
    /// of TICKETING_STACK_TEMPLATE, else migrated), its output in `log`, and
    /// waits until it answers.
    pub fn start(settings: Settings, log: &Path) -> Stack {
        stop_stacks_on_signals();
        let state_dir = fresh_folder("ticketing-state");
        let mut stack = Stack {
            settings,
            port: 0,
            state_dir,
            log: log.into(),
            child: None,
        };
        match std::env::var_os("TICKETING_STACK_TEMPLATE") {
            Some(template) => {
                let status = Command::new("cp")
                    .arg("-a")
                    .arg(Path::new(&template).join("."))
                    .arg(&stack.state_dir)
                    .status()
                    .expect("cp");
                assert!(status.success(), "copying the state template");
            }
            None => migrate(&stack.state_dir),
        }
        if let Some(parent) = log.parent() {
            let _ = fs::create_dir_all(parent);
        }
        let _ = File::create(log);
        stack.run();
        stack
    }

    /// The log of the named stack, in the checkout's target/.
    pub fn log_of(name: &str) -> PathBuf {
        root().join("target").join(format!("test-stack-{name}.log"))
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What the tests read (TICKETING_*), the URL among them.
    pub fn test_env(&self) -> Vec<(String, String)> {
        let mut vars = self.settings.test_env();
        vars.push(("TICKETING_BASE_URL".into(), self.base_url()));
        vars
    }

    pub fn log(&self) -> &Path {
        &self.log
    }

    /// Starts wrangler on the state folder and waits until it answers; on a
    /// port taken meanwhile, wrangler exits and it is tried on new ports.
    fn run(&mut self) {
        let _turn = StartLock::take();
        self.settings.write_worker_dev_vars();
        for attempt in 1..=3 {
            let (port, inspector_port) = free_ports();
            let log = OpenOptions::new()
                .append(true)
                .create(true)
                .open(&self.log)
                .expect("the stack's log");
            let mut command = pages_dev(&self.settings, port, inspector_port, &self.state_dir);
            command
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("the stack's log"))
                .stderr(log)
                // wrangler leads its own process group, so stopping the group
                // ends the workerd it spawned too.
                .process_group(0);
            let mut child = command.spawn().expect("wrangler");
            remember_group(child.id() as i32);
            self.port = port;
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                if answers(port) {
                    self.child = Some(child);
                    return;
                }
                if matches!(child.try_wait(), Ok(Some(_))) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            eprintln!(
                "the {} stack did not start (attempt {attempt}); see {}",
                self.settings.name,
                self.log.display()
            );
            self.child = Some(child);
            self.signal_and_wait("KILL", Duration::from_secs(5));
        }
        panic!(
            "the {} stack did not start; its log: {}",
            self.settings.name,
            self.log.display()
        );
    }

    /// Sends `signal` to the stack's process group, waits up to `patience`
    /// for wrangler to end, then kills the group.
    fn signal_and_wait(&mut self, signal: &str, patience: Duration) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let group = child.id() as i32;
        signal_group(group, signal);
        let deadline = Instant::now() + patience;
        while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(100));
        }
        // Whatever of the group is left.
        signal_group(group, "KILL");
        let _ = child.wait();
        forget_group(group);
    }

    /// Stops the stack (TERM, then KILL after 5 s), keeping its state.
    pub fn stop(&mut self) {
        self.signal_and_wait("TERM", Duration::from_secs(5));
    }

    /// SIGKILL to the whole stack at once, as a crash; its state stays.
    pub fn kill(&mut self) {
        self.signal_and_wait("KILL", Duration::from_secs(5));
    }

    /// Starts the stack again on the state it left (stopping it first if it
    /// runs), on new ports; `base_url()` tells the new address.
    pub fn restart(&mut self) {
        self.stop();
        if let Ok(mut log) = OpenOptions::new().append(true).open(&self.log) {
            let _ = writeln!(log, "\n==> restarted on the same state\n");
        }
        self.run();
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.stop();
        let _ = fs::remove_dir_all(&self.state_dir);
    }
}
