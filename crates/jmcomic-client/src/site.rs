//! Everything this crate knows about the real site, in one place.
//!
//! Each fact says where it comes from: most are the constants of the Python package `jmcomic`
//! (2.7.4, checked against 2.7.10), a few come from users' reports of how the site answers.
//! The site changes these over time (domains above all), so every one of them can be
//! overridden through [`crate::ClientBuilder`].

// Each item below keeps a `// Spec …` pointer to the section of the maintainers' protocol
// spec (`../shared/spec/jmcomic-python.md`) it comes from; Appendix C lists what is uncertain.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

/// Secret for the `token` header of ordinary API requests (the Python package's
/// `APP_TOKEN_SECRET`).
// Spec §6.2.1.
pub const TOKEN_SECRET: &str = "185Hcomic3PAPP7R";

/// Secret for the `token` header of `/chapter_view_template` (the Python package's
/// `APP_TOKEN_SECRET_2`). The Python source says other secrets get HTTP 403 there, but its
/// synchronous client has signed that endpoint with [`TOKEN_SECRET`] since 2.7.0 and still
/// passes its tests: which one the server wants is uncertain, so [`TemplateSecret`] decides,
/// defaulting to trying this one first.
// Spec §6.2.1, §6.2.2, Appendix C.
pub const CONTENT_TOKEN_SECRET: &str = "18comicAPPContent";

/// Secret from which the response decryption key is derived (the Python package's
/// `APP_DATA_SECRET`). Always this one, whatever secret signed the request: the golden
/// vectors made with the Python package confirm it.
// Spec §6.2.1, §6.2.4.
pub const DATA_SECRET: &str = "185Hcomic3PAPP7R";

/// Secret of the domain-server file (the Python package's `API_DOMAIN_SERVER_SECRET`).
// Spec §6.2.1, §6.2.7.
pub const DOMAIN_SERVER_SECRET: &str = "diosfjckwpqpdfjkvnqQjsik";

/// App version sent in `tokenparam` (what the Python package 2.7.10 sends). The site rejects
/// versions it considers stale with `"Not legal."` (user reports); `/setting` announces the
/// current one and the client adopts it when newer.
// Spec Appendix A; peers.md §3 item 3.
pub const APP_VERSION: &str = "2.1.12";

/// API domains built into the Python package (its `DOMAIN_API_LIST`, unchanged in 2.7.10).
/// Used when no domains are configured, after trying the domain servers.
// Spec §6.2.1.
pub const API_DOMAINS: &[&str] = &[
    "www.cdnhjk.net",
    "www.cdngwc.cc",
    "www.cdngwc.net",
    "www.cdngwc.club",
];

/// Image CDN hosts built into the Python package (its `DOMAIN_IMAGE_LIST`).
// Spec §6.2.1.
pub const IMAGE_DOMAINS: &[&str] = &[
    "cdn-msp.jmapiproxy1.cc",
    "cdn-msp.jmapiproxy2.cc",
    "cdn-msp2.jmapiproxy2.cc",
    "cdn-msp3.jmapiproxy2.cc",
    "cdn-msp.jmapinodeudzn.net",
    "cdn-msp3.jmapinodeudzn.net",
];

/// Files listing the current API domains, encrypted (the Python package's
/// `API_URL_DOMAIN_SERVER_LIST`).
// Spec §6.2.1, §6.2.7.
pub const DOMAIN_SERVER_URLS: &[&str] = &[
    "https://rup4a04-c01.tos-ap-southeast-1.bytepluses.com/newsvr-2025.txt",
    "https://rup4a04-c02.tos-cn-hongkong.bytepluses.com/newsvr-2025.txt",
    "https://rup4a04-c03.tos-cn-beijing.bytepluses.com.cn/newsvr-2025.txt",
];

/// A public DNS-over-HTTPS resolver (RFC 8484): its URL and the addresses its operator
/// publishes for it, so that it is reached without asking any DNS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DohProvider {
    /// Who runs it.
    pub name: &'static str,
    /// The DoH URL.
    pub url: &'static str,
    /// The addresses of the URL's host.
    pub addresses: &'static [IpAddr],
}

