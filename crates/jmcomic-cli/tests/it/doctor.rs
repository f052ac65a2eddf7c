//! `jmcomic doctor` against the emulator in each situation the issue names: fine, poisoned
//! DNS, handshake resets, a dead domain, a stale app version, a skewed clock, 429s. Each run
//! end to end, its `--json` parsed; the diagnosis sentence and the exit status checked.

use std::path::Path;
use std::process::Output;

use jmcomic_emulator::{Emulator, EmulatorBuilder, FaultKind, FaultRule, HostRole};

use crate::support::{bin, run, stdout};

/// Runs the doctor against `emu` with its named domains (`http(s)://api1.jm.test:PORT`),
/// the emulator's DNS stub standing in for the system resolver and its DoH endpoint as the
/// resolver to compare with. `api` replaces the API domains when given.
fn doctor(emu: &Emulator, dir: &Path, api: Option<Vec<String>>) -> (Output, serde_json::Value) {
    let opt = dir.join("option.yml");
    let api = api.unwrap_or_else(|| emu.named_domains(HostRole::Api));
    std::fs::write(
        &opt,
        format!(
            "client:\n  retry_times: 0\n  verify_tls: false\n  domain: {}\n  image_domain: {}\n",
            serde_json::to_string(&api).unwrap(),
            serde_json::to_string(&emu.named_domains(HostRole::Cdn)).unwrap(),
        ),
    )
    .unwrap();
    doctor_json(emu, &opt)
}

/// `jmcomic --option OPT doctor --json` with the emulator's DNS stub standing in for the
/// system resolver and its DoH endpoint as the resolver to compare with.
fn doctor_json(emu: &Emulator, opt: &Path) -> (Output, serde_json::Value) {
    let out = run(bin()
        .arg("--option")
        .arg(opt)
        .args([
            "doctor",
            "--json",
            "--timeout",
            "3",
            "--doh",
            &emu.doh_url(),
        ])
        .arg("--dns-server")
        .arg(emu.dns_stub_addr().to_string()));
    let v = serde_json::from_str(&stdout(&out)).unwrap_or(serde_json::Value::Null);
    (out, v)
}

