//! Search, category and ranking results from the catalog, shared by the API (`/search`,
//! `/categories/filter`) and the HTML site (`/search/photos`, `/albums`), so both sides list
//! the same albums in the same order (spec §6.1.1b, §6.2.3, §6.3.3).

use std::cmp::Reverse;

use crate::catalog::{AlbumSpec, Catalog, Period};

/// The order parameter `o` (spec §6.1.1b).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    /// `mr` latest (the default): newest id first (the site's ids grow with time).
    Latest,
    /// `mv` most viewed (in the period, when one is given).
    Views,
    /// `mp` most pictures.
    Pictures,
    /// `tf` most liked.
    Likes,
    /// `tr` top rated. The spec calls it web only; the emulator answers it on the API too
    /// (what the real API does with it is unknown).
    TopRated,
    /// `md` most commented (web only per the spec; same note as `tr`).
    Comments,
}

impl Order {
    /// Parses `o`. Ranking values such as `mv_m` carry a period after `_` (spec §6.2.3: the
    /// API sends `o = "{order}_{time}"` unless the time is `a`). Unknown orders are the
    /// default, as the emulator always answered them.
    pub(crate) fn parse(text: &str) -> (Self, Option<Period>) {
        let (order, period) = match text.split_once('_') {
            Some((o, t)) => (o, Period::from_wire(t)),
            None => (text, None),
        };
        let order = match order {
            "mv" => Self::Views,
            "mp" => Self::Pictures,
            "tf" => Self::Likes,
            "tr" => Self::TopRated,
            "md" => Self::Comments,
            _ => Self::Latest,
        };
        (order, period)
    }
}

/// Which albums a search or category listing wants.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Filter<'a> {
    /// Search text in the site's syntax; empty = every album.
    pub text: &'a str,
    /// 0 site, 1 work, 2 author, 3 tag, 4 actor.
    pub main_tag: u8,
    pub order: Order,
    pub period: Period,
    /// Category slug; `None` = all (`0`).
    pub category: Option<&'a str>,
    pub sub_category: Option<&'a str>,
}

/// Whether an album matches one search term in the fields `main_tag` selects (spec §6.1.1b:
/// 0 site, 1 work, 2 author, 3 tag, 4 actor), case-insensitively.
fn matches_term(album: &AlbumSpec, main_tag: u8, term: &str) -> bool {
    let hit = |s: &String| s.to_lowercase().contains(term);
    match main_tag {
        1 => album.works.iter().any(hit),
        2 => album.authors.iter().any(hit),
        3 => album.tags.iter().any(hit),
        4 => album.actors.iter().any(hit),
        _ => {
            hit(&album.title)
                || album.tags.iter().any(hit)
                || album.authors.iter().any(hit)
                || album.works.iter().any(hit)
                || album.actors.iter().any(hit)
        }
    }
}

/// The site's query syntax (spec §6.1.1b): `+A` must match, `-B` must not, plain terms: at
/// least one must match. A single term is a plain substring search.
pub(crate) fn matches_query(album: &AlbumSpec, main_tag: u8, query: &str) -> bool {
    let query = query.to_lowercase();
    let mut any_plain = false;
    let mut plain_hit = false;
    for term in query.split_whitespace() {
        if let Some(required) = term.strip_prefix('+').filter(|t| !t.is_empty()) {
            if !matches_term(album, main_tag, required) {
                return false;
            }
        } else if let Some(excluded) = term.strip_prefix('-').filter(|t| !t.is_empty()) {
            if matches_term(album, main_tag, excluded) {
                return false;
            }
        } else {
            any_plain = true;
            plain_hit |= matches_term(album, main_tag, term);
        }
    }
    !any_plain || plain_hit
}

