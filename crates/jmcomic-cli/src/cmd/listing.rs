//! `jmcomic search` and `jmcomic rank`, and what every album listing shares (favourites
//! too): one page or all of them, a table on a terminal or one JSON document, and
//! `--download` of what was listed.

use anyhow::Result;
use futures::{Stream, StreamExt};
use jmcomic::client::{Category, CategoryQuery, Order, Ranking, SearchBy, SearchQuery, Time};
use jmcomic::model::SearchItem;
use jmcomic::{Options, Target};
use serde_json::json;

use super::{load_options, site};
use crate::args::{Common, ListingArgs, RankArgs, SearchArgs};
use crate::ui::{Display, Table};
use crate::{Outcome, UsageError, outln};

/// `jmcomic search QUERY`.
pub fn search(args: &SearchArgs) -> Result<Outcome> {
    let mut query = SearchQuery::new(args.query.trim())
        .by(parse_by(&args.by)?)
        .order(parse_order(&args.order)?)
        .time(parse_time(&args.time)?)
        .page(args.listing.page.max(1));
    if let Some(c) = &args.category {
        query = query.category(parse_category(c)?);
    }
    if let Some(s) = &args.sub {
        query = query.sub_category(s.trim());
    }
    if query.text.is_empty() {
        return Err(UsageError("search: the query is empty".to_owned()).into());
    }
    let options = load_options(&args.common)?;
    crate::logging::init(&args.common, &options, None, None, None, true);
    let (client, runtime) = site(&options)?;
    let describe = json!({
        "command": "search",
        "query": query.text,
        "by": args.by,
        "order": query.order.as_wire(),
        "time": query.time.as_wire(),
        "category": query.category.as_wire(),
        "sub_category": query.sub_category,
    });
    let pages = client.search_pages(query.clone());
    let listed = runtime.block_on(collect(pages, &args.listing, |p| {
        (p.page, p.total, p.page_count(), p.items.clone(), p.redirect)
    }))?;
    show(&listed, describe, &args.listing, &args.common, options)
}

/// `jmcomic rank day|week|month`.
pub fn rank(args: &RankArgs) -> Result<Outcome> {
    let ranking = match args.period.trim().to_ascii_lowercase().as_str() {
        "day" | "today" | "t" => Ranking::Day,
        "week" | "w" => Ranking::Week,
        "month" | "m" => Ranking::Month,
        other => {
            return Err(UsageError(format!(
                "rank: `{other}` is not a period; use day, week or month"
            ))
            .into());
        }
    };
    let mut query = CategoryQuery::ranking(ranking).page(args.listing.page.max(1));
    if let Some(c) = &args.category {
        query = query.category(parse_category(c)?);
    }
    let options = load_options(&args.common)?;
    crate::logging::init(&args.common, &options, None, None, None, true);
    let (client, runtime) = site(&options)?;
    let describe = json!({
        "command": "rank",
        "period": ranking.name(),
        "category": query.category.as_wire(),
    });
    let pages = client.category_pages(query);
    let listed = runtime.block_on(collect(pages, &args.listing, |p| {
        (p.page, p.total, p.page_count(), p.items.clone(), None)
    }))?;
    show(&listed, describe, &args.listing, &args.common, options)
}

/// What a listing found: the pages read, the total the site gave, the albums.
pub struct Listed {
    /// Page numbers read.
    pub pages: Vec<u32>,
    /// Albums in the whole listing, as the site counts them.
    pub total: u64,
    /// Pages of the whole listing.
    pub page_count: u64,
    /// The albums read, in order, each once.
    pub items: Vec<SearchItem>,
    /// The search was an exact album id: the album it names.
    pub redirect: Option<jmcomic::JmId>,
}

/// A page's parts: number, total, page count, items, redirect.
type PageParts = (u32, u64, u64, Vec<SearchItem>, Option<jmcomic::JmId>);

