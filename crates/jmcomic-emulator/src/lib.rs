//! A loopback emulator of the JMComic site for tests and benchmarks.
//!
//! It serves the mobile API (spec `shared/spec/jmcomic-python.md` §6.2) and the image CDN from
//! a deterministic synthetic [`Catalog`], with fault injection that can change at runtime. It
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
//!   the normal secret too: see [`TemplateSecret`]; else 403), `GET /search`,
//!   `GET /categories/filter`;
//! * `GET /newsvr-2025.txt`: the domain-server file (BOM + base64 AES, §6.2.7);
//! * `GET /_emulator/catalog`: **an emulator extension the real site does not have**: the
//!   catalog being served as plain JSON ([`CatalogListing`], no token, not encrypted), so
//!   that people and scripts can see which ids exist.
//!
//! `/album?id=<chapter id>` for a chapter that is not its album's first answers with that
//! chapter's record shaped as an album whose `series_id` is the parent album (the 2.7.10
//! redirect, spec Appendix A). Missing ids are answered per [`MissingStyle`].
//!
//! CDN hosts (`image_domains()`): `GET /media/photos/{chapter_id}/{file}` (pages scrambled per
//! spec §7: strip count §7.1 from the chapter's scramble id, the chapter id and the file
//! stem; GIFs never) and `GET /media/albums/{album_id}.jpg` / `{album_id}_3x4.jpg` (covers). No
//! token or cookie needed. Anything else is 404.
//!
//! With [`EmulatorBuilder::tls`] every host serves HTTPS (HTTP/1.1) with a self-signed
//! certificate for `127.0.0.1`, `::1` and `localhost` made at start
//! ([`Emulator::certificate_pem`]); domains then read `https://127.0.0.1:PORT`, and every
//! fault behaves as over plain HTTP. The Python package only speaks HTTPS, so the
//! side-by-side benchmark (`crates/jmcomic-bench`) needs this.
//!
//! # Hostile data
//!
//! For reliability tests: [`Catalog::hostile`] (titles such as `..`, `../../etc/passwd`,
//! `CON`, NUL bytes and terminal escapes, image names such as `../00009.webp` that the CDN
//! answers 404 for, absurd counts, a chapter of 2,000 pages; ids in [`HostileIds`]), and the
//! faults [`FaultKind::HugeDimensions`] (an image whose header claims 100000×100000 pixels)
//! and [`FaultKind::HugeBody`] (a body of any length, streamed from one 64 KiB block).
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
//!                  [--latency-ms 0] [--catalog standard|bench|hostile] [--tls]
//!                  [--bench-albums 20 --bench-pages 20 --bench-width 800 --bench-height 1200]
//!                  [--fault SPEC]... [--require-cookies=false] [--warm]
//!                  [--app-version V] [--min-app-version V]
//!                  [--template-secret either|content|normal]
//!                  [--missing-style null-name|empty-data|error-msg]
//! jmcomic-emulator --list [--json] [--catalog ... and its --bench-* sizes]
//! ```
//!
//! `--list` prints the catalog the other flags select ([`Catalog::listing`]: albums,
//! chapters, page counts and kinds, scramble ids; `--json` for the JSON of
//! [`CatalogListing`], the same as `GET /_emulator/catalog`) and exits without serving.
//!
//! API hosts listen on ports `N..`, CDN hosts right after (`--port 0`: ephemeral ports). Once
//! listening it prints one JSON line on stdout,
//! `{"api_domains":[...],"image_domains":[...],"domain_server_url":"..."}` (with `--tls` also
//! `"certificate_pem"`), then serves until
//! Ctrl-C or SIGTERM, and on exit prints its CPU time as one JSON line on stderr,
//! `{"cpu_user_s":1.23,"cpu_system_s":0.45,"cpu_total_s":1.68}` (from `/proc/self/stat`), so
//! benchmarks can check the emulator was not the bottleneck. The `--fault` syntax is
//! documented on [`FaultRule`], e.g. `status=503@/media/photos/220980/;first=2` or
//! `reset@/album;p=0.3;seed=7` or `huge-body=1073741824@/media/photos/`.
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
//!   tolerance of the fixed timestamp is unknown; default: no check).
#![deny(missing_docs)]

mod accounts;
mod api_user;
mod catalog;
mod comments;
mod crypto;
mod decode;
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
pub use emulator::{
    Emulator, EmulatorBuilder, HostDown, HostRole, MissingStyle, RequestRecord, TemplateSecret,
    UserSnapshot,
};
pub use error::{Error, Result};
pub use fault::{FaultId, FaultKind, FaultRule, Times};
pub use hostile::{HostileIds, long_cjk_title};
pub use listing::{AlbumListing, CatalogListing, ChapterListing};
pub use pages::OriginalPage;
