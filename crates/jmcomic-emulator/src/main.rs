//! `jmcomic-emulator`: runs the site emulator until Ctrl-C / SIGTERM (see the library docs for
//! the flags and the output format).

use std::io::Write as _;
use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{ArgAction, Parser, ValueEnum};
use jmcomic_emulator::{
    Catalog, DnsAnswer, Emulator, FaultRule, HostRole, MissingStyle, TemplateSecret, UserSpec,
};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum CatalogArg {
    Standard,
    Bench,
    Hostile,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum TemplateSecretArg {
    Content,
    Normal,
    Either,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum MissingStyleArg {
    NullName,
    EmptyData,
    ErrorMsg,
}

/// A loopback emulator of the JMComic site (mobile API, image CDN, web site) for tests and
/// benchmarks.
///
/// Every emulator has the account `jmtest` / `jmtest-password` (folders 我的最愛 and
/// 稍後再看); --user adds more. Every emulator also runs a DNS-over-HTTPS endpoint and a
/// plain-DNS stand-in for the system resolver (emulator extensions, not the site), whose
/// addresses the JSON line on stdout gives (`doh_url`, `dns_stub`).
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// First port: API hosts on PORT.., CDN hosts right after (0 = ephemeral).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Number of API hosts.
    #[arg(long, default_value_t = 1)]
    api_hosts: usize,
    /// Number of image CDN hosts.
    #[arg(long, default_value_t = 1)]
    cdn_hosts: usize,
    /// Number of web-site (HTML) hosts; with at least one, a discovery host (permanent link
    /// and publish page) listens after them.
    #[arg(long, default_value_t = 1)]
    html_hosts: usize,
    /// An extra account, `NAME:PASSWORD` (repeatable). The password is visible to other
    /// users of the machine (process list): use throwaway ones.
    #[arg(long = "user", value_name = "NAME:PASSWORD")]
    users: Vec<String>,
    /// Albums only logged-in users see (repeatable or comma separated); anonymous requests
    /// get the missing-album answers.
    #[arg(long = "login-only", value_name = "ID", value_delimiter = ',')]
    login_only: Vec<u64>,
    /// Let the API serve login-only albums to anonymous requests (the HTML site still
    /// refuses them).
    #[arg(long)]
    api_shows_login_only: bool,
    /// Send HTML album pages wrapped in `const html = base64DecodeUtf8("…")`.
    #[arg(long)]
    html_album_base64: bool,
    /// Latency added to every request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Which catalog to serve.
    #[arg(long, value_enum, default_value = "standard")]
    catalog: CatalogArg,
    /// Bench catalog: number of albums.
    #[arg(long, default_value_t = 20)]
    bench_albums: usize,
    /// Bench catalog: pages per album.
    #[arg(long, default_value_t = 20)]
    bench_pages: usize,
    /// Bench catalog: page width.
    #[arg(long, default_value_t = 800)]
    bench_width: u32,
    /// Bench catalog: page height.
    #[arg(long, default_value_t = 1200)]
    bench_height: u32,
    /// A fault rule, e.g. `status=503@/media/photos/220980/;first=2` or
    /// `cloudflare;role=html;first=2` or `region-block;role=html` or
    /// `handshake-reset;role=api;first=1` (repeatable).
    #[arg(long = "fault", value_name = "SPEC")]
    faults: Vec<String>,
    /// (Emulator extension.) What the DoH endpoint answers for NAME: `IP[,IP...]`,
    /// `nxdomain`, `servfail` or `silent` (repeatable). By default each host's made-up name
    /// (`api1.jm.test`, `cdn1.jm.test`, `html1.jm.test`, `discovery.jm.test`) and
    /// `doh.jm.test` give the emulator's address, other names NXDOMAIN.
    #[arg(long = "doh-record", value_name = "NAME=ANSWER")]
    doh_records: Vec<String>,
    /// (Emulator extension.) What the plain-DNS stand-in for the system resolver answers
    /// for NAME, same syntax (repeatable): e.g. `api1.jm.test=10.0.0.1` for a poisoned
    /// answer. Its defaults are the DoH ones.
    #[arg(long = "system-dns-record", value_name = "NAME=ANSWER")]
    system_dns_records: Vec<String>,
    /// (Emulator extension.) The system-resolver stand-in answers IP for every name
    /// (except those given --system-dns-record).
    #[arg(long, value_name = "IP")]
    system_dns_poison: Option<IpAddr>,
    /// (Emulator extension.) Seconds the emulator's clock (every `Date` header, the token
    /// freshness check) is ahead of the machine's; negative: behind.
    #[arg(
        long,
        default_value_t = 0,
        allow_negative_numbers = true,
        value_name = "SECS"
    )]
    clock_offset_secs: i64,
    /// (Emulator extension.) At most N requests per SECS seconds on each host of ROLE
    /// (api, cdn, html, discovery); beyond: 429 with Retry-After. E.g. `api:5/2`
    /// (repeatable, one per role).
    #[arg(long = "rate-limit", value_name = "ROLE:N/SECS")]
    rate_limits: Vec<String>,
    /// Whether /album and /chapter need the ipm5 cookie.
    #[arg(long, default_value_t = true, action = ArgAction::Set)]
    require_cookies: bool,
    /// The jm3_version /setting reports.
    #[arg(long, default_value = "2.1.12")]
    app_version: String,
    /// The lowest app version accepted in tokenparam. A stale client: raise both this and
    /// --app-version above 2.1.12 (every request answers "Not legal.").
    #[arg(long, default_value = "2.1.12")]
    min_app_version: String,
    /// Let /setting answer app versions below --min-app-version, so a stale client can
    /// learn the current version there.
    #[arg(long)]
    setting_accepts_old_versions: bool,
    /// Secret(s) /chapter_view_template accepts (what the real site wants is unknown: by
    /// default either; `content` or `normal` to test a client's fallback).
    #[arg(long, value_enum, default_value = "either")]
    template_secret: TemplateSecretArg,
    /// How missing albums/chapters are answered.
    #[arg(long, value_enum, default_value = "null-name")]
    missing_style: MissingStyleArg,
    /// Encode every page before printing the domains.
    #[arg(long)]
    warm: bool,
    /// Serve HTTPS on every host (self-signed certificate for 127.0.0.1, localhost and
    /// *.jm.test).
    #[arg(long)]
    tls: bool,
    /// Print the catalog the other flags select (albums, chapters, pages, scramble ids) and
    /// exit without serving.
    #[arg(long)]
    list: bool,
    /// With --list: print the listing as JSON.
    #[arg(long, requires = "list")]
    json: bool,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let args = Args::parse();
    if args.list {
        return match list(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("jmcomic-emulator: cannot print the catalog listing: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jmcomic-emulator: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::FAILURE
        }
    }
}

