//! The black-box suite, as `make test` runs it (scripts/test.sh calls it
//! after the builds): every file in tests/e2e/tests against the stack it
//! names on a line `//! Stack: <name>`, each stack fresh (own ports, own
//! state folder) and stopped afterwards whatever happens.
//!
//! The stacks serving the test build run in two lanes side by side, and the
//! deploy checks in a third: most of a stack's time is waiting (deadlines,
//! retries, the browser), not CPU. Each lane's output goes to
//! target/test-lane-<lane>.log, shown when it ends; a lane stops at its first
//! failure. Then the crash test, alone: locally a queue holds its messages in
//! memory, so the kill loses events not yet consumed, and a stack sharing the
//! CPU makes the consumers lag behind. Last, the release build, rebuilt by
//! scripts/build.sh, served to the `release` files.
//!
//! usage: run-tests [stack or test file...] (all by default; run from the checkout)

use e2e::stack::{lasting_ports, root, Settings, Stack, StateTemplate, STACKS};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex};

/// Where a lane writes: its log file, or the terminal.
#[derive(Clone)]
struct Out(Option<Arc<Mutex<File>>>);

impl Out {
    fn line(&self, text: &str) {
        match &self.0 {
            Some(file) => {
                let _ = writeln!(file.lock().expect("the lane's log"), "{text}");
            }
            None => eprintln!("{text}"),
        }
    }

    fn log(&self, text: &str) {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs() % 86_400);
        let now = format!(
            "{:02}:{:02}:{:02}",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        );
        self.line(&format!("\x1b[1m==> {now} {text}\x1b[0m"));
    }
}

type Outcome = Result<(), String>;

