//! Queries as types: what to search for, where, in which order, over which time. The site's
//! wire values live here and nowhere else.
//!
//! ```
//! use jmcomic_client::{Order, SearchBy, SearchQuery, Time};
//!
//! let q = SearchQuery::new("MANA")
//!     .by(SearchBy::Author)
//!     .order(Order::MostViewed)
//!     .time(Time::Week)
//!     .page(2);
//! assert_eq!((q.by.main_tag(), q.order.as_wire(), q.time.as_wire()), (2, "mv", "w"));
//! assert_eq!(SearchQuery::default().page, 1);
//! ```

// Every wire value below is one of the Python package's `JmMagicConstants`, spec §6.1.1b.

/// One page of a search (see [`Client::search`](crate::Client::search)).
///
/// Built with [`SearchQuery::new`] and the setters; the fields stay readable and writable
/// (`query.page += 1` for the next page).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SearchQuery {
    /// What to look for. The site's syntax passes through unchanged: `+A +B` needs both,
    /// `A -B` excludes B, `A B` takes either; an exact album id is answered with that album
    /// (see [`SearchPage::redirect`](jmcomic_model::SearchPage::redirect)).
    pub text: String,
    /// Which fields to search (wire `main_tag`).
    pub by: SearchBy,
    /// The order of the results (wire `o`).
    pub order: Order,
    /// The period the results come from (wire `t`).
    pub time: Time,
    /// The category to search in. The web protocol puts it in the path; the API's `/search`
    /// has no such parameter, so the API protocol does not send it (neither does the Python
    /// package).
    // Spec §6.2.3, §6.3.3.
    pub category: Category,
    /// A sub-category of the category (web protocol only, path `/sub/{x}`), e.g.
    /// `chinese`, `japanese`; for `doujin` also `CG`, for `single` also `youth`, for `another`
    /// `other`, `3d`, `cosplay`. Kept as text: the site's list changes.
    pub sub_category: Option<String>,
    /// The 1-based page; 0 is read as 1.
    pub page: u32,
}

impl Default for SearchQuery {
    /// Everything on the site, latest first, of all time, page 1 (the Python package's
    /// defaults).
    fn default() -> Self {
        Self {
            text: String::new(),
            by: SearchBy::default(),
            order: Order::default(),
            time: Time::default(),
            category: Category::default(),
            sub_category: None,
            page: 1,
        }
    }
}

impl SearchQuery {
    /// A site-wide search for `text`, with the defaults of [`SearchQuery::default`].
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }

    /// Which fields to search.
    pub fn by(mut self, by: SearchBy) -> Self {
        self.by = by;
        self
    }

    /// The order of the results.
    pub fn order(mut self, order: Order) -> Self {
        self.order = order;
        self
    }

    /// The period the results come from.
    pub fn time(mut self, time: Time) -> Self {
        self.time = time;
        self
    }

    /// The category to search in (see [the field](SearchQuery#structfield.category) for
    /// which protocol sends it).
    pub fn category(mut self, category: Category) -> Self {
        self.category = category;
        self
    }

    /// A sub-category (web protocol only).
    pub fn sub_category(mut self, sub: impl Into<String>) -> Self {
        self.sub_category = Some(sub.into());
        self
    }

    /// The 1-based page.
    pub fn page(mut self, page: u32) -> Self {
        self.page = page;
        self
    }
}

/// Which fields a search looks in (the site's `main_tag`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SearchBy {
    /// Everything: titles, tags, authors, works, characters (`0`).
    #[default]
    Site,
    /// The work a doujinshi is based on, 作品 (`1`).
    Work,
    /// Authors (`2`).
    Author,
    /// Tags (`3`).
    Tag,
    /// Characters appearing, 登场人物 (`4`; the Python package's `search_actor`).
    Actor,
}

impl SearchBy {
    /// Every value, in wire order.
    pub const ALL: [Self; 5] = [Self::Site, Self::Work, Self::Author, Self::Tag, Self::Actor];

    /// The wire value (`main_tag`).
    pub const fn main_tag(self) -> u8 {
        match self {
            Self::Site => 0,
            Self::Work => 1,
            Self::Author => 2,
            Self::Tag => 3,
            Self::Actor => 4,
        }
    }

    /// The value of a `main_tag`, if it is one.
    pub fn from_main_tag(tag: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.main_tag() == tag)
    }
}

/// The order of search, category and favourite results (the site's `o`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Order {
    /// Latest first (`mr`).
    #[default]
    Latest,
    /// Most viewed first (`mv`; the rankings are this over a [`Time`]).
    MostViewed,
    /// Most pictures first (`mp`).
    MostPictures,
    /// Most liked first (`tf`).
    MostLiked,
    /// Top rated first (`tr`; the web site only).
    TopRated,
    /// Most commented first (`md`; the web site only).
    MostCommented,
}

impl Order {
    /// Every value.
    pub const ALL: [Self; 6] = [
        Self::Latest,
        Self::MostViewed,
        Self::MostPictures,
        Self::MostLiked,
        Self::TopRated,
        Self::MostCommented,
    ];

