//! The CPU worker pool: a fixed number of threads for decode, descramble and encode.
//!
//! Codec work never runs on the async runtime's threads (it takes tens of milliseconds per
//! page and would stall network I/O). A fixed set of `download.threading.cpu` threads, each
//! keeping one [`Workspace`] of page buffers, bounds both the CPU used and the memory held
//! for pixels (workers × two page buffers), whatever the album size; `spawn_blocking` would
//! spread buffers over however many blocking threads it happens to start.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use jmcomic_image::Workspace;

type Job = Box<dyn FnOnce(&mut Workspace) + Send>;

/// A fixed pool of CPU worker threads. The threads end when the pool is dropped (after the
/// jobs already queued).
pub(crate) struct CpuPool {
    sender: Mutex<Sender<Job>>,
}

impl CpuPool {
    /// Starts `workers` threads (at least one).
    pub(crate) fn new(workers: usize) -> std::io::Result<Self> {
        let (sender, receiver) = channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for i in 0..workers.max(1) {
            let receiver = Arc::clone(&receiver);
            std::thread::Builder::new()
                .name(format!("jmcomic-cpu-{i}"))
                .spawn(move || worker(&receiver))?;
        }
        Ok(Self {
            sender: Mutex::new(sender),
        })
    }

    /// Runs `f` on a worker and waits for its result without blocking the runtime. `None`
    /// if `f` panicked or the pool is gone. If the caller stops waiting, the job still runs
    /// to its end (so a page being written is completed and renamed, never left half-done).
    pub(crate) async fn run<T, F>(&self, f: F) -> Option<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Workspace) -> T + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |ws| {
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| f(ws)));
            let _ = tx.send(result);
        });
        let sent = match self.sender.lock() {
            Ok(s) => s.send(job).is_ok(),
            Err(_) => false,
        };
        if !sent {
            return None;
        }
        rx.await.ok()?.ok()
    }
}

fn worker(receiver: &Mutex<Receiver<Job>>) {
    let mut workspace = Workspace::new();
    loop {
        // The lock is held only while waiting for the next job, not while running it.
        let job = match receiver.lock() {
            Ok(r) => r.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(&mut workspace),
            Err(_) => return, // the pool was dropped
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_off_the_runtime_and_survives_panics() {
        let pool = CpuPool::new(2).unwrap();
        let name = pool
            .run(|_| std::thread::current().name().map(str::to_owned))
            .await
            .flatten()
            .unwrap();
        assert!(name.starts_with("jmcomic-cpu-"));
        let panicked: Option<()> = pool.run(|_| panic!("boom")).await;
        assert!(panicked.is_none());
        // Still working after a panic.
        assert_eq!(pool.run(|_| 2 + 2).await, Some(4));
        // Many jobs, bounded by two threads.
        let results = futures::future::join_all((0..20).map(|i| pool.run(move |_| i * 2))).await;
        assert_eq!(results.iter().flatten().sum::<i32>(), 380);
    }
}