fn diagnosis(v: &serde_json::Value) -> Vec<String> {
    v["diagnosis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_owned())
        .collect()
}

fn start(b: EmulatorBuilder) -> Emulator {
    b.start().unwrap()
}

#[test]
fn all_fine() {
    let emu = start(Emulator::builder().tls(true));
    let tmp = tempfile::tempdir().unwrap();
    let (out, v) = doctor(&emu, tmp.path(), None);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(diagnosis(&v), ["all domains fine"]);
    let rows = v["domains"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for r in rows {
        assert_eq!(r["verdict"], "ok", "{r}");
        assert_eq!(r["dns_system"]["value"][0], "127.0.0.1");
        assert_eq!(r["dns_doh"]["value"][0], "127.0.0.1");
        assert_eq!(r["tls"]["status"], "ok");
    }
    assert_eq!(rows[0]["role"], "api");
    assert_eq!(rows[0]["announced_version"], "2.1.12");
    assert_eq!(rows[1]["role"], "cdn");
    // The plain report: a table, then the diagnosis as the last line.
    let opt = tmp.path().join("option.yml");
    let out = run(bin()
        .arg("--option")
        .arg(&opt)
        .args(["doctor", "--doh", &emu.doh_url()])
        .arg("--dns-server")
        .arg(emu.dns_stub_addr().to_string()));
    let text = stdout(&out);
    assert!(text.starts_with("ROLE  DOMAIN"), "{text}");
    assert_eq!(text.lines().last(), Some("all domains fine"));
}

#[test]
fn poisoned_dns() {
    let emu = start(Emulator::builder().system_dns_poison("127.0.0.2".parse().unwrap()));
    let tmp = tempfile::tempdir().unwrap();
    let (out, v) = doctor(&emu, tmp.path(), None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        diagnosis(&v)[0],
        "DNS answers for every domain point at 127.0.0.2 while DNS over HTTPS gives other addresses: set `client.dns: doh`"
    );
    for r in v["domains"].as_array().unwrap() {
        assert_eq!(r["verdict"], "fail");
        assert!(r["dns_suspect"].as_str().unwrap().contains("127.0.0.1"));
    }
}

#[test]
fn every_handshake_reset() {
    let emu = start(
        Emulator::builder()
            .tls(true)
            .fault(FaultRule::new("/", FaultKind::HandshakeReset)),
    );
    let tmp = tempfile::tempdir().unwrap();
    let (out, v) = doctor(&emu, tmp.path(), None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        diagnosis(&v)[0],
        "every domain resets during the TLS handshake: the network blocks the site by name; use a proxy (`client.postman.meta_data.proxies`)"
    );
    for r in v["domains"].as_array().unwrap() {
        assert_eq!(r["tcp"]["status"], "ok");
        assert_eq!(r["tls"]["problem"], "reset");
    }
}

#[test]
fn a_dead_domain_among_good_ones() {
    let emu = start(Emulator::builder());
    let tmp = tempfile::tempdir().unwrap();
    // A port nothing listens on.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        format!("http://127.0.0.1:{port}")
    };
    let mut api = vec![dead.clone()];
    api.extend(emu.named_domains(HostRole::Api));
    let (out, v) = doctor(&emu, tmp.path(), Some(api));
    assert_eq!(out.status.code(), Some(0), "a download would work");
    assert_eq!(
        diagnosis(&v),
        [format!(
            "1 of 2 API domains are dead ({dead}); the others work and are used"
        )]
    );
    let rows = v["domains"].as_array().unwrap();
    assert_eq!(rows[0]["tcp"]["problem"], "refused");
    assert_eq!(rows[0]["dns_doh"]["status"], "skipped");
}

#[test]
fn a_stale_app_version() {
    let emu = start(Emulator::builder().min_app_version("9.0.0"));
    let tmp = tempfile::tempdir().unwrap();
    let (out, v) = doctor(&emu, tmp.path(), None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        diagnosis(&v)[0],
        "the API rejects app version 2.1.12 (\"Not legal\"): set a newer `client.app_version` (the app's current version)"
    );
    // When /setting still answers, the version it announces is named.
    let emu = start(
        Emulator::builder()
            .app_version("9.0.1")
            .min_app_version("9.0.0")
            .setting_accepts_old_versions(true),
    );
    let (out, v) = doctor(&emu, tmp.path(), None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the client adopts the announced version"
    );
    assert_eq!(
        diagnosis(&v)[0],
        "the site announces app version 9.0.1, newer than 2.1.12: it is adopted automatically; `client.app_version: 9.0.1` saves a request"
    );
}

#[test]
fn a_skewed_clock() {
    let emu = start(Emulator::builder().clock_offset_secs(-600));
    let tmp = tempfile::tempdir().unwrap();
    let (out, v) = doctor(&emu, tmp.path(), None);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        diagnosis(&v)[0],
        "the clock is 10 minutes ahead (the servers' `Date`): set the system clock"
    );
    let offset = v["domains"][0]["clock_offset_s"].as_i64().unwrap();
    assert!((offset + 600).abs() <= 2, "{offset}");
}

#[test]
fn too_many_requests() {
    let emu = start(Emulator::builder().fault(FaultRule::new(
        "/setting",
        FaultKind::TooManyRequests {
            retry_after_secs: 30,
        },
    )));
    let tmp = tempfile::tempdir().unwrap();
    let (out, v) = doctor(&emu, tmp.path(), None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        diagnosis(&v)[0],
        "the site limits requests (HTTP 429): slow down with `client.rate_limit: {requests: 2, seconds: 1}`"
    );
    assert_eq!(v["domains"][0]["http"]["problem"], "rate_limited");
}

