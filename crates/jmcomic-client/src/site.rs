//! Everything this crate knows about the real site, in one place.
//!
//! Each fact says where it comes from: most are the constants of the Python package `jmcomic`
//! (2.7.4, checked against 2.7.10), a few come from users' reports of how the site answers.
//! The site changes these over time (domains above all), so every one of them can be
//! overridden through [`crate::ClientBuilder`].

// Each item below keeps a `// Spec …` pointer to the section of the maintainers' protocol
// spec (`../shared/spec/jmcomic-python.md`) it comes from; Appendix C lists what is uncertain.

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
