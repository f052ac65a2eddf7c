//! Child processes: measured runs (wall time, peak RSS and CPU time from `wait4`) and the
//! emulator child (domains from its JSON line, CPU time from `/proc`, SIGTERM on stop).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// What the kernel says about a finished child.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    /// Spawn to exit.
    pub wall: Duration,
    /// Peak resident set size, in bytes (`ru_maxrss`).
    pub max_rss: u64,
    /// Resident set of the helper that spawned the child, at spawn time: the kernel counts
    /// it into the child's `ru_maxrss` (see [`measure_main`]), so `max_rss` is at most this
    /// much too high.
    pub spawner_rss: u64,
    /// User plus system CPU time.
    pub cpu: Duration,
    /// Exit code; `128 + signal` when killed by a signal.
    pub exit: i32,
    /// CPU time the whole machine spent, minus this child's: other processes (the emulator,
    /// other users of a shared machine).
    pub others_cpu: Duration,
}

/// Waits for `pid` with `wait4`, which also returns the child's own resource usage: the only
/// way to get a child's peak RSS without polling (`ru_maxrss` of exactly this child, not of
/// every child reaped so far as `getrusage(RUSAGE_CHILDREN)` would give).
fn wait4(pid: u32) -> Result<(i32, libc::rusage)> {
    let pid = libc::pid_t::try_from(pid).context("child pid out of range")?;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is a plain C struct of integers; all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: valid pointers to owned locals; `pid` is our own unreaped child.
        let r = unsafe { libc::wait4(pid, &raw mut status, 0, &raw mut usage) };
        if r == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err).context("wait4");
        }
    }
    let exit = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        -1
    };
    Ok((exit, usage))
}

fn timeval(tv: libc::timeval) -> Duration {
    Duration::from_secs(u64::try_from(tv.tv_sec).unwrap_or(0))
        + Duration::from_micros(u64::try_from(tv.tv_usec).unwrap_or(0))
}

/// Busy CPU time of the whole machine so far (all cores), from `/proc/stat`.
fn machine_busy() -> Duration {
    const USER_HZ: u64 = 100;
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
        return Duration::ZERO;
    };
    let Some(line) = stat.lines().find(|l| l.starts_with("cpu ")) else {
        return Duration::ZERO;
    };
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal ...: busy = all but idle and iowait;
    // guest time is already counted in user.
    let busy: u64 = ticks
        .iter()
        .take(8)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, t)| t)
        .sum();
    Duration::from_millis(busy * 1000 / USER_HZ)
}

/// This process's resident set, in bytes (`VmRSS` of `/proc/self/status`).
fn own_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// The argument that turns this binary into the measuring helper.
pub const MEASURE_ARG: &str = "__measure";

/// `MemAvailable` of `/proc/meminfo`, in bytes: what can still be allocated without
/// swapping or pushing other processes out.
pub fn mem_available() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb = info
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(kb * 1024)
}

/// Caps this process's address space (`RLIMIT_AS`); children inherit the cap, so a program
/// that would need more fails its allocation (Python: `MemoryError`) instead of pushing the
/// other users of a shared machine into the OOM killer.
fn cap_address_space(bytes: u64) -> Result<()> {
    let limit = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: bytes,
    };
    // SAFETY: plain syscall with a pointer to an owned, initialised struct.
    let r = unsafe { libc::setrlimit(libc::RLIMIT_AS, &raw const limit) };
    if r != 0 {
        return Err(std::io::Error::last_os_error()).context("setrlimit(RLIMIT_AS)");
    }
    Ok(())
}