fn catalog(args: &Args) -> Result<Catalog, jmcomic_emulator::Error> {
    let mut catalog = match args.catalog {
        CatalogArg::Standard => Catalog::standard(),
        CatalogArg::Hostile => Catalog::hostile(),
        CatalogArg::Bench => Catalog::bench(
            args.bench_albums,
            args.bench_pages,
            args.bench_width,
            args.bench_height,
        ),
    };
    for id in &args.login_only {
        match catalog.albums.iter_mut().find(|a| a.id == *id) {
            Some(album) => album.login_only = true,
            None => {
                return Err(jmcomic_emulator::Error::InvalidOption {
                    option: "--login-only",
                    reason: format!("{id} is not an album of the catalog (see --list)"),
                });
            }
        }
    }
    Ok(catalog)
}

/// `--list`: the catalog as text or JSON on stdout.
fn list(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let listing = catalog(args)?.listing();
    let text = if args.json {
        serde_json::to_string_pretty(&listing)?
    } else {
        listing.to_string()
    };
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{}", text.trim_end()).and_then(|()| out.flush()) {
        // A closed pipe (`--list | head`) is not worth an error message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn run(args: Args) -> Result<(), jmcomic_emulator::Error> {
    let catalog = catalog(&args)?;
    let mut builder = Emulator::builder()
        .bind_addr(args.bind)
        .first_port(args.port)
        .api_hosts(args.api_hosts)
        .cdn_hosts(args.cdn_hosts)
        .html_hosts(args.html_hosts)
        .api_shows_login_only(args.api_shows_login_only)
        .html_album_base64(args.html_album_base64)
        .latency(Duration::from_millis(args.latency_ms))
        .catalog(catalog)
        .require_cookies(args.require_cookies)
        .tls(args.tls)
        .app_version(args.app_version)
        .min_app_version(args.min_app_version)
        .template_secret(match args.template_secret {
            TemplateSecretArg::Content => TemplateSecret::Content,
            TemplateSecretArg::Normal => TemplateSecret::Normal,
            TemplateSecretArg::Either => TemplateSecret::Either,
        })
        .missing_style(match args.missing_style {
            MissingStyleArg::NullName => MissingStyle::NullName,
            MissingStyleArg::EmptyData => MissingStyle::EmptyData,
            MissingStyleArg::ErrorMsg => MissingStyle::ErrorMsg,
        });
    for spec in &args.faults {
        builder = builder.fault(spec.parse::<FaultRule>()?);
    }
    builder = builder
        .setting_accepts_old_versions(args.setting_accepts_old_versions)
        .clock_offset_secs(args.clock_offset_secs);
    for record in &args.doh_records {
        let (name, answer) = dns_record("--doh-record", record)?;
        builder = builder.doh_answer(name, answer);
    }
    for record in &args.system_dns_records {
        let (name, answer) = dns_record("--system-dns-record", record)?;
        builder = builder.system_dns_answer(name, answer);
    }
    if let Some(ip) = args.system_dns_poison {
        builder = builder.system_dns_poison(ip);
    }
    for limit in &args.rate_limits {
        let (role, requests, per) = rate_limit(limit)?;
        builder = builder.rate_limit(role, requests, per);
    }
    let mut usernames = vec![jmcomic_emulator::DEFAULT_USERNAME.to_owned()];
    for user in &args.users {
        let Some((name, password)) = user.split_once(':') else {
            return Err(jmcomic_emulator::Error::InvalidOption {
                option: "--user",
                reason: "expected NAME:PASSWORD".to_owned(),
            });
        };
        builder = builder.account(UserSpec::new(name, password));
        if !usernames.iter().any(|u| u == name) {
            usernames.push(name.to_owned());
        }
    }
    let emu = builder.start()?;
    if args.warm {
        emu.warm();
    }
    let mut line = serde_json::json!({
        "api_domains": emu.api_domains(),
        "image_domains": emu.image_domains(),
        "html_domains": emu.html_domains(),
        "domain_server_url": emu.domain_server_url(),
        "permanent_link_url": emu.permanent_link_url(),
        "publish_url": emu.publish_url(),
        "users": usernames,
    });
    if let Some(pem) = emu.certificate_pem() {
        line["certificate_pem"] = pem.into();
    }
    line["doh_url"] = emu.doh_url().into();
    line["doh_server_name"] = jmcomic_emulator::DOH_SERVER_NAME.into();
    line["doh_certificate_pem"] = emu.doh_certificate_pem().into();
    line["dns_stub"] = emu.dns_stub_addr().to_string().into();
    line["named_domains"] = serde_json::json!({
        "api": emu.named_domains(HostRole::Api),
        "cdn": emu.named_domains(HostRole::Cdn),
        "html": emu.named_domains(HostRole::Html),
        "discovery": emu.named_domains(HostRole::Discovery),
    });
    println!("{line}");
    wait_for_signal()?;
    drop(emu);
    print_cpu_time();
    Ok(())
}

