//! `usage_log`: a periodic line with the process's threads, CPU and memory, on a thread of
//! its own that ends with the downloader.

// Spec §5.3.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

use sysinfo::{MemoryRefreshKind, Pid, ProcessRefreshKind, ProcessesToUpdate, System};
use tracing::{info, warn};

use super::runner::UsageWish;

/// The running monitor; dropping it stops the thread.
pub(crate) struct UsageMonitor {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for UsageMonitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UsageMonitor")
    }
}

impl UsageMonitor {
    /// Starts logging every `wish.interval` seconds.
    pub(crate) fn start(wish: &UsageWish) -> Option<UsageMonitor> {
        let (stop, stopped) = channel();
        let wish = wish.clone();
        let thread = std::thread::Builder::new()
            .name("jmcomic-usage".to_owned())
            .spawn(move || watch(&wish, &stopped))
            .map_err(|e| warn!("usage_log: cannot start its thread: {e}"))
            .ok()?;
        Some(UsageMonitor {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for UsageMonitor {
    fn drop(&mut self) {
        // Closing the channel wakes the thread at once.
        self.stop = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One reading of the process.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Usage {
    pub threads: Option<usize>,
    pub cpu_percent: f32,
    pub memory_mb: f64,
    pub system_memory_percent: f64,
}

fn watch(wish: &UsageWish, stopped: &Receiver<()>) {
    let Ok(pid) = sysinfo::get_current_pid() else {
        warn!("usage_log: the process id is unavailable on this system");
        return;
    };
    let mut system = match System::new() {
        Ok(s) => s,
        Err(e) => {
            warn!("usage_log: the system's figures are unavailable: {e}");
            return;
        }
    };
    // The first CPU reading needs an earlier one to compare with.
    let _ = read(&mut system, pid);
    let interval = Duration::from_secs_f64(wish.interval);
    loop {
        match stopped.recv_timeout(interval) {
            Err(RecvTimeoutError::Timeout) => {}
            _ => return,
        }
        let Some(u) = read(&mut system, pid) else {
            continue;
        };
        let threads = u.threads.map_or_else(|| "?".to_owned(), |t| t.to_string());
        info!(
            target: "jmcomic::usage",
            "usage: threads {threads}, CPU {:.0}%, memory {:.1} MB",
            u.cpu_percent,
            u.memory_mb
        );
        if wish.warnings {
            if f64::from(u.cpu_percent) >= wish.cpu_percent {
                warn!(target: "jmcomic::usage", "usage: CPU at {:.0}% (warning at {}%)", u.cpu_percent, wish.cpu_percent);
            }
            if u.system_memory_percent >= wish.mem_percent {
                warn!(target: "jmcomic::usage", "usage: system memory at {:.0}% (warning at {}%)", u.system_memory_percent, wish.mem_percent);
            }
            if u.threads.is_some_and(|t| t as u64 >= wish.threads) {
                warn!(target: "jmcomic::usage", "usage: {threads} threads (warning at {})", wish.threads);
            }
        }
    }
}

/// Reads the process's figures now.
pub(crate) fn read(system: &mut System, pid: Pid) -> Option<Usage> {
    system.refresh_processes_specifics(
        ProcessesToUpdate::Some(&[pid]),
        true,
        ProcessRefreshKind::nothing()
            .with_cpu()
            .with_memory()
            .with_tasks(),
    );
    system.refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
    let p = system.process(pid)?;
    let total = system.total_memory();
    Some(Usage {
        threads: p.tasks().map(std::collections::HashSet::len),
        cpu_percent: p.cpu_usage(),
        memory_mb: p.memory() as f64 / 1e6,
        system_memory_percent: if total == 0 {
            0.0
        } else {
            system.used_memory() as f64 * 100.0 / total as f64
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let mut system = System::new().unwrap();
        let pid = sysinfo::get_current_pid().unwrap();
        let u = read(&mut system, pid).unwrap();
        assert!(u.memory_mb > 1.0, "{u:?}");
        assert!(u.system_memory_percent > 0.0 && u.system_memory_percent <= 100.0);
        #[cfg(target_os = "linux")]
        assert!(u.threads.unwrap() >= 1);
    }
}
