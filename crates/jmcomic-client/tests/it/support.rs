//! Shared set-up: an emulator and a client tuned for fast tests.

use std::time::Duration;

use jmcomic_client::{Client, ClientBuilder, RetryPolicy};
use jmcomic_emulator::Emulator;

/// Retries with tiny waits, so fault tests run in milliseconds.
pub fn fast_retry(retry_times: u32) -> RetryPolicy {
    RetryPolicy {
        retry_times,
        backoff_base: Duration::from_millis(5),
        backoff_max: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(3),
    }
}

/// A client for the emulator's domains with short timeouts and fast retries.
pub fn builder(emu: &Emulator) -> ClientBuilder {
    Client::builder()
        .api_domains(emu.api_domains())
        .image_domains(emu.image_domains())
        .proxy(jmcomic_client::Proxy::None)
        .retry(fast_retry(2))
        .timeout(Duration::from_secs(5))
        .read_timeout(Duration::from_millis(500))
        .connect_timeout(Duration::from_secs(2))
}

pub fn client(emu: &Emulator) -> Client {
    builder(emu).build().expect("client")
}

/// Mean absolute difference per channel, and the worst single row's mean.
pub fn diff(a: &[u8], b: &[u8], width: u32) -> (f64, f64) {
    assert_eq!(a.len(), b.len(), "images differ in size");
    let row = width as usize * 3;
    let mut total = 0u64;
    let mut worst_row = 0f64;
    for (ra, rb) in a.chunks(row).zip(b.chunks(row)) {
        let s: u64 = ra
            .iter()
            .zip(rb)
            .map(|(x, y)| u64::from(x.abs_diff(*y)))
            .sum();
        total += s;
        worst_row = worst_row.max(s as f64 / row as f64);
    }
    (total as f64 / a.len() as f64, worst_row)
}
