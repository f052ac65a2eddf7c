//! The account features over the mobile API against the emulator: login and sessions,
//! favourites (idempotent, racing clients, folders), listings paged to the end, rankings,
//! comments, the daily check-in. Expected results come from the emulator's catalog and its
//! user state, never from the client.

use std::collections::HashSet;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::TryStreamExt;
use jmcomic_client::{
    Category, CategoryQuery, Client, CommentTarget, Error, FavoriteQuery, Ranking, SavedSession,
    SearchBy, SearchQuery,
};
use jmcomic_emulator::{
    AlbumSpec, Catalog, DEFAULT_PASSWORD, DEFAULT_USERNAME, Emulator, PageKind, PageSpec, Period,
    UserSpec,
};
use jmcomic_model::{Comment, JmId, SearchPage};

use crate::support::client;

async fn logged_in(emu: &Emulator) -> Client {
    let c = client(emu);
    c.login(DEFAULT_USERNAME, DEFAULT_PASSWORD)
        .await
        .expect("the default account logs in");
    c
}

/// Albums of the generated part of [`big_catalog`].
const GENERATED: u64 = 170;
/// The tag every generated album has (and no standard album).
const GENERATED_TAG: &str = "generated-tag";

/// The standard catalog plus [`GENERATED`] one-page albums, enough for several pages of 80
/// in a search, a category (`hanman`: 100 of them) and every ranking.
fn big_catalog() -> Catalog {
    let mut catalog = Catalog::standard();
    for i in 0..GENERATED {
        let id = 3_000_001 + i * 7;
        let category = if i < 100 { "hanman" } else { "doujin" };
        let album = AlbumSpec::single(
            id,
            format!("Generated {i}"),
            vec![PageSpec::numbered(1, 8, 8, PageKind::LossyWebp)],
        )
        .with_authors(&[["Ann", "Bob", "Cid"][(i % 3) as usize]])
        .with_tags(&[GENERATED_TAG, ["red", "blue"][(i % 2) as usize]])
        .with_works(&[["Work Alpha", "Work Beta"][(i % 2) as usize]])
        .with_actors(&[["Actor Uno", "Actor Dos", "Actor Tres"][(i % 3) as usize]])
        .with_category(category, None);
        catalog = catalog.with_album(album);
    }
    catalog
}

fn ids(pages: &[SearchPage]) -> Vec<u64> {
    pages
        .iter()
        .flat_map(|p| p.items.iter().map(|i| i.id.get()))
        .collect()
}

/// Albums of the catalog, newest id first (the site's `mr`, latest).
fn newest_first<'a>(albums: impl Iterator<Item = &'a AlbumSpec>) -> Vec<u64> {
    let mut ids: Vec<u64> = albums.map(|a| a.id).collect();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids
}

fn assert_paged(pages: &[SearchPage], expected: &[u64], what: &str) {
    let numbers: Vec<u32> = pages.iter().map(|p| p.page).collect();
    let count = expected.len().div_ceil(80).max(1);
    assert_eq!(
        numbers,
        (1..=count as u32).collect::<Vec<_>>(),
        "{what}: page numbers"
    );
    assert!(
        pages.iter().all(|p| p.total == expected.len() as u64),
        "{what}: totals"
    );
    assert_eq!(ids(pages), expected, "{what}: albums in order");
}