/// Helper mode: `jmcomic-bench __measure RESULT CAP PROGRAM ARGS...` runs PROGRAM (stdio
/// inherited) with its address space capped at CAP bytes (0: no cap), waits for it with
/// `wait4` and writes what it measured to RESULT as JSON.
///
/// Why a helper: at `exec` Linux folds the peak RSS of the memory the new program replaces
/// into its `ru_maxrss`, and a child spawned with `posix_spawn` (which Rust's `Command`
/// uses) replaces its parent's memory. Spawned from the bench itself, every child would
/// report at least the bench's own footprint (the in-process emulator's page cache: tens of
/// MB); spawned from this fresh, small process, the bias is the helper's few MB, which it
/// measures and reports.
pub fn measure_main(args: &[std::ffi::OsString]) -> Result<()> {
    let [result, cap, program, rest @ ..] = args else {
        bail!("usage: jmcomic-bench {MEASURE_ARG} RESULT CAP PROGRAM [ARGS...]");
    };
    let cap: u64 = cap
        .to_str()
        .and_then(|c| c.parse().ok())
        .context("CAP must be a number of bytes")?;
    if cap > 0 {
        cap_address_space(cap)?;
    }
    let spawner_rss = own_rss();
    let busy_before = machine_busy();
    let started = Instant::now();
    let child = Command::new(program)
        .args(rest)
        .stdin(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {}", program.to_string_lossy()))?;
    // `Child::wait` would reap the child without its rusage; wait4 reaps it instead, so the
    // `Child` must not be waited on afterwards (dropping it does not wait or kill).
    let (exit, usage) = wait4(child.id())?;
    let wall = started.elapsed();
    let busy = machine_busy().saturating_sub(busy_before);
    let cpu = timeval(usage.ru_utime) + timeval(usage.ru_stime);
    let v = serde_json::json!({
        "wall_s": wall.as_secs_f64(),
        "max_rss": u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024,
        "spawner_rss": spawner_rss,
        "cpu_s": cpu.as_secs_f64(),
        "exit": exit,
        "others_cpu_s": busy.saturating_sub(cpu).as_secs_f64(),
    });
    std::fs::write(result, v.to_string()).context("cannot write the measurement")?;
    Ok(())
}

/// Runs `program` to completion through the measuring helper ([`measure_main`]), stdout and
/// stderr appended to `log`.
pub fn run_measured(program: &Path, args: &[std::ffi::OsString], log: &Path) -> Result<Measured> {
    run_measured_capped(program, args, log, None)
}

/// [`run_measured`] with the program's address space capped at `cap` bytes.
pub fn run_measured_capped(
    program: &Path,
    args: &[std::ffi::OsString],
    log: &Path,
    cap: Option<u64>,
) -> Result<Measured> {
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("cannot open {}", log.display()))?;
    let result = log.with_extension(format!("measure-{}", std::process::id()));
    let _ = std::fs::remove_file(&result);
    let status = Command::new(std::env::current_exe().context("current executable")?)
        .arg(MEASURE_ARG)
        .arg(&result)
        .arg(cap.unwrap_or(0).to_string())
        .arg(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().context("log file")?)
        .stderr(log_file)
        .status()
        .context("cannot start the measuring helper")?;
    if !status.success() {
        bail!(
            "the measuring helper failed ({status}); see {}",
            log.display()
        );
    }
    let text = std::fs::read_to_string(&result).context("measurement missing")?;
    let _ = std::fs::remove_file(&result);
    let v: serde_json::Value = serde_json::from_str(&text).context("measurement")?;
    let secs = |k: &str| Duration::from_secs_f64(v[k].as_f64().unwrap_or(0.0).max(0.0));
    Ok(Measured {
        wall: secs("wall_s"),
        max_rss: v["max_rss"].as_u64().unwrap_or(0),
        spawner_rss: v["spawner_rss"].as_u64().unwrap_or(0),
        cpu: secs("cpu_s"),
        exit: v["exit"]
            .as_i64()
            .and_then(|e| i32::try_from(e).ok())
            .unwrap_or(-1),
        others_cpu: secs("others_cpu_s"),
    })
}

