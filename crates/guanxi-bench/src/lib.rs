//! Shared pieces of the benchmark tools: latency summaries, peak memory, and the made-up but
//! plausible people (names, phones, addresses) the generators give their customers.

pub mod in_process;
pub mod latency;
pub mod people;

/// Peak resident set size of this process in KiB (`VmHWM`), where /proc is available.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}
