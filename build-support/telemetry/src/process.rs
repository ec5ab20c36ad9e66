//! The process metrics Prometheus' own clients report, read from `/proc/self` on Linux each
//! time `/metrics` is rendered (elsewhere nothing is reported):
//!
//! - `process_cpu_seconds_total`: user and system CPU time;
//! - `process_resident_memory_bytes`, `process_virtual_memory_bytes`;
//! - `process_open_fds`, `process_max_fds` (the soft limit);
//! - `process_start_time_seconds`: since the Unix epoch;
//! - `process_threads`.

/// Linux reports CPU times and start times in clock ticks of `USER_HZ`, which is 100 on every
/// architecture Linux runs on (the kernel converts to this unit for userspace).
const TICKS_PER_SECOND: f64 = 100.0;

/// One reading of the process's state; a field is `None` when it could not be read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcessStats {
    pub cpu_seconds: Option<f64>,
    pub resident_memory_bytes: Option<u64>,
    pub virtual_memory_bytes: Option<u64>,
    pub open_fds: Option<u64>,
    pub max_fds: Option<u64>,
    pub start_time_seconds: Option<f64>,
    pub threads: Option<u64>,
}

impl ProcessStats {
    /// Reads this process's state from `/proc` (all `None` where there is no `/proc`).
    pub fn read() -> Self {
        let stat = std::fs::read_to_string("/proc/self/stat").ok();
        let stat_fields = stat.as_deref().and_then(stat_fields);
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let boot_time = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|text| boot_time(&text));
        Self {
            cpu_seconds: stat_fields.as_ref().and_then(|fields| {
                let utime: f64 = field(fields, 14)?.parse().ok()?;
                let stime: f64 = field(fields, 15)?.parse().ok()?;
                Some((utime + stime) / TICKS_PER_SECOND)
            }),
            resident_memory_bytes: status_kib(&status, "VmRSS:").map(|kib| kib * 1024),
            virtual_memory_bytes: status_kib(&status, "VmSize:").map(|kib| kib * 1024),
            open_fds: std::fs::read_dir("/proc/self/fd")
                .ok()
                .map(|entries| entries.count() as u64),
            max_fds: std::fs::read_to_string("/proc/self/limits")
                .ok()
                .and_then(|text| max_open_files(&text)),
            start_time_seconds: stat_fields.as_ref().and_then(|fields| {
                let ticks: f64 = field(fields, 22)?.parse().ok()?;
                Some(boot_time? + ticks / TICKS_PER_SECOND)
            }),
            threads: status_kib(&status, "Threads:"),
        }
    }
}

/// Describes the process metrics and reports them once, so they exist from the start.
pub(crate) fn describe() {
    metrics::describe_gauge!(
        "process_cpu_seconds_total",
        metrics::Unit::Seconds,
        "Total user and system CPU time spent in seconds."
    );
    metrics::describe_gauge!(
        "process_resident_memory_bytes",
        metrics::Unit::Bytes,
        "Resident memory size in bytes."
    );
    metrics::describe_gauge!(
        "process_virtual_memory_bytes",
        metrics::Unit::Bytes,
        "Virtual memory size in bytes."
    );
    metrics::describe_gauge!("process_open_fds", "Number of open file descriptors.");
    metrics::describe_gauge!(
        "process_max_fds",
        "Maximum number of open file descriptors."
    );
    metrics::describe_gauge!(
        "process_start_time_seconds",
        metrics::Unit::Seconds,
        "Start time of the process since unix epoch in seconds."
    );
    metrics::describe_gauge!("process_threads", "Number of OS threads in the process.");
    collect();
}

/// Reads the process's state and records it in the process-wide recorder.
pub fn collect() {
    let stats = ProcessStats::read();
    if let Some(seconds) = stats.cpu_seconds {
        // `metrics` counters hold integers; fractional seconds go in as a gauge that only grows
        // (`rate()` reads it the same; the exposition says `gauge`).
        metrics::gauge!("process_cpu_seconds_total").set(seconds);
    }
    let gauges = [
        ("process_resident_memory_bytes", stats.resident_memory_bytes),
        ("process_virtual_memory_bytes", stats.virtual_memory_bytes),
        ("process_open_fds", stats.open_fds),
        ("process_max_fds", stats.max_fds),
        ("process_threads", stats.threads),
    ];
    for (name, value) in gauges {
        if let Some(value) = value {
            metrics::gauge!(name).set(value as f64);
        }
    }
    if let Some(seconds) = stats.start_time_seconds {
        metrics::gauge!("process_start_time_seconds").set(seconds);
    }
}

