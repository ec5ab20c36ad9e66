//! Keeps glibc's malloc from holding on to memory the process has freed.
//!
//! glibc serves blocks above its mmap threshold with `mmap` and gives them back on `free`, but
//! it raises that threshold to the size of the first such block freed (up to 32 MiB). After one
//! argon2 hash (19 MiB) every later hash, photo buffer and batch comes from the per-thread
//! arenas, which glibc does not return: the single binary held 470 MB after the demo seed
//! instead of 120 MB (docs/benchmarks.md). A fixed threshold turns that adjustment off.
//!
//! Smaller blocks freed inside the arenas stay mapped too, until `malloc_trim` is called.
//! Starting a binary (migrations, routes, clients) frees most of what it allocated, so each
//! binary trims when it is ready to serve, and again every few seconds while it is quiet
//! ([`trim_when_quiet`]).

use std::time::Duration;

/// Blocks of at least this size are mapped on their own and unmapped when freed.
pub const MMAP_THRESHOLD: usize = 1 << 20;

/// How often [`trim_when_quiet`] looks at the process's CPU time.
pub const QUIET_CHECK_INTERVAL: Duration = Duration::from_secs(5);

/// An interval in which the process used less CPU than this is quiet: 10 % of one core. The
/// single binary's outbox relays and consumers polling with nothing to do use 2–4 %.
pub const QUIET_CPU: Duration = Duration::from_millis(500);

/// Fixes glibc's mmap threshold at [`MMAP_THRESHOLD`], unless `MALLOC_MMAP_THRESHOLD_` is set
/// (the operator's choice wins). Call first thing in `main`; a no-op on other C libraries.
pub fn return_large_blocks_to_the_os() {
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_some() {
        return;
    }
    set_mmap_threshold(MMAP_THRESHOLD);
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn set_mmap_threshold(bytes: usize) {
    let bytes = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    // SAFETY: mallopt only changes a malloc tunable; it takes plain integers and may be called
    // at any time, from any thread.
    let applied = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, bytes) };
    if applied != 1 {
        eprintln!("warning: glibc refused M_MMAP_THRESHOLD={bytes}");
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_mmap_threshold(_bytes: usize) {}

/// Gives the free pages inside malloc's arenas back to the operating system. It walks every
/// arena under its lock, so call it at a quiet moment (once the binary is ready to serve), not
/// on a request's path; a no-op on other C libraries.
pub fn give_back_free_memory() {
    malloc_trim();
}

/// Starts a small thread that calls [`give_back_free_memory`] at the end of every
/// [`QUIET_CHECK_INTERVAL`] in which the process used less than [`QUIET_CPU`]. What a burst of
/// requests freed, and what closing idle connections frees later, goes back once the process
/// is quiet; a trim, which locks each arena while it walks it, never runs in a busy stretch.
///
/// Not started when `MALLOC_TRIM_THRESHOLD_` is set (the operator tunes trimming) or where the
/// process's CPU time cannot be read.
pub fn trim_when_quiet() {
    if std::env::var_os("MALLOC_TRIM_THRESHOLD_").is_some() || process_cpu_time().is_none() {
        return;
    }
    let watcher = std::thread::Builder::new()
        .name("malloc-trim".into())
        .stack_size(64 * 1024)
        .spawn(|| {
            let mut last = process_cpu_time().unwrap_or_default();
            loop {
                std::thread::sleep(QUIET_CHECK_INTERVAL);
                let now = process_cpu_time().unwrap_or(last);
                if is_quiet(now.saturating_sub(last)) {
                    give_back_free_memory();
                }
                last = now;
            }
        });
    if let Err(err) = watcher {
        eprintln!("warning: not trimming malloc's arenas when quiet: {err}");
    }
}

/// Whether an interval in which the process used `cpu` was quiet enough to trim after.
fn is_quiet(cpu: Duration) -> bool {
    cpu < QUIET_CPU
}

/// User plus system CPU time of the whole process so far.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn process_cpu_time() -> Option<Duration> {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Some(Duration::new(
        u64::try_from(now.tv_sec).ok()?,
        u32::try_from(now.tv_nsec).ok()?,
    ))
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn process_cpu_time() -> Option<Duration> {
    None
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn malloc_trim() {
    // SAFETY: malloc_trim only releases memory malloc itself holds free; it takes a plain
    // integer (the padding to keep) and is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn malloc_trim() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interval_is_quiet_only_below_a_tenth_of_a_core() {
        assert!(is_quiet(Duration::ZERO));
        assert!(
            is_quiet(Duration::from_millis(170)),
            "the single binary idling"
        );
        assert!(!is_quiet(QUIET_CPU));
        assert!(!is_quiet(QUIET_CHECK_INTERVAL * 2), "both cores busy");
    }

    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn the_process_cpu_time_grows_with_work() {
        let before = process_cpu_time().expect("the process's CPU clock is readable");
        let started = std::time::Instant::now();
        let mut spins = 0u64;
        while started.elapsed() < Duration::from_millis(100) {
            spins = std::hint::black_box(spins.wrapping_add(1));
        }
        let after = process_cpu_time().expect("the process's CPU clock is readable");
        assert!(
            after >= before + Duration::from_millis(10),
            "{before:?} then {after:?}"
        );
    }
}
