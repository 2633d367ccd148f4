//! What every benchmark binary shares: the `--bench` gate (so `cargo test --all-targets` only
//! builds them), numeric knobs from the environment, and this process's resident memory.
#![allow(dead_code)]

use std::future::Future;

/// Runs `run` on a multi-threaded runtime when invoked by `cargo bench` (which passes
/// `--bench`); otherwise prints how to run it and returns, so the test build stays quick.
pub fn bench_main<F: Future<Output = ()>>(name: &str, how: &str, run: impl FnOnce() -> F) {
    if !std::env::args().any(|a| a == "--bench") {
        println!("{name} benchmark: skipped (run {how})");
        return;
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(run());
}

/// A numeric knob such as `BENCH_SECS`, or `default` when unset or not a number.
pub fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// VmRSS of this process, in KiB (0 where /proc is not there).
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
