//! `jmcomic doctor`: a row per domain (DNS, TCP, TLS, the site's answer), what is in use
//! (protocol, app version, proxy, certificate roots), then the diagnosis with the next step.

use std::time::Duration;

use anyhow::Result;
use jmcomic::client::doctor::{DoctorOptions, DomainCheck, Role, Step, SystemDns, Verdict};

use super::load_options;
use crate::args::DoctorArgs;
use crate::ui::{Table, printable};
use crate::{Outcome, outln};

pub fn run(args: &DoctorArgs) -> Result<Outcome> {
    let options = load_options(&args.common)?;
    crate::logging::init(&args.common, &options, None, None, None, true);
    let builder = options.client_builder()?;
    let mut doctor = DoctorOptions::default().timeout(Duration::from_secs(args.timeout.max(1)));
    if !args.doh.is_empty() {
        doctor = doctor.doh_urls(args.doh.clone());
    }
    if let Some(server) = args.dns_server {
        doctor = doctor.system_dns(SystemDns::Server(server));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if !args.json && !args.common.quiet {
        eprintln!(
            "checking every domain (each step waits at most {}s)…",
            args.timeout.max(1)
        );
    }
    let report = runtime.block_on(builder.doctor(&doctor));
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let mut t = Table::new(
            &["ROLE", "DOMAIN", "DNS", "TCP", "TLS", "SITE", "VERDICT"],
            5,
        );
        for c in &report.domains {
            t.row(&[
                match c.role {
                    Role::Api => "api",
                    Role::Cdn => "cdn",
                    Role::Web => "web",
                }
                .to_owned(),
                c.domain.clone(),
                dns_cell(c),
                cell(&c.tcp, |()| String::new()),
                cell(&c.tls, Clone::clone),
                cell(&c.http, Clone::clone),
                match c.verdict {
                    Verdict::Ok => "ok",
                    Verdict::Warn => "warn",
                    Verdict::Fail => "FAIL",
                }
                .to_owned(),
            ]);
        }
        t.print();
        for c in report.domains.iter().filter(|c| c.verdict != Verdict::Ok) {
            if let Some(f) = first_failure(c) {
                outln!("  {}: {}", c.domain, printable(&f));
            }
        }
        outln!();
        outln!("protocol      {}", report.protocol);
        outln!("app version   {}", printable(&report.app_version));
        outln!("proxy         {}", printable(&report.proxy));
        outln!("TLS roots     {}", report.tls_roots);
        for (url, answer) in &report.domain_servers {
            match answer {
                Ok(list) => outln!("domain server {url}: {}", list.join(", ")),
                Err(e) => outln!("domain server {url}: {}", printable(e)),
            }
        }
        for c in report.domains.iter().filter(|c| c.dns_suspect.is_some()) {
            outln!(
                "DNS           {}: {}",
                c.domain,
                c.dns_suspect.as_deref().unwrap_or_default()
            );
        }
        outln!();
        for line in &report.diagnosis {
            outln!("{}", printable(line));
        }
    }
    Ok(if report.download_would_work {
        Outcome::Done
    } else {
        Outcome::Failures
    })
}

/// A step as a short cell: what it found and its time, or the failure.
fn cell<T>(step: &Step<T>, show: impl Fn(&T) -> String) -> String {
    match step {
        Step::Ok { value, ms } => {
            let v = show(value);
            if v.is_empty() {
                format!("{ms} ms")
            } else {
                format!("{v} ({ms} ms)")
            }
        }
        Step::Failed { problem, .. } => problem_name(*problem),
        Step::Skipped { .. } => "-".to_owned(),
    }
}

/// A problem's short name (`refused`, `reset`…).
fn problem_name(p: jmcomic::client::doctor::Problem) -> String {
    serde_json::to_value(p)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_default()
}

/// The first failed step of a row, with its details: `TCP refused: …`.
fn first_failure(c: &DomainCheck) -> Option<String> {
    let steps: [(&str, Option<(String, &str)>); 5] = [
        ("DNS", failure(&c.dns_system)),
        ("TCP", failure(&c.tcp)),
        ("TLS", failure(&c.tls)),
        ("site", failure(&c.http)),
        ("DoH", failure(&c.dns_doh)),
    ];
    steps
        .into_iter()
        .find_map(|(name, f)| f.map(|(p, d)| format!("{name} {p}: {d}")))
}

fn failure<T>(step: &Step<T>) -> Option<(String, &str)> {
    match step {
        Step::Failed { problem, detail } => Some((problem_name(*problem), detail.as_str())),
        _ => None,
    }
}

/// The DNS cell: the system's first address, marked when it looks poisoned.
fn dns_cell(c: &DomainCheck) -> String {
    let shown = cell(&c.dns_system, |ips| {
        ips.first().map(ToString::to_string).unwrap_or_default()
    });
    if c.dns_suspect.is_some() {
        format!("{shown} POISONED?")
    } else {
        shown
    }
}
