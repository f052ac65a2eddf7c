//! Everything the emulator knows about the real site, in one place (house style habit 14).
//!
//! Values are facts from the written spec (`shared/spec/jmcomic-python.md`); each cites its
//! section. Nothing here is shared with the client crate on purpose: a misreading of the spec
//! must not be able to hide on both sides.

/// Token and data secret of the mobile API (spec §6.2.1 `APP_TOKEN_SECRET`, `APP_DATA_SECRET`).
pub(crate) const TOKEN_SECRET: &str = "185Hcomic3PAPP7R";
/// Token secret for `/chapter_view_template` (spec §6.2.1 `APP_TOKEN_SECRET_2`, §6.2.2).
pub(crate) const CONTENT_SECRET: &str = "18comicAPPContent";
/// The data (response encryption) secret; always this one, even for requests signed with the
/// content secret (the golden vectors `crypto.json` decrypt both entries of a pair with it).
pub(crate) const DATA_SECRET: &str = "185Hcomic3PAPP7R";
/// Secret of the domain-server file; its key uses an empty timestamp (spec §6.2.7).
pub(crate) const DOMAIN_SERVER_SECRET: &str = "diosfjckwpqpdfjkvnqQjsik";

/// App version the 2.7.10 client sends (spec Appendix A); the emulator's default for both the
/// `/setting` answer and the minimum accepted in `tokenparam`.
pub(crate) const DEFAULT_APP_VERSION: &str = "2.1.12";

/// Strip-count thresholds (spec §6.2.1 "scramble thresholds", §7.1).
pub(crate) const SCRAMBLE_220980: u64 = 220_980;
/// Below this (and at or above the scramble id) a page has 10 strips (spec §7.1 step 2).
pub(crate) const SCRAMBLE_268850: u64 = 268_850;
/// Below this the md5 branch uses modulus 10, at or above it 8 (spec §7.1 step 3).
pub(crate) const SCRAMBLE_421926: u64 = 421_926;

/// Search and category pages hold 80 items (spec §2.5 `PAGE_SIZE_SEARCH`).
pub(crate) const SEARCH_PAGE_SIZE: usize = 80;

/// Favourite pages hold 20 albums (spec §2.5 `JmFavoritePage`, §3.8 `PAGE_SIZE_FAVORITE`).
pub(crate) const FAVORITE_PAGE_SIZE: usize = 20;

/// Comment pages hold 10 top-level comments (spec §2.5 `JmAlbumCommentPage` page_size 10).
pub(crate) const COMMENT_PAGE_SIZE: usize = 10;

/// The login cookie, on both sides (spec §6.2.9: `s` stored as cookie `AVS`; §6.3.3).
pub(crate) const SESSION_COOKIE: &str = "AVS";

/// The site's answer to a second check-in the same day (spec §6.2.3 `/daily_chk`,
/// Appendix A: "今天已經簽到過了").
pub(crate) const ALREADY_SIGNED: &str = "今天已經簽到過了";

/// The message of an HTML favourite add for an album already in the list (spec §6.3.3).
pub(crate) const ALREADY_FAVORITE: &str = "此圖片已經在您最喜愛的清單！";

/// Marker of the region-block page (spec §6.3.4 step 3).
pub(crate) const RESTRICTED_ACCESS: &str = "Restricted Access!";

/// Path of the "permanent domain" link on the discovery host (spec §6.3.1
/// `https://jm365.work/3YeBdF`).
pub(crate) const PERMANENT_LINK_PATH: &str = "/3YeBdF";

/// Error pages the HTML site redirects to (spec §6.3.4 step 4).
pub(crate) const ERROR_ALBUM_MISSING: &str = "/error/album_missing";
/// See [`ERROR_ALBUM_MISSING`].
pub(crate) const ERROR_USER_MISSING: &str = "/error/user_missing";
/// See [`ERROR_ALBUM_MISSING`].
pub(crate) const ERROR_INVALID_MODULE: &str = "/error/invalid_module";

/// Category slugs the site knows (spec §6.1.1b), `0` = all.
pub(crate) const CATEGORIES: [&str; 9] = [
    "doujin",
    "single",
    "short",
    "another",
    "hanman",
    "meiman",
    "doujin_cosplay",
    "3D",
    "english_site",
];

/// Path of the domain-server file (spec §6.2.1 `API_URL_DOMAIN_SERVER_LIST`).
pub(crate) const DOMAIN_SERVER_PATH: &str = "/newsvr-2025.txt";

/// Path of the catalog listing on API hosts: an emulator extension the real site does not
/// have (hence the `/_emulator/` prefix, which no site route uses).
pub(crate) const CATALOG_PATH: &str = "/_emulator/catalog";

/// Body of the "database down" page users report from the real site (served by the `Mysql`
/// fault).
pub(crate) const MYSQL_ERROR_BODY: &str =
    "Could not connect to mysql! Please check your database settings!";

/// The rejection the real server sends for a bad or missing token or a stale app version, as
/// seen in user reports: HTTP 200 with this exact, unencrypted body.
pub(crate) const NOT_LEGAL_BODY: &str = r#"{"code":400,"data":[],"errorMsg":"Not legal."}"#;

/// Paths of the API routes (spec §6.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApiRoute {
    /// `GET /setting`: version + cookie bootstrap.
    Setting,
    /// `GET /album?id=`.
    Album,
    /// `GET /chapter?id=`.
    Chapter,
    /// `GET /chapter_view_template?id=&...`: HTML carrying the scramble id.
    ChapterViewTemplate,
    /// `GET /search?main_tag=&search_query=&page=&o=&t=`.
    Search,
    /// `GET /categories/filter?page=&order=&c=&o=`.
    CategoriesFilter,
    /// `POST /login` (form `username`, `password`).
    Login,
    /// `GET /favorite?page=&folder_id=&o=` (list); `POST /favorite` or `GET` with a form
    /// body (form `aid`): the toggle (spec §6.2.3, Appendix A, W20).
    Favorite,
    /// `GET /forum?mode=all&page=[&aid=]`.
    Forum,
    /// `GET /daily?user_id=` (2.7.10, Appendix A).
    Daily,
    /// `POST /daily_chk` (form `user_id`, `daily_id`; 2.7.10, Appendix A).
    DailyCheck,
}

impl ApiRoute {
    /// Whether the route answers this method. Most are GET; login and check-in are POST;
    /// `/favorite` is both (the 2.7.4 toggle is a GET with a form body, 2.7.10 a POST).
    pub(crate) fn allows(self, method: &hyper::Method) -> bool {
        match self {
            Self::Login | Self::DailyCheck => method == hyper::Method::POST,
            Self::Favorite => method == hyper::Method::GET || method == hyper::Method::POST,
            _ => method == hyper::Method::GET,
        }
    }

    /// The route for a request path, if it is one of the API routes.
    pub(crate) fn from_path(path: &str) -> Option<Self> {
        Some(match path {
            "/setting" => Self::Setting,
            "/album" => Self::Album,
            "/chapter" => Self::Chapter,
            "/chapter_view_template" => Self::ChapterViewTemplate,
            "/search" => Self::Search,
            "/categories/filter" => Self::CategoriesFilter,
            "/login" => Self::Login,
            "/favorite" => Self::Favorite,
            "/forum" => Self::Forum,
            "/daily" => Self::Daily,
            "/daily_chk" => Self::DailyCheck,
            _ => return None,
        })
    }
}
