//! A process's CPU time and resident memory from Linux's /proc, for the benchmarks that
//! measure a server process (or themselves) apart from the clients on the same cores.

use std::time::Duration;

/// CPU time (user + system) of process `pid` (`"self"` for this one); zero where /proc cannot
/// be read.
pub fn cpu_time(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name, which may hold spaces: utime and stime are the 14th
    // and 15th fields of the line, the 12th and 13th after it.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Duration::from_secs_f64((field(11) + field(12)) as f64 / clock_ticks_per_second())
}

/// Resident memory of process `pid` (`"self"` for this one) in KiB; 0 where /proc cannot be
/// read.
pub fn rss_kib(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// The kernel's clock ticks per second (`getconf CLK_TCK`; 100 where it cannot be asked).
fn clock_ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// How many times thread `tid` of process `pid` gave up its CPU to wait (its voluntary context
/// switches: each a sleep and a wake-up); 0 where /proc cannot be read.
pub fn thread_waits(pid: u32, tid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}