/// The resolvers of `client.dns: doh`, asked in this order: the international ones first
/// (outside the networks whose answers for the site are poisoned), then two large
/// resolvers run in mainland China, which may be the only ones a network there lets
/// through. Each entry is the operator's own published endpoint and anycast addresses.
// Issue 12 item 2.
pub const DOH_RESOLVERS: &[DohProvider] = &[
    // Cloudflare's 1.1.1.1 documentation ("DNS over HTTPS": cloudflare-dns.com/dns-query;
    // the resolver's addresses 1.1.1.1 and 1.0.0.1).
    DohProvider {
        name: "Cloudflare",
        url: "https://cloudflare-dns.com/dns-query",
        addresses: &[
            IpAddr::V4(Ipv4Addr::new(1, 1, 1, 1)),
            IpAddr::V4(Ipv4Addr::new(1, 0, 0, 1)),
        ],
    },
    // Google Public DNS documentation (DoH at dns.google/dns-query; 8.8.8.8, 8.8.4.4).
    DohProvider {
        name: "Google",
        url: "https://dns.google/dns-query",
        addresses: &[
            IpAddr::V4(Ipv4Addr::new(8, 8, 8, 8)),
            IpAddr::V4(Ipv4Addr::new(8, 8, 4, 4)),
        ],
    },
    // Quad9's service page (DoH at dns.quad9.net/dns-query; 9.9.9.9, 149.112.112.112).
    DohProvider {
        name: "Quad9",
        url: "https://dns.quad9.net/dns-query",
        addresses: &[
            IpAddr::V4(Ipv4Addr::new(9, 9, 9, 9)),
            IpAddr::V4(Ipv4Addr::new(149, 112, 112, 112)),
        ],
    },
    // AliDNS (Alibaba) documentation (DoH at dns.alidns.com/dns-query; 223.5.5.5,
    // 223.6.6.6).
    DohProvider {
        name: "AliDNS",
        url: "https://dns.alidns.com/dns-query",
        addresses: &[
            IpAddr::V4(Ipv4Addr::new(223, 5, 5, 5)),
            IpAddr::V4(Ipv4Addr::new(223, 6, 6, 6)),
        ],
    },
    // DNSPod (Tencent) public DNS documentation (DoH at doh.pub/dns-query; 1.12.12.12,
    // 120.53.53.53).
    DohProvider {
        name: "DNSPod",
        url: "https://doh.pub/dns-query",
        addresses: &[
            IpAddr::V4(Ipv4Addr::new(1, 12, 12, 12)),
            IpAddr::V4(Ipv4Addr::new(120, 53, 53, 53)),
        ],
    },
];

/// The scramble id assumed when the chapter template does not state one, as the Python
/// package does (also the value of its `SCRAMBLE_220980`).
// Spec §6.2.6, §6.2.1.
pub const DEFAULT_SCRAMBLE_ID: u64 = 220_980;

/// Headers of every API request (the Python package's `APP_HEADERS_TEMPLATE`): the Android
/// app's WebView.
// Spec §6.2.1.
pub const APP_HEADERS: &[(&str, &str)] = &[
    ("accept-encoding", "gzip, deflate"),
    (
        "user-agent",
        "Mozilla/5.0 (Linux; Android 9; V1938CT Build/PQ3A.190705.11211812; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/91.0.4472.114 Safari/537.36",
    ),
];

/// Extra headers of image requests (the Python package's `APP_HEADERS_IMAGE`). `Referer` is
/// added separately: it names the first API domain.
// Spec §6.2.1.
pub const IMAGE_HEADERS: &[(&str, &str)] = &[
    (
        "accept",
        "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
    ),
    ("x-requested-with", "com.JMComic3.app"),
    ("accept-language", "zh-CN,zh;q=0.9,en-US;q=0.8,en;q=0.7"),
];