/// Reads one page, or every page with `--all`, up to `--limit` albums. On a terminal, says
/// on stderr which page is being read when there are several.
pub async fn collect<P, E>(
    pages: impl Stream<Item = Result<P, E>>,
    listing: &ListingArgs,
    parts: impl Fn(&P) -> PageParts,
) -> Result<Listed>
where
    E: std::error::Error + Send + Sync + 'static,
{
    let mut listed = Listed {
        pages: Vec::new(),
        total: 0,
        page_count: 0,
        items: Vec::new(),
        redirect: None,
    };
    let mut seen = std::collections::HashSet::new();
    let mut pages = std::pin::pin!(pages);
    let chatty =
        listing.all && !listing.json && std::io::IsTerminal::is_terminal(&std::io::stderr());
    while let Some(page) = pages.next().await {
        let (number, total, count, items, redirect) = parts(&page?);
        listed.pages.push(number);
        listed.total = total;
        listed.page_count = count;
        listed.redirect = listed.redirect.or(redirect);
        for item in items {
            // The site can list an album on two pages when the listing moves under us.
            if seen.insert(item.id) {
                listed.items.push(item);
            }
        }
        if chatty {
            eprint!("\rread page {number} of {count}…");
        }
        let full = listing.limit.is_some_and(|l| listed.items.len() >= l);
        if !listing.all || full {
            break;
        }
    }
    if chatty {
        eprintln!();
    }
    if let Some(limit) = listing.limit {
        listed.items.truncate(limit);
    }
    Ok(listed)
}

/// Prints a listing (table or JSON) and runs `--download`.
pub fn show(
    listed: &Listed,
    mut describe: serde_json::Value,
    listing: &ListingArgs,
    common: &Common,
    options: Options,
) -> Result<Outcome> {
    if listing.json {
        if let Some(obj) = describe.as_object_mut() {
            obj.insert("total".into(), json!(listed.total));
            obj.insert("page_count".into(), json!(listed.page_count));
            obj.insert("pages".into(), json!(listed.pages));
            obj.insert("redirect".into(), json!(listed.redirect));
            obj.insert("items".into(), json!(listed.items));
        }
        outln!("{}", serde_json::to_string_pretty(&describe)?);
    } else {
        if let Some(id) = listed.redirect {
            outln!("the query is album JM{id}'s id (`jmcomic show {id}` for its details)");
        }
        print_items(&listed.items);
        if !common.quiet {
            let pages = match (listed.pages.first(), listed.pages.last()) {
                (Some(a), Some(b)) if a != b => format!("pages {a}-{b}"),
                (Some(a), _) => format!("page {a}"),
                _ => "no page".to_owned(),
            };
            eprintln!(
                "{pages} of {}, {} album(s) listed, {} in all",
                listed.page_count.max(1),
                listed.items.len(),
                listed.total
            );
        }
    }
    if !listing.download {
        return Ok(Outcome::Done);
    }
    let mut targets: Vec<Target> = listed.items.iter().map(|i| Target::album(i.id)).collect();
    if let Some(id) = listed.redirect
        && targets.is_empty()
    {
        targets.push(Target::album(id));
    }
    if targets.is_empty() {
        eprintln!("nothing to download");
        return Ok(Outcome::Done);
    }
    download(options, targets, listing.json, common)
}

/// Downloads `targets` as `jmcomic ID...` would (with `--json`, the events follow the
/// listing as JSON lines).
pub fn download(
    options: Options,
    targets: Vec<Target>,
    json: bool,
    common: &Common,
) -> Result<Outcome> {
    super::download::run_download(
        super::download::Job {
            options,
            targets,
            display: Display::choose(json, false, common.quiet),
            report_path: None,
            features: jmcomic::plugin::Features::new(),
            no_progress: false,
            dry_run: false,
            log_file: None,
        },
        common,
    )
}

/// The albums as a table: id, title, author, category.
pub fn print_items(items: &[SearchItem]) {
    let mut table = Table::new(&["ID", "TITLE", "AUTHOR", "TAGS"], 1);
    for i in items {
        table.row(&[
            i.id.to_string(),
            i.name.clone(),
            i.author.clone(),
            i.tags.join(" "),
        ]);
    }
    table.print();
}

