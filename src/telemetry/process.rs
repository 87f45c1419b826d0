//! The process's own figures on `/metrics`, under the names every
//! Prometheus client library exports (`process_cpu_seconds_total`,
//! `process_resident_memory_bytes`, ...), so stock dashboards and alerts
//! work: CPU time shows whether a busy daemon lacks cores or waits (the
//! ingest stages say on what), resident memory tracks the memory budget.
//!
//! Owns: [`ProcessCollector`], read from `/proc/self` at each scrape
//! (Linux); elsewhere it exports nothing. A figure that cannot be read is
//! left out of that scrape, never reported as zero.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

/// Reads the process's figures at each scrape.
#[derive(Debug, Default)]
pub struct ProcessCollector;

/// One reading of `/proc/self/stat` (the fields this module exports).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Stat {
    /// User plus system CPU time, in clock ticks.
    pub cpu_ticks: u64,
    pub threads: u64,
    /// When the process started, in clock ticks after boot.
    pub start_ticks: u64,
    pub virtual_bytes: u64,
    pub resident_pages: u64,
}

impl Stat {
    /// Parses a `/proc/<pid>/stat` line. The command name (field 2) is in
    /// parentheses and may hold spaces and parentheses itself, so the
    /// fields are counted after its last `)`.
    pub(crate) fn parse(line: &str) -> Option<Stat> {
        let rest = &line[line.rfind(')')? + 1..];
        // Field 3 (state) is the first after the name.
        let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
        let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
        Some(Stat {
            cpu_ticks: field(14)? + field(15)?,
            threads: field(20)?,
            start_ticks: field(22)?,
            virtual_bytes: field(23)?,
            resident_pages: field(24)?,
        })
    }
}

/// The boot time (`btime`, Unix seconds) from `/proc/stat`.
pub(crate) fn boot_time(proc_stat: &str) -> Option<u64> {
    proc_stat.lines().find_map(|l| l.strip_prefix("btime ")).and_then(|v| v.trim().parse().ok())
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(stat) = std::fs::read_to_string("/proc/self/stat").ok().as_deref().and_then(Stat::parse) else {
            return Ok(());
        };
        // SAFETY: sysconf only reads a system constant.
        let (ticks, page) = unsafe { (libc::sysconf(libc::_SC_CLK_TCK), libc::sysconf(libc::_SC_PAGESIZE)) };
        let (ticks, page) = (u64::try_from(ticks).unwrap_or(0), u64::try_from(page).unwrap_or(0));
        if ticks > 0 {
            let cpu = ConstCounter::new(stat.cpu_ticks as f64 / ticks as f64);
            let e = encoder.encode_descriptor(
                // The text encoder adds `_total` to a counter's name.
                "process_cpu_seconds",
                "User and system CPU time spent, in seconds (divided by wall time: cores busy)",
                None,
                cpu.metric_type(),
            )?;
            cpu.encode(e)?;
        }
        let boot = std::fs::read_to_string("/proc/stat").ok().as_deref().and_then(boot_time);
        let started = boot.filter(|_| ticks > 0).map(|b| b as f64 + stat.start_ticks as f64 / ticks as f64);
        let gauges: [(&str, &str, Option<f64>); 6] = [
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes",
                Some((stat.resident_pages * page) as f64),
            ),
            ("process_virtual_memory_bytes", "Virtual memory size in bytes", Some(stat.virtual_bytes as f64)),
            ("process_threads", "Operating system threads", Some(stat.threads as f64)),
            ("process_start_time_seconds", "Start time of the process, Unix seconds", started),
            ("process_open_fds", "Open file descriptors", open_fds().map(|n| n as f64)),
            ("process_max_fds", "Most file descriptors the process may open", max_fds().map(|n| n as f64)),
        ];
        for (name, help, value) in gauges {
            let Some(value) = value else { continue };
            let gauge = ConstGauge::new(value);
            let e = encoder.encode_descriptor(name, help, None, gauge.metric_type())?;
            gauge.encode(e)?;
        }
        Ok(())
    }
}

/// Entries of `/proc/self/fd` (the directory's own handle included while
/// it is read, as other exporters count).
fn open_fds() -> Option<usize> {
    Some(std::fs::read_dir("/proc/self/fd").ok()?.count())
}

/// The soft limit on open files.
fn max_fds() -> Option<u64> {
    let mut limit = std::mem::MaybeUninit::<libc::rlimit>::uninit();
    // SAFETY: getrlimit fills the struct it is given when it returns 0.
    let limit = unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, limit.as_mut_ptr()) != 0 {
            return None;
        }
        limit.assume_init()
    };
    Some(limit.rlim_cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stat_line_is_read_after_the_last_parenthesis_of_the_name() {
        // A command name with spaces and parentheses, as a process may set.
        let line = "4242 (earshot (a) b) S 1 4242 4242 0 -1 4194560 2301 0 0 0 \
                    150 37 0 0 20 0 9 0 1234567 251330560 7012 18446744073709551615 1 1 0 0 0 0 0 4096 17920 0 0 0 17 1 0 0 0 0 0";
        let stat = Stat::parse(line).expect("parsed");
        assert_eq!(
            stat,
            Stat {
                cpu_ticks: 187,
                threads: 9,
                start_ticks: 1_234_567,
                virtual_bytes: 251_330_560,
                resident_pages: 7012
            }
        );
    }

    #[test]
    fn a_cut_or_garbled_stat_line_is_refused() {
        assert_eq!(Stat::parse(""), None);
        assert_eq!(Stat::parse("4242 (earshot) S 1 4242"), None);
        assert_eq!(Stat::parse("4242 (earshot) S 1 2 3 4 5 6 7 8 9 10 x y 0 0 0 0 9 0 1 2 3"), None);
    }

    #[test]
    fn the_boot_time_comes_from_btime() {
        assert_eq!(boot_time("cpu  1 2 3\nbtime 1764979200\nprocesses 9\n"), Some(1_764_979_200));
        assert_eq!(boot_time("cpu  1 2 3\n"), None);
    }

    #[test]
    fn this_process_figures_render_under_the_standard_names() {
        let mut registry = prometheus_client::registry::Registry::default();
        registry.register_collector(Box::new(ProcessCollector));
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &registry).unwrap();
        if !cfg!(target_os = "linux") {
            return;
        }
        let value = |name: &str| -> f64 {
            let line = out
                .lines()
                .find(|l| l.starts_with(name) && !l.starts_with('#'))
                .unwrap_or_else(|| panic!("{name} in {out}"));
            line.rsplit(' ').next().unwrap().parse().unwrap()
        };
        assert!(value("process_resident_memory_bytes") > 1_000_000.0, "{out}");
        assert!(value("process_threads") >= 1.0);
        assert!(value("process_open_fds") >= 3.0);
        assert!(value("process_start_time_seconds") > 1_600_000_000.0);
        assert!(out.contains("# TYPE process_cpu_seconds counter"), "{out}");
        assert!(value("process_cpu_seconds_total") >= 0.0);
    }
}
