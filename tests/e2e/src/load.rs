//! A small closed-loop load generator: N workers send requests back to back
//! for a fixed time; latencies are recorded per request.

use std::future::Future;
use std::time::{Duration, Instant};

pub struct Stats {
    pub name: String,
    pub ok: usize,
    pub failed: usize,
    pub elapsed: Duration,
    latencies_us: Vec<u64>,
}

impl Stats {
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    /// The q-quantile of successful requests' latency, in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let index = ((self.latencies_us.len() - 1) as f64 * q).round() as usize;
        self.latencies_us[index] as f64 / 1000.0
    }
}

/// Runs `request(worker, iteration)` from `concurrency` workers for `duration`.
/// The request answers whether it succeeded.
pub async fn run<F, Fut>(name: &str, concurrency: usize, duration: Duration, request: F) -> Stats
where
    F: Fn(usize, usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = bool> + Send,
{
    let started = Instant::now();
    let deadline = started + duration;
    let workers = (0..concurrency).map(|worker| {
        let request = request.clone();
        tokio::spawn(async move {
            let (mut latencies, mut failed) = (Vec::new(), 0usize);
            let mut iteration = 0;
            while Instant::now() < deadline {
                let sent = Instant::now();
                if request(worker, iteration).await {
                    latencies.push(sent.elapsed().as_micros() as u64);
                } else {
                    failed += 1;
                }
                iteration += 1;
            }
            (latencies, failed)
        })
    });
    let mut stats = Stats {
        name: name.into(),
        ok: 0,
        failed: 0,
        elapsed: Duration::ZERO,
        latencies_us: Vec::new(),
    };
    for worker in futures::future::join_all(workers).await {
        let (latencies, failed) = worker.expect("a load worker panicked");
        stats.ok += latencies.len();
        stats.failed += failed;
        stats.latencies_us.extend(latencies);
    }
    stats.elapsed = started.elapsed();
    stats.latencies_us.sort_unstable();
    stats
}

/// Runs of one scenario taken as one (interleaved with another's, so that
/// both see the same drift of a noisy machine).
pub fn merge(name: &str, runs: Vec<Stats>) -> Stats {
    let mut merged = Stats {
        name: name.into(),
        ok: 0,
        failed: 0,
        elapsed: Duration::ZERO,
        latencies_us: Vec::new(),
    };
    for run in runs {
        merged.ok += run.ok;
        merged.failed += run.failed;
        merged.elapsed += run.elapsed;
        merged.latencies_us.extend(run.latencies_us);
    }
    merged.latencies_us.sort_unstable();
    merged
}

/// Prints a table; ratios are against the first row (the baseline).
pub fn report(rows: &[Stats]) {
    println!(
        "{:<44} {:>9} {:>9} {:>9} {:>7} {:>11}",
        "scenario", "req/s", "p50 ms", "p99 ms", "errors", "p50 ratio"
    );
    let baseline = rows.first().map(|r| r.quantile_ms(0.5)).unwrap_or(f64::NAN);
    for row in rows {
        println!(
            "{:<44} {:>9.0} {:>9.2} {:>9.2} {:>7} {:>10.1}x",
            row.name,
            row.per_second(),
            row.quantile_ms(0.5),
            row.quantile_ms(0.99),
            row.failed,
            row.quantile_ms(0.5) / baseline
        );
    }
}