/// Body the site's servers send (with HTTP 200) when their database is down.
// Spec §6.3.4.
pub const MYSQL_ERROR_TEXT: &str =
    "Could not connect to mysql! Please check your database settings!";

/// Body marker of a region block: the site refuses visitors from some regions with a page
/// holding this text.
// Spec §6.3.4.
pub const RESTRICTED_TEXT: &str = "Restricted Access!";

/// Title of Cloudflare's challenge page, which the site's domains sometimes answer with
/// (user reports).
// peers.md §3 item 2.
pub const CLOUDFLARE_CHALLENGE_TEXT: &str = "Just a moment...";

/// `errorMsg` with which the API rejects a request it does not accept: a bad signature or an
/// app version it considers stale (user reports; see [`APP_VERSION`]).
pub const NOT_LEGAL_TEXT: &str = "Not legal";

/// The login cookie: the `s` of the API's login answer, set by the web login too.
// Spec §6.2.9, §6.3.3.
pub const LOGIN_COOKIE: &str = "AVS";

/// Texts in the site's answer to a check-in that say it was already done today (the Python
/// package 2.7.10's keyword list, as far as the spec quotes it); a message holding one of
/// them is not an error.
// Spec Appendix A.
pub const ALREADY_CHECKED_IN: &[&str] = &[
    "今天已經簽到過了",
    "今天已经签到过了",
    "已完成打卡",
    "已簽到",
    "已签到",
    "已打卡",
];

/// Results per search page (the Python package's `PAGE_SIZE_SEARCH`).
// Spec §2.5.
pub const SEARCH_PAGE_SIZE: u64 = 80;

/// Default timeout of one whole request. The Python async client uses 30 s.
// Spec §6.5.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// API endpoints. Paths are relative to an API domain.
// Spec §6.2.3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET /setting`: cookies and the current app version.
    Setting,
    /// `GET /album?id=`.
    Album,
    /// `GET /chapter?id=`.
    Chapter,
    /// `GET /chapter_view_template?id=&mode=vertical&page=0&app_img_shunt=1&express=off&v=`:
    /// an HTML page holding the scramble id. Not encrypted.
    ChapterViewTemplate,
    /// `GET /search?main_tag=&search_query=&page=&o=&t=`.
    Search,
    /// `GET /categories/filter?page=&order=&c=&o=`: categories and rankings.
    CategoriesFilter,
    /// `POST /login`, form `username`, `password`: the user, whose `s` is the `AVS` cookie.
    Login,
    /// `GET /favorite?page=&folder_id=&o=`: the user's favourites and folders.
    Favorite,
    /// `POST /favorite`, form `aid`: toggles an album in the favourites (2.7.10; 2.7.4 sent
    /// a GET with that form body).
    FavoriteToggle,
    /// `GET /forum?mode=all&page=[&aid=]`: an album's comments, or the site's.
    Forum,
    /// `GET /daily?user_id=`: the check-in event (2.7.10).
    Daily,
    /// `POST /daily_chk`, form `user_id`, `daily_id`: the daily check-in (2.7.10).
    DailyCheck,
}

impl Endpoint {
    /// The path on the API domain.
    pub const fn path(self) -> &'static str {
        match self {
            Endpoint::Setting => "/setting",
            Endpoint::Album => "/album",
            Endpoint::Chapter => "/chapter",
            Endpoint::ChapterViewTemplate => "/chapter_view_template",
            Endpoint::Search => "/search",
            Endpoint::CategoriesFilter => "/categories/filter",
            Endpoint::Login => "/login",
            Endpoint::Favorite | Endpoint::FavoriteToggle => "/favorite",
            Endpoint::Forum => "/forum",
            Endpoint::Daily => "/daily",
            Endpoint::DailyCheck => "/daily_chk",
        }
    }

    /// Whether the request is a POST whose parameters go in a form body (the others are GETs
    /// with a query string).
    // Spec §6.2.3, Appendix A.
    pub const fn is_post(self) -> bool {
        matches!(
            self,
            Endpoint::Login | Endpoint::FavoriteToggle | Endpoint::DailyCheck
        )
    }

    /// Whether the response is the encrypted JSON envelope (`{"code", "errorMsg", "data"}`
    /// with `data` AES-encrypted).
    // Spec §6.2.4.
    pub const fn is_json(self) -> bool {
        !matches!(self, Endpoint::ChapterViewTemplate)
    }
}