/// The test files by the stack each names; a file naming none, or an
/// unknown one, fails the run, so a new file cannot be forgotten.
fn files_by_stack() -> Result<BTreeMap<String, Vec<String>>, String> {
    let mut by_stack: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let folder = root().join("tests/e2e/tests");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&folder)
        .map_err(|e| format!("{}: {e}", folder.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .collect();
    paths.sort();
    for path in paths {
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let named = text
            .lines()
            .find_map(|line| line.strip_prefix("//! Stack: "))
            .map(|rest| {
                rest.chars()
                    .take_while(|c| c.is_ascii_lowercase())
                    .collect::<String>()
            });
        match named {
            Some(stack) if STACKS.contains(&stack.as_str()) => {
                let file = path
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                by_stack.entry(stack).or_default().push(file);
            }
            _ => {
                return Err(format!(
                    "{} names no stack: add a line '//! Stack: {}'",
                    path.display(),
                    STACKS.join("|")
                ))
            }
        }
    }
    Ok(by_stack)
}

struct Run {
    files: BTreeMap<String, Vec<String>>,
    /// The stacks and files named on the command line; all when none is.
    only: Vec<String>,
    stub_ports: [u16; 2],
}

impl Run {
    fn selected(&self, stack: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|name| name == stack)
    }

    /// The files of `stack` this run runs: all of them if the stack was
    /// selected, else those named on the command line.
    fn files(&self, stack: &str) -> Vec<String> {
        let all = self.files.get(stack).cloned().unwrap_or_default();
        if self.selected(stack) {
            return all;
        }
        all.into_iter()
            .filter(|file| self.only.contains(file))
            .collect()
    }

    /// `cargo test -p e2e --test <file>...` with `env`, its output to `out`.
    /// Fails when a test fails, and when a test binary ran no test: a
    /// misspelt or renamed test name must not pass silently.
    fn cargo_test(&self, out: &Out, files: &[String], env: &[(String, String)]) -> Outcome {
        let mut command = Command::new("cargo");
        command.args(["test", "-p", "e2e", "--quiet"]);
        for file in files {
            command.args(["--test", file]);
        }
        command.envs(env.iter().map(|(k, v)| (k, v)));
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cargo: {e}"))?;
        // stderr on a thread of its own, so neither pipe fills up.
        let stderr = child.stderr.take().map(|pipe| {
            let out = out.clone();
            std::thread::spawn(move || {
                BufReader::new(pipe)
                    .lines()
                    .map_while(Result::ok)
                    .for_each(|l| out.line(&l))
            })
        });
        let mut ran_nothing = false;
        if let Some(pipe) = child.stdout.take() {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                ran_nothing |= line.starts_with("running 0 tests");
                out.line(&line);
            }
        }
        if let Some(thread) = stderr {
            let _ = thread.join();
        }
        let status = child.wait().map_err(|e| format!("cargo: {e}"))?;
        if !status.success() {
            return Err(format!("tests failed: {}", files.join(" ")));
        }
        if ran_nothing {
            return Err(format!(
                "{} ran no test in one of its binaries: a test name matched nothing",
                files.join(" ")
            ));
        }
        Ok(())
    }

    /// A fresh stack for the files that name it, stopped afterwards; on a
    /// failure, the stack's last log lines.
    fn on_stack(&self, out: &Out, name: &str, stub_port: Option<u16>) -> Outcome {
        let files = self.files(name);
        if files.is_empty() {
            return Ok(());
        }
        let stack = Stack::start(Settings::for_stack(name, stub_port), &Stack::log_of(name));
        out.log(&format!(
            "{name}: tests against {}: {}",
            stack.base_url(),
            files.join(" ")
        ));
        let outcome = self.cargo_test(out, &files, &stack.test_env());
        if outcome.is_err() {
            out.log(&format!(
                "the stack's log is {} (last lines below)",
                stack.log().display()
            ));
            let log = std::fs::read_to_string(stack.log()).unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            lines[lines.len().saturating_sub(30)..]
                .iter()
                .for_each(|line| out.line(line));
        }
        outcome
    }

    /// The files whose test starts its own stack (restart, crash): they get
    /// the stack's settings, and a log path, through the environment.
    fn owning_stack(&self, out: &Out, name: &str, stub_port: Option<u16>) -> Outcome {
        let files = self.files(name);
        if files.is_empty() {
            return Ok(());
        }
        out.log(&format!(
            "{name}: tests that start their own stack: {}",
            files.join(" ")
        ));
        self.cargo_test(
            out,
            &files,
            &Settings::for_stack(name, stub_port).test_env(),
        )
    }

    /// The release build, checked offline as `wrangler deploy` would take
    /// it, then `make deploy` against a stub of Cloudflare's API (the test
    /// serves it; no stack runs). Both read the release build from
    /// build-cache/release/, so they run beside the stacks.
    fn deploy(&self, out: &Out) -> Outcome {
        if !self.selected("deploy") {
            return Ok(());
        }
        out.log("make deploy-check");
        self.shell(out, "make", &["--no-print-directory", "deploy-check"])?;
        if self.files("deploy").is_empty() {
            return Ok(());
        }
        out.log(&format!(
            "deploy: make deploy against a stub of Cloudflare's API: {}",
            self.files("deploy").join(" ")
        ));
        let mut env = Settings::for_stack("deploy", None).test_env();
        env.push(("TICKETING_BASE_URL".into(), "http://127.0.0.1:0".into()));
        self.cargo_test(out, &self.files("deploy"), &env)
    }

    fn shell(&self, out: &Out, program: &str, args: &[&str]) -> Outcome {
        let output = Command::new(program)
            .args(args)
            .output()
            .map_err(|e| format!("{program}: {e}"))?;
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .for_each(|l| out.line(l));
        String::from_utf8_lossy(&output.stderr)
            .lines()
            .for_each(|l| out.line(l));
        output
            .status
            .success()
            .then_some(())
            .ok_or_else(|| format!("{program} {} failed", args.join(" ")))
    }
}

fn lane(
    run: &Arc<Run>,
    name: &'static str,
    steps: fn(&Run, &Out) -> Outcome,
) -> std::thread::JoinHandle<Outcome> {
    let run = run.clone();
    std::thread::spawn(move || {
        let path = root().join(format!("target/test-lane-{name}.log"));
        let file = File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let out = Out(Some(Arc::new(Mutex::new(file))));
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| steps(&run, &out)))
            .unwrap_or_else(|_| Err(format!("lane {name} panicked")));
        if let Err(error) = &outcome {
            out.log(error);
        }
        outcome
    })
}