/// `NAME=ANSWER` of `--doh-record` and `--system-dns-record`.
fn dns_record(
    option: &'static str,
    text: &str,
) -> Result<(String, DnsAnswer), jmcomic_emulator::Error> {
    let invalid = |reason: String| jmcomic_emulator::Error::InvalidOption { option, reason };
    let (name, answer) = text
        .split_once('=')
        .ok_or_else(|| invalid(format!("{text:?}: expected NAME=ANSWER")))?;
    if name.trim().is_empty() {
        return Err(invalid(format!("{text:?}: empty name")));
    }
    let answer = answer
        .parse::<DnsAnswer>()
        .map_err(|e| invalid(e.to_string()))?;
    Ok((name.trim().to_owned(), answer))
}

/// `ROLE:N/SECS` of `--rate-limit`.
fn rate_limit(text: &str) -> Result<(HostRole, u32, Duration), jmcomic_emulator::Error> {
    let invalid = |reason: &str| jmcomic_emulator::Error::InvalidOption {
        option: "--rate-limit",
        reason: format!("{text:?}: {reason}"),
    };
    let (role, budget) = text
        .split_once(':')
        .ok_or_else(|| invalid("expected ROLE:N/SECS, e.g. api:5/2"))?;
    let role = HostRole::from_name(role.trim())
        .ok_or_else(|| invalid("ROLE must be one of api, cdn, html, discovery"))?;
    let (requests, secs) = budget
        .split_once('/')
        .ok_or_else(|| invalid("expected ROLE:N/SECS, e.g. api:5/2"))?;
    let requests: u32 = requests
        .trim()
        .parse()
        .map_err(|_| invalid("N must be a whole number"))?;
    let per = secs
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| invalid("SECS must be a positive number"))?;
    Ok((role, requests, per))
}

/// Blocks until Ctrl-C or SIGTERM.
fn wait_for_signal() -> Result<(), jmcomic_emulator::Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| jmcomic_emulator::Error::Runtime { source })?;
    runtime.block_on(async {
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .map_err(|source| jmcomic_emulator::Error::Runtime { source })?;
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        Ok(())
    })
}

/// Prints the process's CPU time (all threads, reaped ones included) as one JSON line on
/// stderr. `/proc/self/stat` fields 14 and 15 are in clock ticks; Linux's USER_HZ is 100 on
/// every architecture it exposes to user space.
fn print_cpu_time() {
    const USER_HZ: f64 = 100.0;
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        eprintln!(r#"{{"cpu_user_s":null,"cpu_system_s":null,"cpu_total_s":null}}"#);
        return;
    };
    // The command name (field 2) may contain spaces; fields after its closing ')' are plain.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After ')' the first field is field 3 (state), so utime (14) is index 11, stime (15) 12.
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(0.0, |t| t as f64 / USER_HZ)
    };
    let (user, system) = (ticks(11), ticks(12));
    eprintln!(
        "{}",
        serde_json::json!({
            "cpu_user_s": user,
            "cpu_system_s": system,
            "cpu_total_s": user + system,
        })
    );
}