/// Which secret signs `/chapter_view_template` requests (see [`CONTENT_TOKEN_SECRET`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TemplateSecret {
    /// Try [`CONTENT_TOKEN_SECRET`]; if the site refuses it (403 or no scramble id), try
    /// [`TOKEN_SECRET`] before assuming the default scramble id.
    #[default]
    ContentThenNormal,
    /// Only [`CONTENT_TOKEN_SECRET`] (the Python async client).
    Content,
    /// Only [`TOKEN_SECRET`] (what the Python sync client actually sends).
    // Spec §6.2.2.
    Normal,
}

// ------------------------------------------------------------------------------------------
// The web site (the HTML protocol, the Python package's `client.impl: html`).

/// Web-site domains the Python package's documentation quotes. Used when none are configured
/// and the discovery URLs ([`HTML_DISCOVERY_URLS`]) find none.
// Spec §6.3.1.
pub const HTML_DOMAINS: &[&str] = &[
    "18comic.vip",
    "18comic.org",
    "jmcomic1.me",
    "jmcomic.me",
    "18comic-palworld.vip",
    "18comic-c.art",
    "18comic-palworld.club",
];

/// The "permanent domain" link (the Python package's `JM_REDIRECT_URL`): it answers with
/// redirects, 301s to follow and then a 302 whose `Location` is a current web domain.
// Spec §6.3.1.
pub const HTML_PERMANENT_LINK_URL: &str = "https://jm365.work/3YeBdF";

/// The publish page (the Python package's `JM_PUB_URL`): an HTML page listing the current
/// web domains.
// Spec §6.3.1.
pub const HTML_PUBLISH_URL: &str = "https://jmcomicgo.org";

/// Where the web domains are looked up when none are configured, in order.
// Spec §6.3.1.
pub const HTML_DISCOVERY_URLS: &[&str] = &[HTML_PERMANENT_LINK_URL, HTML_PUBLISH_URL];

/// Headers of every web request (the Python package's `new_html_headers` template): a
/// desktop Chrome 124. `origin` and `referer` are added per request, naming the domain
/// asked. The template's `authority` is left out: it is HTTP/2's `:authority`, which the
/// HTTP client sets itself from the URL.
// Spec §6.3.2.
pub const BROWSER_HEADERS: &[(&str, &str)] = &[
    (
        "accept",
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
    ),
    ("accept-language", "zh-CN,zh;q=0.9"),
    ("cache-control", "no-cache"),
    ("dnt", "1"),
    ("pragma", "no-cache"),
    ("priority", "u=0, i"),
    (
        "sec-ch-ua",
        "\"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\"",
    ),
    ("sec-ch-ua-mobile", "?0"),
    ("sec-ch-ua-platform", "\"Windows\""),
    ("sec-fetch-dest", "document"),
    ("sec-fetch-mode", "navigate"),
    ("sec-fetch-site", "none"),
    ("sec-fetch-user", "?1"),
    ("upgrade-insecure-requests", "1"),
    (
        "user-agent",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    ),
];

/// The web domain whose `origin`/`referer` image requests carry when no web domain is known
/// yet (the Python package sends the template made for it with every image request).
// Spec §6.3.2.
pub const HTML_IMAGE_REFERER_DOMAIN: &str = "18comic.vip";

/// The error page a missing (or members-only) album or chapter redirects to.
// Spec §6.3.4.
pub const ERROR_ALBUM_MISSING: &str = "/error/album_missing";

/// The error page the favourites of an unknown user (or of no login) redirect to.
// Spec §6.3.4.
pub const ERROR_USER_MISSING: &str = "/error/user_missing";