/// Runs `cmd` (stderr appended to `log`) and returns the time from spawn to the first
/// stdout line `accept` takes; stdout is copied to `log` too.
pub fn time_to_line(
    cmd: &mut Command,
    log: &Path,
    accept: fn(&str) -> bool,
) -> Result<Option<Duration>> {
    let mut log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("cannot open {}", log.display()))?;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log_file.try_clone().context("log file")?);
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot start {cmd:?}"))?;
    let mut first = None;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if first.is_none() && accept(&line) {
                first = Some(started.elapsed());
            }
            let _ = std::io::Write::write_all(&mut log_file, format!("{line}\n").as_bytes());
        }
    }
    child.wait().context("wait")?;
    Ok(first)
}

/// CPU time (user + system) of a running process, from `/proc/PID/stat`.
pub fn process_cpu(pid: u32) -> Option<Duration> {
    // Linux's USER_HZ is 100 on every architecture it exposes to user space.
    const USER_HZ: u64 = 100;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may contain spaces; the fields after its closing ')' do not.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After ')' the first field is field 3, so utime (14) is index 11 and stime (15) 12.
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 1000 / USER_HZ))
}

/// The emulator's CPU-time line, printed on stderr when it exits.
#[derive(Debug, Clone, Copy)]
pub struct EmulatorCpu {
    /// User CPU seconds.
    pub user_s: f64,
    /// System CPU seconds.
    pub system_s: f64,
}

/// A running `jmcomic-emulator` child.
pub struct EmulatorChild {
    child: Child,
    /// Its API domain, e.g. `https://127.0.0.1:40123`.
    pub api: String,
    /// Its image CDN domain.
    pub cdn: String,
    stderr: Option<JoinHandle<Vec<String>>>,
    started: Instant,
}

impl EmulatorChild {
    /// Starts the emulator with `args` and waits (up to `ready_within`) for its JSON line.
    pub fn start(bin: &Path, args: &[String], ready_within: Duration) -> Result<Self> {
        let started = Instant::now();
        let mut child = Command::new(bin)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let stderr = child.stderr.take().map(|mut s| {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = s.read_to_string(&mut text);
                text.lines().map(str::to_owned).collect::<Vec<_>>()
            })
        });
        let stdout = child.stdout.take().context("emulator stdout")?;
        let (tx, rx) = mpsc::channel();
        // Reads the JSON line, then keeps draining stdout so the child never blocks on it.
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            for _ in lines {}
        });
        let line = match rx.recv_timeout(ready_within) {
            Ok(Some(Ok(line))) => line,
            other => {
                let _ = child.kill();
                let _ = child.wait();
                let errors = stderr
                    .and_then(|h| h.join().ok())
                    .unwrap_or_default()
                    .join("\n");
                bail!("the emulator did not print its domains ({other:?}): {errors}");
            }
        };
        let v: serde_json::Value =
            serde_json::from_str(&line).with_context(|| format!("emulator said {line:?}"))?;
        let first = |key: &str| -> Result<String> {
            v[key][0]
                .as_str()
                .map(str::to_owned)
                .with_context(|| format!("no {key} in {line}"))
        };
        Ok(Self {
            api: first("api_domains")?,
            cdn: first("image_domains")?,
            child,
            stderr,
            started,
        })
    }

    /// CPU time the emulator used so far.
    pub fn cpu(&self) -> Duration {
        process_cpu(self.child.id()).unwrap_or_default()
    }

    /// Sends SIGTERM, waits, and returns its CPU-time line and its lifetime.
    pub fn stop(mut self) -> Result<(Option<EmulatorCpu>, Duration)> {
        let pid = libc::pid_t::try_from(self.child.id()).context("pid")?;
        // SAFETY: plain syscall on our own child's pid, not reaped yet.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let _ = self.child.wait();
        let lifetime = self.started.elapsed();
        let lines = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        let cpu = lines.iter().rev().find_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            Some(EmulatorCpu {
                user_s: v["cpu_user_s"].as_f64()?,
                system_s: v["cpu_system_s"].as_f64()?,
            })
        });
        Ok((cpu, lifetime))
    }
}

impl Drop for EmulatorChild {
    fn drop(&mut self) {
        // Only after an error path: `stop` already reaped it.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