fn bad_value(flag: &str, got: &str, valid: &[&str]) -> anyhow::Error {
    let hint = valid
        .iter()
        .map(|v| {
            (
                strsim::damerau_levenshtein(&got.to_ascii_lowercase(), v),
                *v,
            )
        })
        .filter(|(d, v)| *d <= (v.len() / 3).max(1))
        .min()
        .map(|(_, v)| format!(" (did you mean `{v}`?)"))
        .unwrap_or_default();
    UsageError(format!(
        "{flag}: `{got}` is not one of {}{hint}",
        valid.join(", ")
    ))
    .into()
}

/// `--by`.
pub fn parse_by(text: &str) -> Result<SearchBy> {
    Ok(match text.trim().to_ascii_lowercase().as_str() {
        "title" | "site" | "all" | "0" => SearchBy::Site,
        "work" | "works" | "1" => SearchBy::Work,
        "author" | "2" => SearchBy::Author,
        "tag" | "tags" | "3" => SearchBy::Tag,
        "actor" | "character" | "4" => SearchBy::Actor,
        _ => {
            return Err(bad_value(
                "--by",
                text,
                &["title", "author", "tag", "actor", "work"],
            ));
        }
    })
}

/// `--order`.
pub fn parse_order(text: &str) -> Result<Order> {
    let t = text.trim().to_ascii_lowercase();
    if let Some(o) = Order::from_wire(&t) {
        return Ok(o);
    }
    Ok(match t.as_str() {
        "latest" | "new" | "newest" => Order::Latest,
        "views" | "viewed" => Order::MostViewed,
        "pictures" | "pages" => Order::MostPictures,
        "likes" | "liked" => Order::MostLiked,
        "rating" | "rated" => Order::TopRated,
        "comments" | "commented" => Order::MostCommented,
        _ => {
            return Err(bad_value(
                "--order",
                text,
                &["latest", "views", "pictures", "likes", "rating", "comments"],
            ));
        }
    })
}

/// `--time`.
pub fn parse_time(text: &str) -> Result<Time> {
    let t = text.trim().to_ascii_lowercase();
    if let Some(v) = Time::from_wire(&t) {
        return Ok(v);
    }
    Ok(match t.as_str() {
        "all" => Time::All,
        "day" | "today" => Time::Today,
        "week" => Time::Week,
        "month" => Time::Month,
        _ => return Err(bad_value("--time", text, &["all", "day", "week", "month"])),
    })
}

/// `--category`.
pub fn parse_category(text: &str) -> Result<Category> {
    let t = text.trim();
    if let Some(c) = Category::from_wire(t) {
        return Ok(c);
    }
    Ok(match t.to_ascii_lowercase().as_str() {
        "all" => Category::All,
        "doujin" => Category::Doujin,
        "single" => Category::Single,
        "short" => Category::Short,
        "another" | "other" => Category::Another,
        "hanman" => Category::Hanman,
        "meiman" => Category::Meiman,
        "cosplay" => Category::Cosplay,
        "3d" => Category::ThreeD,
        "english" => Category::EnglishSite,
        _ => {
            return Err(bad_value(
                "--category",
                text,
                &[
                    "doujin", "single", "short", "another", "hanman", "meiman", "cosplay", "3d",
                    "english",
                ],
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_both_ways() {
        assert_eq!(parse_by("Title").unwrap(), SearchBy::Site);
        assert_eq!(parse_by("actor").unwrap(), SearchBy::Actor);
        assert_eq!(parse_order("mv").unwrap(), Order::MostViewed);
        assert_eq!(parse_order("views").unwrap(), Order::MostViewed);
        assert_eq!(parse_time("w").unwrap(), Time::Week);
        assert_eq!(parse_time("month").unwrap(), Time::Month);
        assert_eq!(parse_category("3d").unwrap(), Category::ThreeD);
        assert_eq!(parse_category("doujin_cosplay").unwrap(), Category::Cosplay);
        let e = parse_by("auther").unwrap_err().to_string();
        assert!(e.contains("did you mean `author`"), "{e}");
        let e = parse_category("nope").unwrap_err().to_string();
        assert!(e.contains("doujin, single"), "{e}");
    }
}