/// A writer the tracing subscriber of one test writes into.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("no test panicked holding the log")
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn login_keeps_the_user_and_a_session_that_can_be_restored() {
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    assert!(!c.is_logged_in());
    assert_eq!(c.user(), None);
    let user = c.login(DEFAULT_USERNAME, DEFAULT_PASSWORD).await.unwrap();
    let state = emu.user_state(DEFAULT_USERNAME).unwrap();
    assert_eq!(user.uid, Some(state.uid));
    assert_eq!(user.username, state.username);
    assert_eq!(user.coin, Some(state.coin));
    assert_eq!(user.favorites, Some(state.favorites.len() as u64));
    assert!(user.favorites_max.is_some_and(|m| m > 0));
    assert!(user.level_name.as_deref().is_some_and(|l| !l.is_empty()));
    assert!(c.is_logged_in());
    assert_eq!(c.user(), Some(user.clone()));

    let saved = c.save_session();
    assert!(saved.is_logged_in());
    assert!(
        saved
            .cookies
            .iter()
            .any(|(k, v)| k == jmcomic_client::site::LOGIN_COOKIE && !v.is_empty())
    );
    assert_eq!(saved.user.as_ref(), Some(&user));
    // The session survives a file: JSON out, JSON back.
    let text = serde_json::to_string(&saved).unwrap();
    let back: SavedSession = serde_json::from_str(&text).unwrap();

    let fresh = client(&emu);
    assert!(!fresh.is_logged_in());
    fresh.restore_session(back);
    assert!(fresh.is_logged_in());
    assert_eq!(fresh.user(), Some(user));
    let page = fresh.favorites(&FavoriteQuery::new()).await.unwrap();
    let folder_ids: Vec<String> = state.folders.iter().map(|(f, _)| f.to_string()).collect();
    let seen: Vec<String> = page.folders.iter().map(|f| f.id.clone()).collect();
    assert_eq!(
        seen, folder_ids,
        "the restored session sees the user's folders"
    );
    // The restored session changes the account for real.
    let album = emu.catalog().albums[0].id;
    fresh.add_favorite(JmId::new(album), None).await.unwrap();
    let state = emu.user_state(DEFAULT_USERNAME).unwrap();
    assert_eq!(state.favorites, [(album, 0)]);
    assert!(
        fresh.daily().await.is_ok(),
        "the restored user id serves /daily"
    );
}

#[tokio::test]
async fn a_refused_login_names_the_user_and_never_the_password() {
    const PASSWORD: &str = "hunter2-not-the-password";
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // With a single subscriber registered, tracing-core works out which log lines are
    // wanted (and the global level) from the default of whichever thread registers a new
    // line: another test's thread, without one, would turn this one's capture off. A
    // second, idle subscriber registered makes it ask every live subscriber.
    let _idle = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let err = {
        // This test's runtime runs on this thread, so the thread's subscriber sees every
        // event of the client.
        let _guard = tracing::subscriber::set_default(subscriber);
        c.login(DEFAULT_USERNAME, PASSWORD).await.unwrap_err()
    };
    assert!(
        matches!(&err, Error::LoginRefused { username, message }
            if username == DEFAULT_USERNAME && !message.is_empty()),
        "{err:?}"
    );
    let shown = format!("{err} / {err:?}");
    assert!(shown.contains(DEFAULT_USERNAME), "{shown}");
    assert!(!shown.contains(PASSWORD), "{shown}");
    let logged = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(
        logged.contains("/login"),
        "the capture works: the request is logged\n{logged}"
    );
    assert!(!logged.contains(PASSWORD), "{logged}");
    assert!(!c.is_logged_in());
    assert_eq!(c.user(), None);
    // A POST with a form body: the URL, which names requests in logs and errors, is bare.
    let logins: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| r.path() == "/login")
        .collect();
    assert_eq!(logins.len(), 1);
    assert_eq!(
        (logins[0].method.as_str(), logins[0].path_and_query.as_str()),
        ("POST", "/login")
    );
    let other = c.login("nobody", DEFAULT_PASSWORD).await.unwrap_err();
    assert!(matches!(other, Error::LoginRefused { .. }), "{other:?}");
    // A refused login leaves the client usable.
    c.login(DEFAULT_USERNAME, DEFAULT_PASSWORD).await.unwrap();
    assert!(c.is_logged_in());
}

#[tokio::test]
async fn account_calls_without_a_login_say_so() {
    let emu = Emulator::start().unwrap();
    let album = JmId::new(emu.catalog().albums[0].id);
    let c = client(&emu);
    let errors = [
        c.favorites(&FavoriteQuery::new()).await.unwrap_err(),
        c.add_favorite(album, None).await.unwrap_err(),
        c.remove_favorite(album).await.unwrap_err(),
        c.daily().await.unwrap_err(),
        c.check_in().await.unwrap_err(),
    ];
    for e in &errors {
        assert!(e.needs_login(), "{e:?}");
    }
    // Comments need no account.
    assert!(
        !c.comments(CommentTarget::Forum, 1)
            .await
            .unwrap()
            .comments
            .is_empty()
    );

    // A session the site ended: the site's answer becomes the same error, with its reason.
    let c = logged_in(&emu).await;
    emu.expire_sessions();
    let e = c.favorites(&FavoriteQuery::new()).await.unwrap_err();
    assert!(
        matches!(&e, Error::NeedsLogin { reason, .. } if !reason.is_empty()),
        "{e:?}"
    );
    let e = c.check_in().await.unwrap_err();
    assert!(e.needs_login(), "{e:?}");

    // A login cookie without the user (e.g. a configured `AVS`) serves favourites, but
    // the check-in needs the user id.
    let c = logged_in(&emu).await;
    let cookies = c.save_session().cookies;
    let cookie_only = client(&emu);
    cookie_only.restore_session(SavedSession::new(cookies, None));
    cookie_only.favorites(&FavoriteQuery::new()).await.unwrap();
    let e = cookie_only.daily().await.unwrap_err();
    assert!(e.needs_login(), "{e:?}");
}

