//! Pacing (issue 12 item 3): `rate_limit` measured from the emulator's request timestamps.

use std::time::Duration;

use futures::future::join_all;
use jmcomic_client::{Client, RateLimit};
use jmcomic_emulator::{Emulator, FaultKind, FaultRule, HostRole, RequestRecord, Times};
use jmcomic_model::{Image, JmId};

use super::support::builder;

/// The most requests of `times` (sorted) that fall in any window `[t, t + per)`.
fn busiest_window(times: &[Duration], per: Duration) -> usize {
    times
        .iter()
        .enumerate()
        .map(|(i, start)| {
            times[i..]
                .iter()
                .take_while(|t| t.saturating_sub(*start) < per)
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// From the first of `times` (sorted) to the last.
fn span(times: &[Duration]) -> Duration {
    times
        .last()
        .map_or(Duration::ZERO, |last| last.saturating_sub(times[0]))
}

/// Arrival times of the requests the emulator's hosts of `role` received.
fn arrivals(emu: &Emulator, role: HostRole) -> Vec<Duration> {
    let mut times: Vec<Duration> = emu
        .requests()
        .iter()
        .filter(|r: &&RequestRecord| emu.host_role(r.host) == Some(role))
        .map(|r| r.elapsed)
        .collect();
    times.sort();
    times
}

/// The pages of a chapter of 8 pages.
async fn pages(c: &Client) -> Vec<Image> {
    let chapter = c.chapter(JmId::new(438_516)).await.expect("chapter");
    chapter.images()
}

/// `albums` album requests and every page in `images`, all at once.
async fn burst(c: &Client, albums: usize, images: &[Image]) {
    let api = join_all((0..albums).map(|_| c.album(JmId::new(10_086))));
    let cdn = join_all(images.iter().map(|i| c.image_bytes(i)));
    let (api, cdn) = tokio::join!(api, cdn);
    for r in api {
        r.expect("album");
    }
    for r in cdn {
        r.expect("page");
    }
}

/// Checks that no `per` window holds more than `limit` of `times` (one more is tolerated:
/// the emulator stamps arrivals, not departures), and that the requests were spread at
/// the limit's pace rather than let through at once.
fn assert_paced(what: &str, times: &[Duration], limit: u32, per: Duration) {
    assert!(
        times.len() > limit as usize,
        "{what}: too few requests to tell: {times:?}"
    );
    let busiest = busiest_window(times, per);
    assert!(
        busiest <= limit as usize + 1,
        "{what}: {busiest} requests within {per:?} (limit {limit}): {times:?}"
    );
    let span = span(times);
    let interval = per / limit;
    let least = (interval * (times.len() as u32 - 1)).mul_f64(0.9);
    assert!(
        span >= least,
        "{what}: {} requests in {span:?}, expected at least {least:?}: {times:?}",
        times.len()
    );
}

#[tokio::test]
async fn each_host_gets_at_most_n_requests_per_period() {
    let emu = Emulator::start().unwrap();
    let per = Duration::from_secs(1);
    let c = builder(&emu)
        .api_domains([emu.api_domains()[0].clone()])
        .rate_limit(Some(RateLimit::new(3, per)))
        .build()
        .unwrap();
    let images = pages(&c).await;
    assert_eq!(images.len(), 8);
    emu.clear_requests();
    let started = std::time::Instant::now();
    burst(&c, 6, &images).await;
    let took = started.elapsed();
    assert_paced("API host", &arrivals(&emu, HostRole::Api), 3, per);
    assert_paced("CDN host", &arrivals(&emu, HostRole::Cdn), 3, per);
    // Each host has its own budget: the API's 6 requests (5 intervals) and the CDN's 8
    // (7 intervals) overlap instead of queueing behind each other (12 intervals).
    assert!(took < per / 3 * 10, "{took:?}");
}

#[tokio::test]
async fn api_and_cdn_have_limits_of_their_own() {
    let emu = Emulator::start().unwrap();
    let per = Duration::from_secs(1);
    let c = builder(&emu)
        .api_domains([emu.api_domains()[0].clone()])
        // The general limit is overridden for both roles.
        .rate_limit(Some(RateLimit::new(1, per)))
        .api_rate_limit(Some(RateLimit::new(5, per)))
        .image_rate_limit(Some(RateLimit::new(2, per)))
        .build()
        .unwrap();
    let images: Vec<Image> = pages(&c).await.into_iter().take(6).collect();
    emu.clear_requests();
    burst(&c, 8, &images).await;
    let api = arrivals(&emu, HostRole::Api);
    assert_paced("API host", &api, 5, per);
    assert_paced("CDN host", &arrivals(&emu, HostRole::Cdn), 2, per);
    // The API was not held to the CDN's (or the general) pace: 8 requests at 5 per second.
    let span = span(&api);
    assert!(span < Duration::from_millis(2500), "{span:?}: {api:?}");
}

#[tokio::test]
async fn no_limit_by_default_and_retry_after_still_honoured() {
    let emu = Emulator::start().unwrap();
    let c = builder(&emu)
        .api_domains([emu.api_domains()[0].clone()])
        .build()
        .unwrap();
    c.album(JmId::new(10_086)).await.unwrap();
    emu.clear_requests();
    burst(&c, 10, &[]).await;
    let api = arrivals(&emu, HostRole::Api);
    assert_eq!(api.len(), 10);
    assert!(span(&api) < Duration::from_millis(500), "{api:?}");

    // With a generous limit, a 429's Retry-After still decides the wait.
    let c = builder(&emu)
        .api_domains([emu.api_domains()[0].clone()])
        .rate_limit(Some(RateLimit::new(50, Duration::from_secs(1))))
        .build()
        .unwrap();
    c.album(JmId::new(10_086)).await.unwrap();
    emu.add_fault(
        FaultRule::new(
            "/album",
            FaultKind::TooManyRequests {
                retry_after_secs: 1,
            },
        )
        .times(Times::First(1)),
    );
    emu.clear_requests();
    c.album(JmId::new(10_086)).await.unwrap();
    let albums: Vec<Duration> = emu
        .requests()
        .iter()
        .filter(|r| r.path() == "/album")
        .map(|r| r.elapsed)
        .collect();
    assert_eq!(albums.len(), 2, "{albums:?}");
    assert!(
        albums[1].saturating_sub(albums[0]) >= Duration::from_millis(990),
        "{albums:?}"
    );
}