/// The fields of `/proc/self/stat`, numbered from 1 as in proc(5). The command name (field 2)
/// is in parentheses and may contain spaces, so the rest is split after its closing one.
fn stat_fields(stat: &str) -> Option<Vec<&str>> {
    let (head, rest) = stat.rsplit_once(')')?;
    let (pid, _) = head.split_once('(')?;
    let mut fields = vec![pid.trim(), "comm"];
    fields.extend(rest.split_whitespace());
    Some(fields)
}

fn field<'a>(fields: &[&'a str], number: usize) -> Option<&'a str> {
    fields.get(number - 1).copied()
}

/// A `Name:   value [kB]` line's number from `/proc/self/status`.
fn status_kib(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(key))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The `btime` line of `/proc/stat`: when the machine booted, in seconds since the epoch.
fn boot_time(stat: &str) -> Option<f64> {
    stat.lines()
        .find_map(|line| line.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()
}

/// The soft limit of the `Max open files` line of `/proc/self/limits`.
fn max_open_files(limits: &str) -> Option<u64> {
    limits
        .lines()
        .find_map(|line| line.strip_prefix("Max open files"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stat_fields_survive_a_command_name_with_spaces_and_parentheses() {
        let stat = "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 \
                    7 0 123456 1000000 500 18446744073709551615";
        let fields = stat_fields(stat).expect("parses");
        assert_eq!(field(&fields, 1), Some("4242"));
        assert_eq!(field(&fields, 3), Some("S"));
        assert_eq!(field(&fields, 14), Some("250"));
        assert_eq!(field(&fields, 15), Some("150"));
        assert_eq!(field(&fields, 22), Some("123456"));
    }

    #[test]
    fn status_limits_and_boot_time_lines_are_read() {
        let status = "Name:\tx\nVmSize:\t  123456 kB\nVmRSS:\t    2048 kB\nThreads:\t7\n";
        assert_eq!(status_kib(status, "VmRSS:"), Some(2048));
        assert_eq!(status_kib(status, "VmSize:"), Some(123_456));
        assert_eq!(status_kib(status, "Threads:"), Some(7));
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max open files            1024                 524288               files     \n";
        assert_eq!(max_open_files(limits), Some(1024));
        assert_eq!(
            boot_time("cpu  1 2 3\nbtime 1700000000\n"),
            Some(1_700_000_000.0)
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_reports_every_process_metric() {
        let stats = ProcessStats::read();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after the epoch")
            .as_secs_f64();
        assert!(stats.cpu_seconds.is_some_and(|seconds| seconds >= 0.0));
        assert!(stats.resident_memory_bytes.is_some_and(|bytes| bytes > 0));
        assert!(
            stats
                .virtual_memory_bytes
                .zip(stats.resident_memory_bytes)
                .is_some_and(|(virtual_bytes, resident)| virtual_bytes >= resident)
        );
        assert!(stats.open_fds.is_some_and(|fds| fds >= 3));
        assert!(
            stats
                .max_fds
                .zip(stats.open_fds)
                .is_some_and(|(max, open)| max >= open)
        );
        assert!(stats.threads.is_some_and(|threads| threads >= 1));
        let started = stats.start_time_seconds.expect("a start time");
        assert!(
            started <= now + 1.0 && started > now - 86_400.0 * 365.0,
            "{started} vs {now}"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn rendering_the_registry_reports_the_process_metrics() {
        let page = crate::render_metrics();
        for name in [
            "process_cpu_seconds_total",
            "process_resident_memory_bytes",
            "process_virtual_memory_bytes",
            "process_open_fds",
            "process_max_fds",
            "process_start_time_seconds",
            "process_threads",
        ] {
            assert!(
                page.lines()
                    .any(|line| line.starts_with(&format!("{name} "))),
                "{name} missing from:\n{page}"
            );
        }
    }
}