#[tokio::test]
async fn favourites_are_added_and_removed_once() {
    let emu = Emulator::start().unwrap();
    let c = logged_in(&emu).await;
    let favorites = || emu.user_state(DEFAULT_USERNAME).unwrap().favorites;
    // A multi-chapter album, named by its second chapter: the album is what changes.
    let spec = emu
        .catalog()
        .albums
        .iter()
        .find(|a| a.chapters.len() > 1)
        .unwrap();
    let album = JmId::new(spec.id);
    let chapter = JmId::new(spec.chapters[1].id);

    let first = c.add_favorite(chapter, None).await.unwrap();
    assert_eq!(
        (first.album, first.favorite, first.changed),
        (album, true, true)
    );
    assert_eq!(favorites(), [(spec.id, 0)]);
    let toggles: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path() == "/favorite")
        .collect();
    assert_eq!(toggles.len(), 1, "one toggle, of the album");
    let again = c.add_favorite(album, None).await.unwrap();
    assert_eq!((again.favorite, again.changed), (true, false));
    assert_eq!(
        favorites(),
        [(spec.id, 0)],
        "asking twice did not toggle it back"
    );
    assert!(c.album(album).await.unwrap().is_favorite);
    let listed = c.favorites(&FavoriteQuery::new()).await.unwrap();
    assert_eq!(listed.total, 1);
    assert_eq!(listed.items[0].id, album);
    assert_eq!(listed.items[0].name, spec.title);

    let removed = c.remove_favorite(album).await.unwrap();
    assert_eq!((removed.favorite, removed.changed), (false, true));
    assert!(favorites().is_empty());
    let again = c.remove_favorite(album).await.unwrap();
    assert_eq!((again.favorite, again.changed), (false, false));
    assert!(favorites().is_empty());
    assert!(!c.album(album).await.unwrap().is_favorite);
    assert_eq!(c.favorites(&FavoriteQuery::new()).await.unwrap().total, 0);

    // The API cannot choose a folder: refused before anything is asked.
    let folder = emu.user_state(DEFAULT_USERNAME).unwrap().folders[0].0;
    emu.clear_requests();
    let e = c
        .add_favorite(album, Some(&folder.to_string()))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e:?}");
    assert!(emu.requests().is_empty());
    assert!(favorites().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_clients_leave_the_favourites_as_asked() {
    race(false).await;
}

/// The same race through the web client (whose add and delete are separate requests, but
/// whose look-and-check is the same).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_web_clients_leave_the_favourites_as_asked() {
    race(true).await;
}

async fn race(web: bool) {
    let albums = &Catalog::standard().albums;
    let (add, remove) = (albums[0].id, albums[1].id);
    let emu = Emulator::builder()
        .account(UserSpec::default_user().with_favorite(remove, None))
        // A little latency, so that requests of the two clients overlap.
        .latency(Duration::from_millis(2))
        .start()
        .expect("race");
    // Two clients, two sessions of the same user: their per-client lock does not order
    // one against the other.
    let one = || async {
        if !web {
            return logged_in(&emu).await;
        }
        let c = crate::support::builder(&emu)
            .protocol(jmcomic_client::ProtocolKind::Html)
            .html_domains(emu.html_domains())
            .build()
            .expect("race");
        c.login(DEFAULT_USERNAME, DEFAULT_PASSWORD)
            .await
            .expect("race");
        c
    };
    let clients = [one().await, one().await];
    let mut tasks = Vec::new();
    for i in 0..8 {
        let c = clients[i % 2].clone();
        tasks.push(tokio::spawn(async move {
            (true, c.add_favorite(JmId::new(add), None).await)
        }));
    }
    for i in 0..4 {
        let c = clients[i % 2].clone();
        tasks.push(tokio::spawn(async move {
            (false, c.remove_favorite(JmId::new(remove)).await)
        }));
    }
    let mut changed = [0, 0];
    for task in tasks {
        let (adding, result) = task.await.expect("race");
        let done = result.expect("race");
        assert_eq!(done.favorite, adding);
        changed[usize::from(adding)] += usize::from(done.changed);
    }
    assert!(changed[1] >= 1 && changed[0] >= 1, "{changed:?}");
    let state = emu.user_state(DEFAULT_USERNAME).expect("race");
    assert_eq!(state.favorites, [(add, 0)]);
    for c in &clients {
        assert!(c.album(JmId::new(add)).await.expect("race").is_favorite);
        assert!(!c.album(JmId::new(remove)).await.expect("race").is_favorite);
    }
}

