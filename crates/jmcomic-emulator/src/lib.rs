//! A loopback emulator of the JMComic site for tests and benchmarks.
//!
//! It serves the mobile API (spec `shared/spec/jmcomic-python.md` §6.2), the image CDN and the
//! web site (§6.3) from a deterministic synthetic [`Catalog`] and a set of accounts, with
//! fault injection that can change at runtime. It
//! shares no code with the client crate on purpose: tokens, AES, strip counts and scrambling
//! are written here again from the spec, so a misreading cannot hide on both sides.
//!
//! # What it serves
//!
//! API hosts (`api_domains()`, host indexes `0..api_hosts`):
//!
//! * every API route checks `token` / `tokenparam` (spec §6.2.2): `token` must be
//!   `md5hex("{ts}185Hcomic3PAPP7R")` and the app version in `tokenparam` at least
//!   [`EmulatorBuilder::min_app_version`]; otherwise HTTP 200 with
//!   `{"code":400,"data":[],"errorMsg":"Not legal."}` (unencrypted);
//! * JSON answers are `{"code":200,"errorMsg":"","data":"<base64 AES-256-ECB>"}`, keyed by
//!   `md5hex("{ts}185Hcomic3PAPP7R")` for the `ts` of the request's `tokenparam` (§6.2.4);
//! * `GET /setting` (sets the `ipcountry` and `ipm5` cookies), `GET /album?id=`,
//!   `GET /chapter?id=` (both answer with the placeholder album "禁漫娘" when the `ipm5` cookie
//!   is missing, §6.2.7), `GET /chapter_view_template?id=...` (HTML with
//!   `var scramble_id = N;` for that chapter, signed with `18comicAPPContent` or, by default,
//!   the normal secret too: see [`TemplateSecret`]; else 403),
//!   `GET /search?main_tag=&search_query=&page=&o=&t=` and
//!   `GET /categories/filter?page=&c=&o=` (80 a page; `o` = `mr` newest id, `mv` views,
//!   `mp` pages, `tf` likes, `tr` rating, `md` comments; the time `t` or `o=mv_{t,w,m}`
//!   keeps the albums viewed in that period, [`AlbumSpec::views_in`], and ranks them by
//!   those views; `c` a category slug, [`AlbumSpec::category`]);
//! * accounts (spec §6.2.9, Appendix A), the user being the one of the `AVS` cookie:
//!   `POST /login` (form `username`, `password`; the user object, its `s` also set as the
//!   `AVS` cookie), `GET /favorite?page=&folder_id=&o=` (20 a page, `o=mr` newest
//!   favourite first, `mp` latest update first, `folder_list`), `POST /favorite` (form
//!   `aid`, or the 2.7.4 GET with that form body: a toggle answering `type` `add` or
//!   `remove`), `GET /forum?mode=all&page=[&aid=]` (10 comments a page, newest first),
//!   `GET /daily?user_id=` and `POST /daily_chk` (form `user_id`, `daily_id`: `Jcoin:10
//!   EXP:10`, then `今天已經簽到過了` the same day); without a session they answer
//!   `{"code":401,...}`. `/album` and `/chapter` carry the user's `is_favorite` and
//!   `liked`;
//! * `GET /newsvr-2025.txt`: the domain-server file (BOM + base64 AES, §6.2.7);
//! * `GET /_emulator/catalog`: **an emulator extension the real site does not have**: the
//!   catalog being served as plain JSON ([`CatalogListing`], no token, not encrypted), so
//!   that people and scripts can see which ids exist.
//!
//! `/album?id=<chapter id>` for a chapter that is not its album's first answers with that
//! chapter's record shaped as an album whose `series_id` is the parent album (the 2.7.10
//! redirect, spec Appendix A). Missing ids are answered per [`MissingStyle`].
//!
//! Login-only albums ([`EmulatorBuilder::login_only`]) answer anonymous API requests as
//! missing ids do ([`EmulatorBuilder::api_shows_login_only`] to serve them) and anonymous
//! HTML requests with a redirect to `/error/album_missing`.
//!
//! HTML hosts (`html_domains()`, spec §6.3.3; markup made for the patterns of §6.3.5, see
//! the `markup` module's notes on escaping):
//!
//! * `GET /` (home, with the check-in's `data-dailyid`), `GET /album/{id}[/slug]`,
//!   `GET /photo/{id}` (the chapter's scramble id, `page_arr`, image URLs on the first CDN
//!   host), `GET /search/photos[/{category}[/sub/{sub}]]?main_tag=&search_query=&page=&o=&t=`
//!   (an album id redirects to its page; an empty query is the "keyword too short"
//!   fieldset), `GET /albums[/{category}[/sub/{sub}]]?page=&o=&t=` (categories and
//!   rankings); unknown ids redirect to `/error/album_missing`, unknown categories to
//!   `/error/invalid_module`;
//! * `GET /login` (the form) and `POST /login` (JSON `{"status":1}` plus the `AVS` cookie,
//!   or `{"status":0,"errors":[…]}`), `GET /logout`;
//!   `GET /user/{name}/favorite/albums?page=&o=&folder=` (the logged-in user's own only,
//!   else `/error/user_missing`);
//! * ajax (JSON written like PHP's, `\uXXXX` escapes): `/ajax/favorite_album` (GET or
//!   POST, form `album_id`, `fid`: adds, `status` 0 with `此圖片已經在您最喜愛的清單！` when
//!   already there), `POST /ajax/delete_favorite_album`, `POST /ajax/album_comment`
//!   (logged-in users post comments and replies), `POST /ajax/album_pagination`
//!   (`{"err":false,"code":"<html>"}`), `POST /ajax/forum_more` (`message`: a list of
//!   HTML comments; past the end the last page again), `GET /ajax/user_daily_event`,
//!   `POST /ajax/user_daily_sign`.
//!
//! The discovery host ([`Emulator::permanent_link_url`], [`Emulator::publish_url`]):
//! `GET /3YeBdF` answers 301, then 302 to an HTML domain (spec §6.3.1's permanent link);
//! `GET /` is the publish page linking every HTML domain.
//!
//! Accounts: every emulator has [`DEFAULT_USERNAME`] / [`DEFAULT_PASSWORD`]
//! ([`UserSpec::default_user`]); [`EmulatorBuilder::user`] and
//! [`EmulatorBuilder::account`] add more. A session made on either side works on both.
//! State is inspected with [`Emulator::user_state`]; [`Emulator::expire_sessions`] and
//! [`Emulator::advance_days`] move time along.
//!
//! CDN hosts (`image_domains()`): `GET /media/photos/{chapter_id}/{file}` (pages scrambled per
//! spec §7: strip count §7.1 from the chapter's scramble id, the chapter id and the file
//! stem; GIFs never) and `GET /media/albums/{album_id}.jpg` / `{album_id}_3x4.jpg` (covers). No
//! token or cookie needed. Anything else is 404.
//!
//! With [`EmulatorBuilder::tls`] every host serves HTTPS (HTTP/1.1) with a self-signed
//! certificate for `127.0.0.1`, `::1`, `localhost` and `*.jm.test` made at start
//! ([`Emulator::certificate_pem`]); domains then read `https://127.0.0.1:PORT`, and every
//! fault behaves as over plain HTTP. The Python package only speaks HTTPS, so the
//! side-by-side benchmark (`crates/jmcomic-bench`) needs this. The photo page's image
//! domain pattern (`src="https://(.*?)/media/albums/blank`, spec §6.3.5) only matches with
//! TLS on, since pages name the CDN with its real scheme.
//!
//! # Blocked pages
//!
//! [`FaultKind::Cloudflare`] (a 403 "Just a moment..." challenge) and
//! [`FaultKind::RegionBlock`] (a short page with `Restricted Access!`, spec §6.3.4), like
//! every fault, for some or all requests: `FaultRule::new("/", FaultKind::cloudflare())
//! .on_role(HostRole::Html).times(Times::First(2))`, or `--fault
//! cloudflare;role=html;first=2`.
//!
//! # Hostile data
//!
//! For reliability tests: [`Catalog::hostile`] (titles such as `..`, `../../etc/passwd`,
//! `CON`, NUL bytes and terminal escapes, image names such as `../00009.webp` that the CDN
//! answers 404 for, absurd counts, a chapter of 2,000 pages; ids in [`HostileIds`]), and the
//! faults [`FaultKind::HugeDimensions`] (an image whose header claims 100000×100000 pixels)
//! and [`FaultKind::HugeBody`] (a body of any length, streamed from one 64 KiB block).
//!
//! # When the site fights back
//!
//! The network between a user and the site misbehaves in ways the site itself never does
//! (spec `peers.md` §3 items 1-4 and 23). These knobs reproduce them offline so that a
//! client's DNS-over-HTTPS path, its pacing and `jmcomic doctor` can be tested. **All of
//! them are emulator extensions, not in the spec**; only the stale app version uses the
//! site's own behaviour.
//!
//! * **DNS over HTTPS**: every emulator runs a DoH endpoint (RFC 8484: `GET
//!   /dns-query?dns=<base64url>` and `POST /dns-query` with `application/dns-message`,
//!   HTTP/2 or HTTP/1.1, always TLS) at [`Emulator::doh_url`], with its own certificate
//!   ([`Emulator::doh_certificate_pem`], valid for [`DOH_SERVER_NAME`] `doh.jm.test`,
//!   `localhost`, `127.0.0.1`). It is not a host (no index, no role, no fault rules): it
//!   stands for a public resolver. It answers `A`/`AAAA` queries from a table: each host's
//!   made-up name ([`Emulator::named_domains`]: `api1.jm.test`, `cdn1.jm.test`,
//!   `html1.jm.test`, `discovery.jm.test`) and `doh.jm.test` give the emulator's address,
//!   other names NXDOMAIN; [`EmulatorBuilder::doh_record`] / [`EmulatorBuilder::doh_answer`]
//!   change it ([`DnsAnswer`]: addresses, NXDOMAIN, SERVFAIL, silence), so does
//!   [`Emulator::set_dns_answer`] at runtime. A client resolving through it can use
//!   `http://api1.jm.test:PORT`; with [`EmulatorBuilder::tls`] the hosts' certificate
//!   covers `*.jm.test`, so HTTPS to those names verifies.
//! * **The system resolver**: a plain DNS server (UDP and TCP, one port) at
//!   [`Emulator::dns_stub_addr`], for tests that point a client's system-resolver side at
//!   it. Same defaults as the DoH table; [`EmulatorBuilder::system_dns_record`] /
//!   [`EmulatorBuilder::system_dns_answer`] give it poisoned answers that disagree with DoH
//!   (`127.0.0.1`, `0.0.0.0`, `10.x`), [`EmulatorBuilder::system_dns_poison`] one answer for
//!   every name. Every question either side gets is in [`Emulator::dns_queries`].
//! * **Handshake resets**: the fault kinds [`FaultKind::HandshakeReset`] (TCP reset after
//!   the ClientHello, before any ServerHello) and [`FaultKind::HandshakeStall`] (no answer
//!   after the ClientHello), per host or role, with [`Times`]; they count connections, not
//!   requests. `FaultRule::new("/", FaultKind::HandshakeReset).on_role(HostRole::Api)
//!   .times(Times::First(1))` or `--fault handshake-reset;role=api;first=1`.
//!   [`Emulator::connections`] lists connections with their SNI and the rule that fired.
//! * **A skewed clock**: [`EmulatorBuilder::clock_offset_secs`] shifts the emulator's
//!   clock; every response's `Date` header reads it (the emulator always sets `Date`
//!   itself), and so does the token freshness check.
//! * **A stale app version**: [`EmulatorBuilder::app_version`] (announced by `/setting`)
//!   above the client's: tolerated but behind; with [`EmulatorBuilder::min_app_version`]
//!   raised too, every request answers "Not legal." (spec `peers.md` §3 item 3);
//!   [`EmulatorBuilder::setting_accepts_old_versions`] lets `/setting` still answer so a
//!   client can learn the version (see [`EmulatorBuilder::min_app_version`]).
//! * **429 bursts**: [`EmulatorBuilder::rate_limit`] gives every host of a role a budget of
//!   N requests per M seconds (a sliding window) and answers 429 with `Retry-After` beyond
//!   it; [`FaultKind::TooManyRequests`] answers 429 on chosen requests. Every
//!   [`RequestRecord`] carries its arrival time (`at`, monotonic, and `elapsed` since
//!   start), so a test can check a client's pacing from the emulator's side.
//!
//! ```
//! use std::time::Duration;
//! use jmcomic_emulator::{Emulator, FaultKind, FaultRule, HostRole, Times};
//!
//! let emu = Emulator::builder()
//!     .tls(true)
//!     .system_dns_record("api1.jm.test", "10.0.0.1".parse()?)
//!     .fault(FaultRule::new("/", FaultKind::HandshakeReset).on_role(HostRole::Api)
//!         .times(Times::First(1)))
//!     .clock_offset_secs(-540)
//!     .rate_limit(HostRole::Cdn, 5, Duration::from_secs(2))
//!     .start()?;
//! assert!(emu.doh_url().ends_with("/dns-query"));
//! assert!(emu.dns_stub_addr().ip().is_loopback());
//! assert!(emu.named_domains(HostRole::Api)[0].starts_with("https://api1.jm.test:"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use jmcomic_emulator::{Emulator, FaultKind, FaultRule, HostDown, Times};
//!
//! let emu = Emulator::builder()
//!     .api_hosts(2)
//!     .cdn_hosts(1)
//!     .latency(Duration::ZERO)
//!     .fault(FaultRule::new("/album", FaultKind::Status(503)).times(Times::First(1)))
//!     .start()?;
//! let api = emu.api_domains();            // ["http://127.0.0.1:PORT", ...]
//! assert_eq!(api.len(), 2);
//! assert!(emu.domain_server_url().ends_with("/newsvr-2025.txt"));
//!
//! // What a correct client must reconstruct from the scrambled page:
//! let original = emu.original_page(438516, "00001.webp").expect("page");
//! assert_eq!(emu.strip_count_used(438516, "00001.webp"), Some(6)); // spec §7.1 example
//! assert_eq!(original.rgb.len(), (original.width * original.height * 3) as usize);
//! // ... and what the CDN actually serves, decoded with the emulator's own codecs.
//! let bytes = emu.served_bytes(438516, "00001.webp").expect("page");
//! let served = jmcomic_emulator::decode_rgb(&bytes).expect("decodes");
//! assert_eq!((served.width, served.height), (original.width, original.height));
//!
//! // Faults can change at runtime; hosts can go down and come back.
//! let id = emu.add_fault("reset@/media/photos/438516/00002.webp;first=1".parse()?);
//! emu.remove_fault(id);
//! emu.set_host_down(1, HostDown::Refuse);
//! emu.set_host_down(1, HostDown::Up);
//! assert!(emu.requests().is_empty());
//! drop(emu); // stops every listener
//! # Ok::<(), jmcomic_emulator::Error>(())
//! ```
//!
//! # The `jmcomic-emulator` binary
//!
//! ```text
//! jmcomic-emulator [--bind 127.0.0.1] [--port N] [--api-hosts 1] [--cdn-hosts 1]
//!                  [--html-hosts 1] [--user NAME:PASSWORD]... [--login-only ID,...]
//!                  [--api-shows-login-only] [--html-album-base64]
//!                  [--latency-ms 0] [--catalog standard|bench|hostile] [--tls]
//!                  [--bench-albums 20 --bench-pages 20 --bench-width 800 --bench-height 1200]
//!                  [--fault SPEC]... [--require-cookies=false] [--warm]
//!                  [--app-version V] [--min-app-version V] [--setting-accepts-old-versions]
//!                  [--template-secret either|content|normal]
//!                  [--missing-style null-name|empty-data|error-msg]
//!                  [--doh-record NAME=ANSWER]... [--system-dns-record NAME=ANSWER]...
//!                  [--system-dns-poison IP] [--clock-offset-secs N]
//!                  [--rate-limit ROLE:N/SECS]...
//! jmcomic-emulator --list [--json] [--catalog ... and its --bench-* sizes]
//! ```
//!
//! `--list` prints the catalog the other flags select ([`Catalog::listing`]: albums,
//! chapters, page counts and kinds, scramble ids; `--json` for the JSON of
//! [`CatalogListing`], the same as `GET /_emulator/catalog`) and exits without serving.
//!
//! API hosts listen on ports `N..`, CDN hosts right after, then HTML hosts and the
//! discovery host, then the DoH endpoint, then the DNS stub (UDP and TCP) (`--port 0`:
//! ephemeral ports). `ANSWER` is `IP[,IP...]`, `nxdomain`, `servfail` or `silent`
//! ([`DnsAnswer`]); `--rate-limit api:5/2` allows 5 requests per 2 s on each API host.
//! Once listening it prints one JSON line on
//! stdout, `{"api_domains":[...],"image_domains":[...],"html_domains":[...],
//! "domain_server_url":"...","permanent_link_url":"...","publish_url":"...","users":[...],
//! "doh_url":"https://127.0.0.1:P/dns-query","doh_server_name":"doh.jm.test",
//! "doh_certificate_pem":"...","dns_stub":"127.0.0.1:P",
//! "named_domains":{"api":[...],"cdn":[...],"html":[...],"discovery":[...]}}`
//! (with `--tls` also `"certificate_pem"`; passwords are never printed), then serves until
//! Ctrl-C or SIGTERM, and on exit prints its CPU time as one JSON line on stderr,
//! `{"cpu_user_s":1.23,"cpu_system_s":0.45,"cpu_total_s":1.68}` (from `/proc/self/stat`), so
//! benchmarks can check the emulator was not the bottleneck. The `--fault` syntax is
//! documented on [`FaultRule`], e.g. `status=503@/media/photos/220980/;first=2` or
//! `reset@/album;p=0.3;seed=7` or `huge-body=1073741824@/media/photos/` or
//! `handshake-reset;role=api;first=1`.
//!
//! # Spec uncertainties made options
//!
//! * the secret `/chapter_view_template` wants: [`TemplateSecret`] (spec §6.2.2, Appendix C;
//!   default: either);
//! * the scramble id: most chapters state 220980, a few of [`Catalog::standard`] another
//!   value (spec §6.2.6), so that a client ignoring the template writes wrong pages;
//! * how missing ids are answered: [`MissingStyle`] (spec §6.2.5);
//! * whether cookies are enforced: [`EmulatorBuilder::require_cookies`] (spec §6.2.7);
//! * timestamp freshness: [`EmulatorBuilder::max_clock_skew`] (Appendix C: the real server's
//!   tolerance of the fixed timestamp is unknown; default: no check);
//! * whether the API shows login-only albums to anonymous users:
//!   [`EmulatorBuilder::api_shows_login_only`] (spec §9 hints it might);
//! * the Base64-wrapped album page: [`EmulatorBuilder::html_album_base64`] (spec §6.3.5);
//! * the status of the region-block page: `region-block=STATUS` (spec §6.3.4 checks the
//!   body after a 200, the default);
//! * whether `/setting` answers stale app versions:
//!   [`EmulatorBuilder::setting_accepts_old_versions`] (default: no).
//!
//! # Not in the spec, chosen here
//!
//! What the spec leaves open is answered in one consistent way and commented where it is
//! done: the answers of the account routes without a session and their message texts, the
//! API's failed-login answer, `count` of `/favorite`, the check-in event's `record`
//! grouping and bonus days, comment times as `YYYY-MM-DD HH:MM:SS` (UTC) on both sides,
//! HTML dates in UTC, `var sort = 2` on single-chapter photo pages (spec §2.3 says the site
//! does this), where `is_favorite`'s class sits in the favourite button, which answers
//! carry comment HTML in `code` and which in `message`.
#![deny(missing_docs)]

mod accounts;
mod api_user;
mod catalog;
mod comments;
mod crypto;
mod decode;
mod dns;
mod doh;
mod emulator;
mod error;
mod fault;
mod hostile;
mod listing;
mod markup;
mod pages;
mod query;
mod routes;
mod scramble;
mod server;
mod site;
mod tls;
mod web;

pub use accounts::{DEFAULT_PASSWORD, DEFAULT_USERNAME, UserSpec};
pub use catalog::{AlbumSpec, Catalog, ChapterSpec, PageKind, PageSpec, Period};
pub use decode::{MAX_DECODE_PIXELS, claimed_size, decode_rgb};
pub use dns::{DNS_SUFFIX, DOH_SERVER_NAME, DnsAnswer, DnsQueryRecord, DnsSide};
pub use emulator::{
    ConnectionRecord, Emulator, EmulatorBuilder, HostDown, HostRole, MissingStyle, RequestRecord,
    TemplateSecret, UserSnapshot,
};
pub use error::{Error, Result};
pub use fault::{FaultId, FaultKind, FaultRule, Times};
pub use hostile::{HostileIds, long_cjk_title};
pub use listing::{AlbumListing, CatalogListing, ChapterListing};
pub use pages::OriginalPage;