/// Runs the doctor on the web protocol (`client.impl: html`) of `emu`.
fn web_doctor(emu: &Emulator, dir: &Path) -> (Output, serde_json::Value) {
    let opt = dir.join("option.yml");
    std::fs::write(
        &opt,
        format!(
            "client:\n  impl: html\n  verify_tls: false\n  domain: {{html: {}}}\n  image_domain: {}\n",
            serde_json::to_string(&emu.named_domains(HostRole::Html)).unwrap(),
            serde_json::to_string(&emu.named_domains(HostRole::Cdn)).unwrap(),
        ),
    )
    .unwrap();
    doctor_json(emu, &opt)
}

#[test]
fn the_web_site_behind_a_cloudflare_challenge_or_the_region_block() {
    let tmp = tempfile::tempdir().unwrap();
    let emu = start(
        Emulator::builder()
            .fault(FaultRule::new("/", FaultKind::cloudflare()).on_role(HostRole::Html)),
    );
    let (out, v) = web_doctor(&emu, tmp.path());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(v["domains"][0]["role"], "web");
    assert_eq!(v["domains"][0]["http"]["problem"], "cloudflare");
    assert_eq!(
        diagnosis(&v)[0],
        "a Cloudflare challenge answers instead of the site: try another domain, a proxy, or `client.impl: api`"
    );

    let emu = start(
        Emulator::builder()
            .fault(FaultRule::new("/", FaultKind::region_block()).on_role(HostRole::Html)),
    );
    let (out, v) = web_doctor(&emu, tmp.path());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(v["domains"][0]["http"]["problem"], "region_block");
    assert_eq!(
        diagnosis(&v)[0],
        "the site refuses this IP's region (\"Restricted Access!\"): use a proxy in another region"
    );

    // Fine: the web site's front page answers.
    let emu = start(Emulator::builder());
    let (out, v) = web_doctor(&emu, tmp.path());
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(diagnosis(&v), ["all domains fine"]);
}

/// With `client.dns` set to DNS over HTTPS, a poisoned system resolver does not matter:
/// the doctor checks the addresses downloads use, and a download works through them.
#[test]
fn poisoned_dns_does_not_matter_with_client_dns() {
    let emu = start(Emulator::builder().system_dns_poison("127.0.0.2".parse().unwrap()));
    let tmp = tempfile::tempdir().unwrap();
    let opt = tmp.path().join("option.yml");
    let text = format!(
        "client:\n  retry_times: 0\n  verify_tls: false\n  dns: {doh}\n  domain: {api}\n  image_domain: {cdn}\ndir_rule:\n  base_dir: {base}\n",
        doh = emu.doh_url(),
        api = serde_json::to_string(&emu.named_domains(HostRole::Api)).unwrap(),
        cdn = serde_json::to_string(&emu.named_domains(HostRole::Cdn)).unwrap(),
        base = serde_json::to_string(&tmp.path().join("lib")).unwrap(),
    );
    std::fs::write(&opt, text).unwrap();
    let (out, v) = doctor_json(&emu, &opt);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(diagnosis(&v), ["all domains fine"]);
    for r in v["domains"].as_array().unwrap() {
        assert_eq!(r["dns_system"]["value"][0], "127.0.0.2");
        assert!(r["dns_suspect"].is_null());
        assert_eq!(r["verdict"], "ok");
    }
    // And the download works through DoH.
    let out = run(bin().arg("--option").arg(&opt).args(["--json", "438516"]));
    assert_eq!(out.status.code(), Some(0));
}

/// Names that resolve nowhere (neither the DNS stub nor DoH know them): no network or DNS,
/// said as such rather than as dead domains.
#[test]
fn nothing_resolves() {
    let emu = start(Emulator::builder());
    let tmp = tempfile::tempdir().unwrap();
    let opt = tmp.path().join("option.yml");
    std::fs::write(
        &opt,
        "client:\n  verify_tls: false\n  domain: [http://api.nowhere.invalid:1]\n  image_domain: [http://cdn.nowhere.invalid:1]\n",
    )
    .unwrap();
    let (out, v) = doctor_json(&emu, &opt);
    assert_eq!(out.status.code(), Some(1));
    let d = diagnosis(&v);
    assert!(d[0].starts_with("no domain's name resolves"), "{d:?}");
    assert!(!d.iter().any(|l| l.contains("may be dead")), "{d:?}");
}