#[tokio::test]
async fn a_folder_pages_to_its_last_page() {
    let catalog = big_catalog();
    let generated: Vec<u64> = catalog
        .albums
        .iter()
        .filter(|a| a.tags.iter().any(|t| t == GENERATED_TAG))
        .map(|a| a.id)
        .collect();
    let mut user = UserSpec::default_user();
    let first_folder = user.folders[0].clone();
    let second_folder = user.folders[1].clone();
    for (i, id) in generated.iter().take(50).enumerate() {
        let folder = if i < 45 {
            &first_folder
        } else {
            &second_folder
        };
        user = user.with_favorite(*id, Some(folder));
    }
    let emu = Emulator::builder()
        .catalog(catalog)
        .account(user)
        .start()
        .unwrap();
    let state = emu.user_state(DEFAULT_USERNAME).unwrap();
    let c = logged_in(&emu).await;

    let all = c.favorites(&FavoriteQuery::new()).await.unwrap();
    assert_eq!(all.total, 50);
    assert_eq!(all.items.len(), 20);
    let expected_folders: Vec<(String, String)> = state
        .folders
        .iter()
        .map(|(id, name)| (id.to_string(), name.clone()))
        .collect();
    let folders: Vec<(String, String)> = all
        .folders
        .iter()
        .map(|f| (f.id.clone(), f.name.clone()))
        .collect();
    assert_eq!(folders, expected_folders);
    assert_eq!(all.all_folders("all")[0].id, "0");

    let (fid, _) = state
        .folders
        .iter()
        .find(|(_, name)| *name == first_folder)
        .unwrap();
    // Newest favourite first; the snapshot lists them oldest first.
    let expected: Vec<u64> = state
        .favorites
        .iter()
        .rev()
        .filter(|(_, f)| f == fid)
        .map(|(a, _)| *a)
        .collect();
    assert_eq!(expected.len(), 45);
    let pages: Vec<_> = c
        .favorite_pages(FavoriteQuery::new().folder(fid.to_string()))
        .try_collect()
        .await
        .unwrap();
    let numbers: Vec<u32> = pages.iter().map(|p| p.page).collect();
    assert_eq!(numbers, [1, 2, 3]);
    let asked: Vec<String> = emu
        .requests()
        .into_iter()
        .filter(|r| {
            r.path() == "/favorite" && r.path_and_query.contains(&format!("folder_id={fid}"))
        })
        .map(|r| r.path_and_query)
        .collect();
    assert_eq!(asked.len(), 3, "{asked:?}");
    assert!(asked.iter().all(|q| q.contains("o=mr")), "{asked:?}");
    assert_eq!(pages[2].items.len(), 5);
    assert!(
        pages
            .iter()
            .all(|p| p.total == 45 && p.folder == fid.to_string())
    );
    let got: Vec<u64> = pages
        .iter()
        .flat_map(|p| p.items.iter().map(|i| i.id.get()))
        .collect();
    assert_eq!(got, expected);
    // From page 2 on, the stream starts there.
    let rest: Vec<_> = c
        .favorite_pages(FavoriteQuery::new().folder(fid.to_string()).page(2))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rest.iter().map(|p| p.page).collect::<Vec<_>>(), [2, 3]);
}