    /// The wire value (`o`).
    pub const fn as_wire(self) -> &'static str {
        match self {
            Self::Latest => "mr",
            Self::MostViewed => "mv",
            Self::MostPictures => "mp",
            Self::MostLiked => "tf",
            Self::TopRated => "tr",
            Self::MostCommented => "md",
        }
    }

    /// The value of a wire `o`, if it is one.
    pub fn from_wire(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_wire() == text)
    }
}

/// The period results come from (the site's `t`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Time {
    /// All time (`a`).
    #[default]
    All,
    /// Today (`t`).
    Today,
    /// This week (`w`).
    Week,
    /// This month (`m`).
    Month,
}

impl Time {
    /// Every value.
    pub const ALL: [Self; 4] = [Self::All, Self::Today, Self::Week, Self::Month];

    /// The wire value (`t`).
    pub const fn as_wire(self) -> &'static str {
        match self {
            Self::All => "a",
            Self::Today => "t",
            Self::Week => "w",
            Self::Month => "m",
        }
    }

    /// The value of a wire `t`, if it is one.
    pub fn from_wire(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_wire() == text)
    }
}

/// The site's categories (its `c`, or a path segment on the web site).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Category {
    /// Every category (`0`).
    #[default]
    All,
    /// 同人, doujinshi (`doujin`).
    Doujin,
    /// 单本, single volumes (`single`).
    Single,
    /// 短篇, short works (`short`).
    Short,
    /// 其他, other (`another`).
    Another,
    /// 韩漫, Korean comics (`hanman`).
    Hanman,
    /// 美漫, American comics (`meiman`).
    Meiman,
    /// Cosplay (`doujin_cosplay`).
    Cosplay,
    /// 3D (`3D`).
    ThreeD,
    /// 英文站, the English site (`english_site`).
    EnglishSite,
}

impl Category {
    /// Every value.
    pub const ALL: [Self; 10] = [
        Self::All,
        Self::Doujin,
        Self::Single,
        Self::Short,
        Self::Another,
        Self::Hanman,
        Self::Meiman,
        Self::Cosplay,
        Self::ThreeD,
        Self::EnglishSite,
    ];

    /// The wire value.
    pub const fn as_wire(self) -> &'static str {
        match self {
            Self::All => "0",
            Self::Doujin => "doujin",
            Self::Single => "single",
            Self::Short => "short",
            Self::Another => "another",
            Self::Hanman => "hanman",
            Self::Meiman => "meiman",
            Self::Cosplay => "doujin_cosplay",
            Self::ThreeD => "3D",
            Self::EnglishSite => "english_site",
        }
    }

    /// The value of a wire category, if it is one.
    pub fn from_wire(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_wire() == text)
    }
}

/// One page of a category listing or ranking (see [`Client::categories`](crate::Client::categories)).
///
/// ```
/// use jmcomic_client::{Category, CategoryQuery, Order, Ranking, Time};
///
/// let week = CategoryQuery::ranking(Ranking::Week);
/// assert_eq!((week.order, week.time), (Order::MostViewed, Time::Week));
/// // The API's `o`: order and time joined, the time left out when it is "all".
/// assert_eq!(week.api_order(), "mv_w");
/// let doujin = CategoryQuery::new().category(Category::Doujin).page(2);
/// assert_eq!((doujin.api_order(), doujin.page), ("mr".to_owned(), 2));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CategoryQuery {
    /// The category (wire `c` on the API, the path on the web site).
    pub category: Category,
    /// A sub-category (web site only, path `/sub/{x}`; see [`SearchQuery::sub_category`]).
    pub sub_category: Option<String>,
    /// The order (wire `o`).
    pub order: Order,
    /// The period (wire `t`; the API folds it into `o`, see [`CategoryQuery::api_order`]).
    pub time: Time,
    /// The 1-based page; 0 is read as 1.
    pub page: u32,
}

impl Default for CategoryQuery {
    /// Every category, latest first, of all time, page 1.
    fn default() -> Self {
        Self {
            category: Category::All,
            sub_category: None,
            order: Order::Latest,
            time: Time::All,
            page: 1,
        }
    }
}

impl CategoryQuery {
    /// Every category, latest first, page 1.
    pub fn new() -> Self {
        Self::default()
    }

    /// A ranking: the most viewed albums of the day, week or month, page 1.
    // Spec §6.1.1b: the rankings are `mv` over a time.
    pub fn ranking(r: Ranking) -> Self {
        Self::new().order(Order::MostViewed).time(r.time())
    }

    /// Sets the category.
    pub fn category(mut self, category: Category) -> Self {
        self.category = category;
        self
    }

    /// Sets the sub-category (web site only).
    pub fn sub_category(mut self, sub: impl Into<String>) -> Self {
        self.sub_category = Some(sub.into());
        self
    }

    /// Sets the order.
    pub fn order(mut self, order: Order) -> Self {
        self.order = order;
        self
    }

    /// Sets the period.
    pub fn time(mut self, time: Time) -> Self {
        self.time = time;
        self
    }

    /// Sets the 1-based page.
    pub fn page(mut self, page: u32) -> Self {
        self.page = page;
        self
    }

