//! What this process costs the machine: CPU time and resident memory, for
//! `tonewatch bench` and the live monitor's own report.

use std::time::Duration;

#[cfg(unix)]
fn clock(id: libc::clockid_t) -> Option<Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    let rc = unsafe { libc::clock_gettime(id, &mut ts) };
    (rc == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

/// CPU time this thread has used. Unlike wall time it leaves out the time
/// other processes had the core, so it is the fairer figure on a busy machine.
#[cfg(unix)]
pub fn thread_cpu_time() -> Option<Duration> {
    clock(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// CPU time all threads of this process have used.
#[cfg(unix)]
pub fn process_cpu_time() -> Option<Duration> {
    clock(libc::CLOCK_PROCESS_CPUTIME_ID)
}

#[cfg(not(unix))]
pub fn thread_cpu_time() -> Option<Duration> {
    None
}

#[cfg(not(unix))]
pub fn process_cpu_time() -> Option<Duration> {
    None
}

/// Resident set size of this process, KiB (Linux; `None` elsewhere).
pub fn rss_kib() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_grows_with_work() {
        let (Some(a), Some(pa)) = (thread_cpu_time(), process_cpu_time()) else {
            return;
        };
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(thread_cpu_time().unwrap() > a);
        assert!(process_cpu_time().unwrap() > pa);
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn rss_is_read() {
        let kib = rss_kib().unwrap();
        assert!(kib > 100, "{kib}");
    }
}