#[tokio::test]
async fn searches_and_categories_page_to_the_end() {
    let emu = Emulator::builder().catalog(big_catalog()).start().unwrap();
    let c = client(&emu);
    let catalog = emu.catalog();

    let pages: Vec<_> = c
        .search_pages(SearchQuery::new(GENERATED_TAG).by(SearchBy::Tag))
        .try_collect()
        .await
        .unwrap();
    let expected = newest_first(
        catalog
            .albums
            .iter()
            .filter(|a| a.tags.iter().any(|t| t == GENERATED_TAG)),
    );
    assert_eq!(expected.len() as u64, GENERATED);
    assert_paged(&pages, &expected, "search by tag");

    let pages: Vec<_> = c
        .category_pages(CategoryQuery::new().category(Category::Hanman))
        .try_collect()
        .await
        .unwrap();
    let expected = newest_first(catalog.albums.iter().filter(|a| a.category == "hanman"));
    assert!(expected.len() > 80);
    assert_paged(&pages, &expected, "category hanman");

    let pages: Vec<_> = c
        .category_pages(CategoryQuery::new())
        .try_collect()
        .await
        .unwrap();
    assert_paged(
        &pages,
        &newest_first(catalog.albums.iter()),
        "every category",
    );

    // The sub-category has no API parameter: the listing is the category's.
    let sub = c
        .categories(
            &CategoryQuery::new()
                .category(Category::Doujin)
                .sub_category("CG"),
        )
        .await
        .unwrap();
    let doujin = newest_first(catalog.albums.iter().filter(|a| a.category == "doujin"));
    assert_eq!(sub.total, doujin.len() as u64);
}

/// The fields of an album one kind of search looks in.
type Fields = fn(&AlbumSpec) -> Vec<String>;

#[tokio::test]
async fn each_search_field() {
    let emu = Emulator::builder().catalog(big_catalog()).start().unwrap();
    let c = client(&emu);
    let catalog = emu.catalog();
    let has = |fields: &[String], term: &str| {
        let term = term.to_lowercase();
        fields.iter().any(|f| f.to_lowercase().contains(&term))
    };
    let cases: [(SearchBy, &str, Fields); 5] = [
        (SearchBy::Work, "beta", |a| a.works.clone()),
        (SearchBy::Author, "cid", |a| a.authors.clone()),
        (SearchBy::Tag, "blue", |a| a.tags.clone()),
        (SearchBy::Actor, "dos", |a| a.actors.clone()),
        (SearchBy::Site, "bob", |a| {
            let mut all = vec![a.title.clone()];
            all.extend(
                a.tags
                    .iter()
                    .chain(&a.authors)
                    .chain(&a.works)
                    .chain(&a.actors)
                    .cloned(),
            );
            all
        }),
    ];
    for (by, term, fields) in cases {
        let expected = newest_first(catalog.albums.iter().filter(|a| has(&fields(a), term)));
        assert!(!expected.is_empty(), "{by:?}");
        let pages: Vec<_> = c
            .search_pages(SearchQuery::new(term).by(by))
            .try_collect()
            .await
            .unwrap();
        assert_paged(&pages, &expected, &format!("{by:?} {term}"));
    }
    // The field matters: an author's name is no tag.
    let none = c
        .search(&SearchQuery::new("Cid").by(SearchBy::Tag))
        .await
        .unwrap();
    assert_eq!((none.total, none.items.len()), (0, 0));
}

#[tokio::test]
async fn rankings_order_by_the_periods_views() {
    let emu = Emulator::builder().catalog(big_catalog()).start().unwrap();
    let c = client(&emu);
    for (ranking, period) in [
        (Ranking::Day, Period::Day),
        (Ranking::Week, Period::Week),
        (Ranking::Month, Period::Month),
    ] {
        let mut ranked: Vec<&AlbumSpec> = emu
            .catalog()
            .albums
            .iter()
            .filter(|a| a.views_in(period) > 0)
            .collect();
        ranked.sort_by_key(|a| std::cmp::Reverse((a.views_in(period), a.id)));
        let expected: Vec<u64> = ranked.iter().map(|a| a.id).collect();
        let pages: Vec<_> = c
            .category_pages(CategoryQuery::ranking(ranking))
            .try_collect()
            .await
            .unwrap();
        assert_paged(&pages, &expected, ranking.name());
        emu.clear_requests();
        let first = c.ranking(ranking, 1).await.unwrap();
        assert_eq!(first.items, pages[0].items);
        // The API's parameters: `order` empty, the time folded into `o`.
        let sent = emu.requests();
        let query = &sent.last().unwrap().path_and_query;
        let o = format!("o=mv_{}", period.wire());
        assert!(
            query.starts_with("/categories/filter?")
                && query.contains("order=&")
                && query.contains("c=0")
                && query.contains(&o),
            "{query}"
        );
    }
}

fn assert_thread(comment: &Comment, album: Option<u64>) {
    if let Some(album) = album {
        assert_eq!(comment.album_id.map(JmId::get), Some(album), "{comment}");
    }
    assert!(comment.user_id.is_some(), "{comment}");
    assert!(!comment.username.is_empty() && !comment.created_at.is_empty());
    // The HTML is text now.
    assert!(
        !comment.content.contains("<br") && !comment.content.contains("&amp;"),
        "{comment:?}"
    );
    for reply in &comment.replies {
        assert_eq!(reply.parent_id, Some(comment.id));
        assert_thread(reply, album);
    }
}

