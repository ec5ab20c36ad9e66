//! Keeps glibc's malloc from holding on to large freed blocks.
//!
//! glibc serves blocks above its mmap threshold with `mmap` and gives them back on `free`, but
//! it raises that threshold to the size of the first such block freed (up to 32 MiB). After one
//! argon2 hash (19 MiB) every later hash, photo buffer and batch comes from the per-thread
//! arenas, which glibc does not return: the single binary held 470 MB after the demo seed
//! instead of 120 MB (docs/benchmarks.md). A fixed threshold turns that adjustment off.
//!
//! Smaller blocks freed inside the arenas stay mapped too, until `malloc_trim` is called.
//! Starting a binary (migrations, routes, clients) frees most of what it allocated, so each
//! binary trims once when it is ready to serve.

/// Blocks of at least this size are mapped on their own and unmapped when freed.
pub const MMAP_THRESHOLD: usize = 1 << 20;

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