/// The error page of a request the site cannot handle (an unknown category, for one).
// Spec §6.3.4.
pub const ERROR_INVALID_MODULE: &str = "/error/invalid_module";

/// Messages with which the web site says today's check-in is done already (besides
/// `error: "finished"`), in both scripts.
// Spec Appendix A (2.7.10's already-signed keyword list).
pub const ALREADY_SIGNED_TEXTS: &[&str] = &[
    "今天已經簽到過了",
    "今天已经签到过了",
    "已完成打卡",
    "已簽到",
    "已签到",
    "已打卡",
];

/// Web pages and ajax endpoints. Paths are relative to a web domain; `{id}` and
/// `{username}` stand for the album or chapter id and the (percent-encoded) user name.
// Spec §6.3.3, Appendix A.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebEndpoint {
    /// `GET /`: the home page, holding the check-in's `data-dailyid` (2.7.10).
    Home,
    /// `GET /album/{id}`: the album page; a chapter id redirects to its album.
    Album,
    /// `GET /photo/{id}`: the chapter (reader) page: page list and scramble id.
    Photo,
    /// `GET /search/photos[/{category}[/sub/{sub}]]?main_tag=&search_query=&page=&o=&t=`;
    /// an exact album id redirects to the album.
    Search,
    /// `GET /albums[/{category}[/sub/{sub}]]?page=&o=&t=`: categories and rankings.
    Categories,
    /// `POST /login`, form `username, password, id_remember=on, login_remember=on,
    /// submit_login=`; not redirected; sets the `AVS` cookie.
    Login,
    /// `GET /user/{username}/favorite/albums?page=&o=&folder=`.
    Favorites,
    /// `POST /ajax/favorite_album`, form `album_id, fid` (a GET with that form body in the
    /// Python package 2.7.4).
    FavoriteAdd,
    /// `POST /ajax/delete_favorite_album`, form `album_id` (2.7.10).
    FavoriteDelete,
    /// `POST /ajax/album_comment`, form `video_id, comment, originator, status` (a reply:
    /// `comment_id, is_reply=1, forum_subject=1` instead of `status`).
    AlbumComment,
    /// `POST /ajax/album_pagination`, form `video_id, page, series, with_ad_wcm`: an
    /// album's comments.
    AlbumComments,
    /// `POST /ajax/forum_more`, form `page, with_ad_wcm`: the site-wide comments.
    ForumComments,
    /// `GET /ajax/user_daily_event?daily_id=`: the check-in event (2.7.10).
    DailyEvent,
    /// `POST /ajax/user_daily_sign`, form `daily_id, oldStep`: the check-in (2.7.10).
    DailySign,
}

impl WebEndpoint {
    /// The path on a web domain, with `{id}` / `{username}` where they go.
    pub const fn path(self) -> &'static str {
        match self {
            WebEndpoint::Home => "/",
            WebEndpoint::Album => "/album/{id}",
            WebEndpoint::Photo => "/photo/{id}",
            WebEndpoint::Search => "/search/photos",
            WebEndpoint::Categories => "/albums",
            WebEndpoint::Login => "/login",
            WebEndpoint::Favorites => "/user/{username}/favorite/albums",
            WebEndpoint::FavoriteAdd => "/ajax/favorite_album",
            WebEndpoint::FavoriteDelete => "/ajax/delete_favorite_album",
            WebEndpoint::AlbumComment => "/ajax/album_comment",
            WebEndpoint::AlbumComments => "/ajax/album_pagination",
            WebEndpoint::ForumComments => "/ajax/forum_more",
            WebEndpoint::DailyEvent => "/ajax/user_daily_event",
            WebEndpoint::DailySign => "/ajax/user_daily_sign",
        }
    }
}

/// The album whose cover `doctor` asks each CDN host for: one the Python package's own tests
/// download and test against, so it has been on the site for years.
// Spec §10.
pub const DOCTOR_PROBE_ALBUM: u64 = 438_516;