fn lane_one(run: &Run, out: &Out) -> Outcome {
    run.on_stack(out, "api", None)?;
    run.on_stack(out, "stripe", Some(run.stub_ports[0]))?;
    run.owning_stack(out, "restart", None)
}

fn lane_two(run: &Run, out: &Out) -> Outcome {
    run.on_stack(out, "faults", None)?;
    run.on_stack(out, "expiry", Some(run.stub_ports[1]))
}

fn lane_deploy(run: &Run, out: &Out) -> Outcome {
    run.deploy(out)
}

fn random_hex() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn main() -> ExitCode {
    let terminal = Out(None);
    let files = match files_by_stack() {
        Ok(files) => files,
        Err(error) => {
            terminal.log(&error);
            return ExitCode::FAILURE;
        }
    };
    let only: Vec<String> = std::env::args().skip(1).collect();
    let known = |name: &&String| {
        STACKS.contains(&name.as_str()) || files.values().flatten().any(|file| file == *name)
    };
    if let Some(unknown) = only.iter().find(|name| !known(name)) {
        terminal.log(&format!(
            "no stack or test file is called {unknown}: {}",
            STACKS.join("|")
        ));
        return ExitCode::FAILURE;
    }
    e2e::stack::stop_stacks_on_signals();
    // The settings every stack and test of this run shares, through the
    // environment (set before any thread starts).
    let stub_ports = lasting_ports(2);
    let shared = [
        ("TICKETING_ROOT", root().display().to_string()),
        ("TICKETING_ADMIN_TOKEN", format!("admin-{}", random_hex())),
        (
            "TICKETING_STRIPE_WEBHOOK_SECRET",
            format!("whsec_test_{}", random_hex()),
        ),
        (
            "TICKETING_AVOID_PORTS",
            format!("{} {}", stub_ports[0], stub_ports[1]),
        ),
    ];
    for (name, value) in shared {
        std::env::set_var(name, value);
    }
    let _ = std::fs::create_dir_all(root().join("target"));
    terminal.log("migrating one state folder, which every test stack starts from a copy of");
    let template = StateTemplate::new();
    std::env::set_var("TICKETING_STACK_TEMPLATE", &template.0);
    let run = Arc::new(Run {
        files,
        only,
        stub_ports: [stub_ports[0], stub_ports[1]],
    });

    terminal.log("three lanes: api, stripe, restart | faults, expiry | deploy-check, deploy (output: target/test-lane-*.log)");
    let lanes = [
        ("one", lane(&run, "one", lane_one)),
        ("two", lane(&run, "two", lane_two)),
        ("deploy", lane(&run, "deploy", lane_deploy)),
    ];
    let mut failed = Vec::new();
    for (name, handle) in lanes {
        let outcome = handle.join().unwrap_or_else(|_| Err("panicked".into()));
        terminal.log(&format!("lane {name}:"));
        let log = std::fs::read_to_string(root().join(format!("target/test-lane-{name}.log")))
            .unwrap_or_default();
        eprint!("{log}");
        if outcome.is_err() {
            failed.push(name);
        }
    }
    if !failed.is_empty() {
        terminal.log(&format!(
            "the tests of lane(s) {} failed (see above)",
            failed.join(" ")
        ));
        return ExitCode::FAILURE;
    }
    let last = || -> Outcome {
        run.owning_stack(&terminal, "crash", Some(run.stub_ports[0]))?;
        if run.files("release").is_empty() {
            return Ok(());
        }
        // The release build into build/, which the `release` stack serves.
        terminal.log("the release build, for the release stack");
        let status = Command::new("scripts/build.sh")
            .status()
            .map_err(|e| format!("scripts/build.sh: {e}"))?;
        status
            .success()
            .then_some(())
            .ok_or("scripts/build.sh failed")?;
        run.on_stack(&terminal, "release", None)
    };
    match last() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            terminal.log(&error);
            ExitCode::FAILURE
        }
    }
}