    /// The API's `o` of `/categories/filter`: `{order}_{time}`, or the order alone when the
    /// time is "all" (so the month ranking is `mv_m`).
    // Spec §6.2.3.
    pub fn api_order(&self) -> String {
        match self.time {
            Time::All => self.order.as_wire().to_owned(),
            t => format!("{}_{}", self.order.as_wire(), t.as_wire()),
        }
    }
}

/// The site's rankings: most viewed over a period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Ranking {
    /// Today (`mv_t`).
    Day,
    /// This week (`mv_w`).
    Week,
    /// This month (`mv_m`).
    Month,
}

impl Ranking {
    /// Every ranking.
    pub const ALL: [Self; 3] = [Self::Day, Self::Week, Self::Month];

    /// The period it ranks over.
    pub const fn time(self) -> Time {
        match self {
            Ranking::Day => Time::Today,
            Ranking::Week => Time::Week,
            Ranking::Month => Time::Month,
        }
    }

    /// `day`, `week` or `month`.
    pub const fn name(self) -> &'static str {
        match self {
            Ranking::Day => "day",
            Ranking::Week => "week",
            Ranking::Month => "month",
        }
    }
}

/// One page of the logged-in user's favourites (see
/// [`Client::favorites`](crate::Client::favorites)).
///
/// ```
/// use jmcomic_client::{FavoriteQuery, Order};
///
/// let q = FavoriteQuery::new().folder("123").order(Order::MostPictures).page(3);
/// assert_eq!((q.folder.as_str(), q.order.as_wire(), q.page), ("123", "mp", 3));
/// assert_eq!(FavoriteQuery::default().folder, "0"); // every favourite
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FavoriteQuery {
    /// The folder id; `"0"` (the default) is every favourite.
    pub folder: String,
    /// [`Order::Latest`] (newest favourite first, the default) or [`Order::MostPictures`]
    /// (the site sorts by latest update then).
    // Spec §6.2.3.
    pub order: Order,
    /// The 1-based page; 0 is read as 1.
    pub page: u32,
}

impl Default for FavoriteQuery {
    fn default() -> Self {
        Self {
            folder: jmcomic_model::FavoriteFolder::DEFAULT_ID.to_owned(),
            order: Order::Latest,
            page: 1,
        }
    }
}

impl FavoriteQuery {
    /// Every favourite, newest first, page 1.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the folder id.
    pub fn folder(mut self, folder: impl Into<String>) -> Self {
        self.folder = folder.into();
        self
    }

    /// Sets the order.
    pub fn order(mut self, order: Order) -> Self {
        self.order = order;
        self
    }

    /// Sets the 1-based page.
    pub fn page(mut self, page: u32) -> Self {
        self.page = page;
        self
    }
}

/// Whose comments to read: one album's, or the site-wide forum's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CommentTarget {
    /// One album's comments, by the album's id (resolve a chapter id with
    /// [`Client::album`](crate::Client::album) first: the site keys comments by album).
    Album(jmcomic_model::JmId),
    /// The site-wide comment feed (the forum).
    Forum,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_values_are_the_sites() {
        let tags: Vec<u8> = SearchBy::ALL.iter().map(|b| b.main_tag()).collect();
        assert_eq!(tags, [0, 1, 2, 3, 4]);
        let orders: Vec<&str> = Order::ALL.iter().map(|o| o.as_wire()).collect();
        assert_eq!(orders, ["mr", "mv", "mp", "tf", "tr", "md"]);
        let times: Vec<&str> = Time::ALL.iter().map(|t| t.as_wire()).collect();
        assert_eq!(times, ["a", "t", "w", "m"]);
        let categories: Vec<&str> = Category::ALL.iter().map(|c| c.as_wire()).collect();
        assert_eq!(
            categories,
            [
                "0",
                "doujin",
                "single",
                "short",
                "another",
                "hanman",
                "meiman",
                "doujin_cosplay",
                "3D",
                "english_site"
            ]
        );
    }

    #[test]
    fn wire_values_read_back() {
        for b in SearchBy::ALL {
            assert_eq!(SearchBy::from_main_tag(b.main_tag()), Some(b));
        }
        for o in Order::ALL {
            assert_eq!(Order::from_wire(o.as_wire()), Some(o));
        }
        for t in Time::ALL {
            assert_eq!(Time::from_wire(t.as_wire()), Some(t));
        }
        for c in Category::ALL {
            assert_eq!(Category::from_wire(c.as_wire()), Some(c));
        }
        assert_eq!(SearchBy::from_main_tag(5), None);
        assert_eq!(Order::from_wire("mv_m"), None);
        assert_eq!(Category::from_wire("3d"), None);
    }

    #[test]
    fn defaults_are_the_python_packages() {
        let q = SearchQuery::new("x");
        assert_eq!(
            (q.by, q.order, q.time, q.category, q.page),
            (SearchBy::Site, Order::Latest, Time::All, Category::All, 1)
        );
        assert_eq!(q.sub_category, None);
        let q = q.category(Category::Doujin).sub_category("CG");
        assert_eq!(q.sub_category.as_deref(), Some("CG"));
    }
}