/// Every matching album of the catalog (the placeholder never), in the filter's order.
pub(crate) fn run<'c>(catalog: &'c Catalog, f: &Filter<'_>) -> Vec<&'c AlbumSpec> {
    let mut hits: Vec<&AlbumSpec> = catalog
        .albums
        .iter()
        .filter(|a| f.category.is_none_or(|c| a.category == c))
        .filter(|a| {
            f.sub_category
                .is_none_or(|s| a.sub_category.as_deref() == Some(s))
        })
        .filter(|a| f.period == Period::All || a.views_in(f.period) > 0)
        .filter(|a| matches_query(a, f.main_tag, f.text))
        .collect();
    // Ties (and `mr`) fall back to the newest id first.
    match f.order {
        Order::Latest => hits.sort_by_key(|a| Reverse(a.id)),
        Order::Views => hits.sort_by_key(|a| (Reverse(a.views_in(f.period)), Reverse(a.id))),
        Order::Pictures => hits.sort_by_key(|a| (Reverse(a.page_count()), Reverse(a.id))),
        Order::Likes => hits.sort_by_key(|a| (Reverse(a.likes), Reverse(a.id))),
        Order::TopRated => hits.sort_by_key(|a| (Reverse(a.rating()), Reverse(a.id))),
        Order::Comments => hits.sort_by_key(|a| (Reverse(a.comments), Reverse(a.id))),
    }
    hits
}

/// The items of 1-based page `page` of `size` items (empty past the end).
pub(crate) fn page_of<T>(items: &[T], page: u64, size: usize) -> &[T] {
    let skip = usize::try_from(page.max(1) - 1)
        .unwrap_or(usize::MAX)
        .saturating_mul(size);
    let start = skip.min(items.len());
    let end = start.saturating_add(size).min(items.len());
    &items[start..end]
}

/// Pages needed for `total` items (at least 1).
pub(crate) fn page_count(total: usize, size: usize) -> usize {
    total.div_ceil(size).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_syntax() {
        let a = AlbumSpec::single(1, "Hello World", Vec::new()).with_tags(&["Tag1", "中文"]);
        assert!(matches_query(&a, 0, "hello"));
        assert!(matches_query(&a, 0, "中文"));
        assert!(matches_query(&a, 0, "nothing world"));
        assert!(!matches_query(&a, 0, "+nothing world"));
        assert!(!matches_query(&a, 0, "hello -tag1"));
        assert!(matches_query(&a, 3, "tag1"));
        assert!(!matches_query(&a, 3, "hello"));
        assert!(matches_query(&a, 0, ""));
    }

    #[test]
    fn orders_parse_with_periods() {
        assert_eq!(Order::parse("mv_m"), (Order::Views, Some(Period::Month)));
        assert_eq!(Order::parse("mv_t"), (Order::Views, Some(Period::Day)));
        assert_eq!(Order::parse("tr"), (Order::TopRated, None));
        assert_eq!(Order::parse("zz"), (Order::Latest, None));
    }

    #[test]
    fn paging() {
        let items: Vec<u32> = (0..45).collect();
        assert_eq!(page_of(&items, 1, 20).len(), 20);
        assert_eq!(page_of(&items, 3, 20), &items[40..]);
        assert!(page_of(&items, 4, 20).is_empty());
        assert!(page_of(&items, u64::MAX, 20).is_empty());
        assert_eq!(page_count(45, 20), 3);
        assert_eq!(page_count(0, 20), 1);
    }

    #[test]
    fn periods_nest_and_rankings_differ() {
        let c = Catalog::standard();
        let ranking = |period| {
            let f = Filter {
                text: "",
                main_tag: 0,
                order: Order::Views,
                period,
                category: None,
                sub_category: None,
            };
            run(&c, &f).iter().map(|a| a.id).collect::<Vec<_>>()
        };
        let (day, week, month, all) = (
            ranking(Period::Day),
            ranking(Period::Week),
            ranking(Period::Month),
            ranking(Period::All),
        );
        assert!(!day.is_empty(), "someone was read today");
        assert!(day.len() < week.len() && week.len() < month.len() && month.len() < all.len());
        assert!(day.iter().all(|id| week.contains(id)));
        assert!(week.iter().all(|id| month.contains(id)));
        for a in &c.albums {
            let v = [Period::Day, Period::Week, Period::Month, Period::All].map(|p| a.views_in(p));
            assert!(v.windows(2).all(|w| w[0] <= w[1]), "{}: {v:?}", a.id);
        }
        assert_ne!(week[..3], month[..3]);
        assert_ne!(month[..3], all[..3]);
    }
}