#[tokio::test]
async fn comments_of_an_album_and_of_the_forum_to_the_end() {
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    // The synthetic comments: `min(comments, 150)` per album (the emulator's comments
    // module).
    let count = |a: &AlbumSpec| a.comments.min(150);
    let album = emu
        .catalog()
        .albums
        .iter()
        .max_by_key(|a| count(a))
        .unwrap();
    assert!(count(album) > 20, "several pages");

    let pages: Vec<_> = c
        .comment_pages(CommentTarget::Album(JmId::new(album.id)), 1)
        .try_collect()
        .await
        .unwrap();
    let numbers: Vec<u32> = pages.iter().map(|p| p.page).collect();
    let page_count = count(album).div_ceil(10) as u32;
    assert_eq!(numbers, (1..=page_count).collect::<Vec<_>>());
    assert!(pages.iter().all(|p| p.total == Some(count(album))));
    let comments: Vec<&Comment> = pages.iter().flat_map(|p| &p.comments).collect();
    assert_eq!(comments.len() as u64, count(album));
    let unique: HashSet<u64> = comments.iter().map(|c| c.id).collect();
    assert_eq!(unique.len(), comments.len());
    for comment in &comments {
        assert_eq!(comment.parent_id, None);
        assert_thread(comment, Some(album.id));
    }
    assert!(
        comments.iter().any(|c| !c.replies.is_empty()),
        "some have replies"
    );
    assert!(comments.iter().any(|c| c.spoiler) && comments.iter().any(|c| !c.spoiler));
    assert!(
        comments.iter().any(|c| c.content.contains('\n')),
        "<br> is a line break"
    );

    let forum: Vec<_> = c
        .comment_pages(CommentTarget::Forum, 1)
        .try_collect()
        .await
        .unwrap();
    let total: u64 = emu.catalog().albums.iter().map(count).sum();
    assert_eq!(forum.len() as u64, total.div_ceil(10));
    let comments: Vec<&Comment> = forum.iter().flat_map(|p| &p.comments).collect();
    assert_eq!(comments.len() as u64, total);
    let unique: HashSet<u64> = comments.iter().map(|c| c.id).collect();
    assert_eq!(unique.len(), comments.len());
    for comment in &comments {
        assert_thread(comment, None);
    }
    let albums: HashSet<Option<JmId>> = comments.iter().map(|c| c.album_id).collect();
    assert!(albums.len() > 1, "the forum spans albums");
    // Newest first (the times are `YYYY-MM-DD HH:MM:SS`, which sort as text).
    assert!(
        comments
            .windows(2)
            .all(|w| w[0].created_at >= w[1].created_at)
    );

    let e = c
        .post_comment(JmId::new(album.id), "hi", None)
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::NeedsLogin { .. } | Error::Unsupported { .. }),
        "{e:?}"
    );
    let c = logged_in(&emu).await;
    let e = c
        .post_comment(JmId::new(album.id), "hi", None)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e:?}");
}

#[tokio::test]
async fn checking_in_twice_a_day() {
    let emu = Emulator::start().unwrap();
    let c = logged_in(&emu).await;
    let coins = || emu.user_state(DEFAULT_USERNAME).unwrap().coin;
    let before = coins();

    let event = c.daily().await.unwrap();
    assert!(!event.daily_id.is_empty() && !event.name.is_empty());
    assert!(!event.signed_today);
    assert!(event.days.iter().all(|d| !d.signed));

    let first = c.check_in().await.unwrap();
    assert!(first.new, "{first:?}");
    assert!(!first.message.is_empty());
    let after_first = coins();
    assert!(after_first > before);
    let second = c.check_in().await.unwrap();
    assert!(!second.new, "{second:?}");
    assert_eq!(coins(), after_first, "no second reward");
    assert_eq!(emu.user_state(DEFAULT_USERNAME).unwrap().check_ins, 1);

    let event = c.daily().await.unwrap();
    assert!(event.signed_today, "{event:?}");
    assert_eq!(event.days.iter().filter(|d| d.signed).count(), 1);

    // The next day is a new check-in.
    emu.advance_days(1);
    assert!(c.check_in().await.unwrap().new);
    assert_eq!(emu.user_state(DEFAULT_USERNAME).unwrap().check_ins, 2);
    assert!(!c.check_in().await.unwrap().new);
}
