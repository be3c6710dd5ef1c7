//! Giving memory that was freed back to the system.
//!
//! Listing thousands of domains allocates a lot briefly: libvirt parses XML (the test
//! driver its whole file) on the worker thread, and GTK builds and restyles up to 200 list
//! rows on the main thread. glibc keeps what was freed in each thread's arena, where it
//! would count as the app's memory for as long as it runs; trimming returns it.

/// Return freed heap memory of every thread's arena to the system.
pub fn release_freed() {
    // SAFETY: malloc_trim only walks glibc's own heap bookkeeping; any thread may call it.
    unsafe {
        libc::malloc_trim(0);
    }
}
