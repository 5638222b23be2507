//! `make bench`'s size guard, on the release build (what a deploy ships):
//! each worker's gzipped wasm and its start-up CPU time (`wrangler check
//! startup`, locally), against the limits, and where the bytes of the
//! largest go (twiggy, if installed). Fails when a worker is over a limit.

use std::path::Path;
use std::process::{Command, ExitCode};

/// At most this much gzipped wasm per worker.
const MAX_GZIPPED_KB: f64 = 300.0;
/// At most this much start-up CPU per worker, measured locally.
const MAX_STARTUP_MS: f64 = 50.0;
const CRATES: [&str; 5] = [
    "workers/auth",
    "workers/tickets",
    "workers/orders",
    "workers/payments",
    "pages",
];

fn gzipped_bytes(wasm: &Path) -> Option<usize> {
    let out = Command::new("gzip").arg("-9c").arg(wasm).output().ok()?;
    out.status.success().then_some(out.stdout.len())
}

/// The start-up CPU time of the worker in `dir` (the Pages worker from its
/// build output): the median of three `wrangler check startup` profiles.
fn startup_ms(root: &Path, dir: &str) -> Option<f64> {
    let mut runs: Vec<f64> = (0..3).filter_map(|_| one_startup_ms(root, dir)).collect();
    runs.sort_by(f64::total_cmp);
    runs.get(runs.len() / 2).copied()
}

/// One profile's busy time: its span less the samples in `(idle)`, each
/// sample lasting until the next, as DevTools counts them (the time before
/// the first sample counts as busy).
fn one_startup_ms(root: &Path, dir: &str) -> Option<f64> {
    let profile =
        std::env::temp_dir().join(format!("startup-{}.cpuprofile", dir.replace('/', "-")));
    let mut command = Command::new(root.join("node_modules/.bin/wrangler"));
    command
        .args(["check", "startup", "--outfile"])
        .arg(&profile);
    match dir {
        "pages" => command
            .current_dir(root)
            .args(["--pages", "--args=--build-output-directory=pages/dist"]),
        worker => command.current_dir(root.join(worker)),
    };
    let ran = command.output().ok()?;
    if !ran.status.success() {
        eprintln!("{dir}: {}", String::from_utf8_lossy(&ran.stderr));
        return None;
    }
    let profile: serde_json::Value = serde_json::from_slice(&std::fs::read(&profile).ok()?).ok()?;
    let (start, end) = (profile["startTime"].as_f64()?, profile["endTime"].as_f64()?);
    let idle: Vec<u64> = profile["nodes"]
        .as_array()?
        .iter()
        .filter(|node| node["callFrame"]["functionName"] == "(idle)")
        .filter_map(|node| node["id"].as_u64())
        .collect();
    let samples: Vec<u64> = profile["samples"]
        .as_array()?
        .iter()
        .filter_map(|s| s.as_u64())
        .collect();
    let mut at = start;
    let times: Vec<f64> = profile["timeDeltas"]
        .as_array()?
        .iter()
        .filter_map(|d| d.as_f64())
        .map(|delta| {
            at += delta;
            at
        })
        .collect();
    let idle_us: f64 = (0..samples.len().min(times.len()))
        .filter(|&i| idle.contains(&samples[i]))
        .map(|i| times.get(i + 1).copied().unwrap_or(end) - times[i])
        .sum();
    Some((end - start - idle_us) / 1000.0)
}

fn main() -> ExitCode {
    let root = stack::root();
    let mut over = Vec::new();
    println!("  worker            gzipped  (<= {MAX_GZIPPED_KB} KB)   start-up CPU  (<= {MAX_STARTUP_MS} ms)");
    let mut largest = (0, "");
    for dir in CRATES {
        let wasm = root.join(dir).join("build/index_bg.wasm");
        let gz = gzipped_bytes(&wasm).map(|b| b as f64 / 1024.0);
        let startup = startup_ms(&root, dir);
        let raw = std::fs::metadata(&wasm)
            .map(|m| m.len() as usize)
            .unwrap_or(0);
        largest = largest.max((raw, dir));
        let shown =
            |v: Option<f64>, unit| v.map_or("unmeasured".into(), |v| format!("{v:.1} {unit}"));
        println!(
            "  {dir:<16} {:>10}                {:>10}",
            shown(gz, "KB"),
            shown(startup, "ms")
        );
        if gz.is_none_or(|kb| kb > MAX_GZIPPED_KB) || startup.is_none_or(|ms| ms > MAX_STARTUP_MS) {
            over.push(dir);
        }
    }
    let named = root.join(largest.1).join("build/index_bg.named.wasm");
    let twiggy = Command::new("twiggy")
        .args(["top", "-n", "12"])
        .arg(&named)
        .output();
    if let Some(out) = twiggy.ok().filter(|out| out.status.success()) {
        println!(
            "\n  the 12 largest functions and data of {} (before the names are stripped):",
            largest.1
        );
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            println!("  {}", line.chars().take(150).collect::<String>());
        }
    }
    if over.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("over a limit, or not measured: {over:?}");
        ExitCode::FAILURE
    }
}
