//! The API's account routes: login, sessions, favourites (toggle, folders, paging, orders),
//! check-in, comments (spec §6.2.3, §6.2.9, Appendix A).

use std::collections::BTreeSet;

use jmcomic_emulator::{Catalog, DEFAULT_PASSWORD, DEFAULT_USERNAME, Emulator, UserSpec};
use serde_json::Value;

use crate::support::{Api, SECRET};

fn ids(list: &Value) -> Vec<u64> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|v| v["id"].as_str().expect("id").parse().expect("numeric"))
        .collect()
}

#[tokio::test]
async fn login_good_and_bad_and_the_session_cookie() {
    let emu = Emulator::builder()
        .user("alice", "wonderland")
        .start()
        .expect("start");
    let base = &emu.api_domains()[0];

    // Wrong password, unknown user: refused, no session.
    let mut api = Api::new(base);
    api.login_cookies().await;
    for (user, password) in [("alice", "nope"), ("nobody", "wonderland"), ("", "")] {
        let (code, body) = api
            .post("/login", &[("username", user), ("password", password)])
            .await;
        assert_eq!(code, 401, "{user}: {body}");
        assert!(body["errorMsg"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(emu.session_count(), 0);
    // Login is a POST; a GET is refused.
    let (status, _) = api.raw("/login?username=alice&password=wonderland").await;
    assert_eq!(status, 405);

    // Without a session the user routes refuse.
    let (code, _) = api.get("/favorite?page=1&folder_id=0&o=mr").await;
    assert_eq!(code, 401);

    // The right password: the user object of spec §6.2.3, `s` = the AVS cookie.
    let user = api.login("alice", "wonderland").await;
    for field in [
        "uid",
        "username",
        "email",
        "emailverified",
        "photo",
        "fname",
        "gender",
        "message",
        "coin",
        "album_favorites",
        "s",
        "level_name",
        "level",
        "nextLevelExp",
        "exp",
        "expPercent",
        "badges",
        "album_favorites_max",
    ] {
        assert!(user.get(field).is_some(), "{field} missing: {user}");
    }
    assert_eq!(user["username"], "alice");
    let uid = emu.user_state("alice").expect("alice").uid;
    assert_eq!(user["uid"], uid.to_string());
    assert_eq!(emu.session_count(), 1);
    let (code, list) = api.get("/favorite?page=1&folder_id=0&o=mr").await;
    assert_eq!(code, 200, "{list}");
    assert_eq!(list["total"], "0");

    // The default account is always there.
    let mut other = Api::new(base);
    let default = other.login(DEFAULT_USERNAME, DEFAULT_PASSWORD).await;
    assert_ne!(default["uid"], user["uid"]);
    assert_ne!(default["s"], user["s"]);

    // Expired sessions: anonymous again.
    emu.expire_sessions();
    assert_eq!(emu.session_count(), 0);
    assert_eq!(api.get("/favorite?page=1").await.0, 401);
    // A made-up cookie is no session either.
    api.cookie = Some("AVS=0123456789abcdef0123456789abcdef".into());
    assert_eq!(api.get("/favorite?page=1").await.0, 401);
}

#[tokio::test]
async fn favourite_toggle_flips_each_time() {
    let emu = Emulator::start().expect("start");
    let mut api = Api::new(&emu.api_domains()[0]);
    api.login(DEFAULT_USERNAME, DEFAULT_PASSWORD).await;
    let toggle = |api: &Api, aid: &str| {
        let aid = aid.to_owned();
        let req = api.signed_post("/favorite", &[("aid", &aid)]);
        let ts = api.ts.clone();
        async move { Api::envelope(req.send().await.expect("send"), &ts).await }
    };
    let (code, first) = toggle(&api, "438516").await;
    assert_eq!(code, 200);
    assert_eq!(
        (first["status"].as_str(), first["type"].as_str()),
        (Some("ok"), Some("add"))
    );
    assert!(first["msg"].as_str().is_some());
    // "Add" again is the real toggle's remove.
    let (_, second) = toggle(&api, "438516").await;
    assert_eq!(second["type"], "remove");
    let (_, third) = toggle(&api, "438516").await;
    assert_eq!(third["type"], "add");
    assert_eq!(
        emu.user_state(DEFAULT_USERNAME).expect("user").favorites,
        [(438_516, 0)]
    );
    // `is_favorite` on the album and chapter for this user, not for anyone else.
    assert_eq!(api.data("/album?id=438516").await["is_favorite"], true);
    assert_eq!(api.data("/chapter?id=438516").await["is_favorite"], true);
    assert_eq!(api.data("/album?id=400000").await["is_favorite"], false);
    let mut anonymous = Api::new(&emu.api_domains()[0]);
    anonymous.login_cookies().await;
    assert_eq!(
        anonymous.data("/album?id=438516").await["is_favorite"],
        false
    );

    // The 2.7.4 form: a GET with the form in its body toggles too (W20).
    let resp = api
        .client
        .get(format!("{}/favorite", api.base))
        .header(
            "token",
            crate::support::md5_hex(&format!("{}{SECRET}", api.ts)),
        )
        .header("tokenparam", format!("{},{}", api.ts, api.version))
        .header("cookie", api.cookie.clone().expect("cookie"))
        .form(&[("aid", "438516")])
        .send()
        .await
        .expect("send");
    let (_, old_style) = Api::envelope(resp, &api.ts).await;
    assert_eq!(old_style["type"], "remove");

    // An unknown album is refused (status other than "ok").
    let (_, unknown) = toggle(&api, "999999999").await;
    assert_ne!(unknown["status"], "ok");

    // Concurrent toggles behave as clicks do: each flips. An even number ends where it
    // started, with as many adds as removes.
    for n in [2usize, 9] {
        let before = emu
            .user_state(DEFAULT_USERNAME)
            .expect("user")
            .favorites
            .iter()
            .any(|f| f.0 == 1_000_000);
        let results = futures::future::join_all((0..n).map(|_| toggle(&api, "1000000"))).await;
        let adds = results.iter().filter(|(_, d)| d["type"] == "add").count();
        let removes = results
            .iter()
            .filter(|(_, d)| d["type"] == "remove")
            .count();
        assert_eq!(adds + removes, n);
        assert!(
            adds.abs_diff(removes) <= 1,
            "{adds} adds, {removes} removes"
        );
        let after = emu
            .user_state(DEFAULT_USERNAME)
            .expect("user")
            .favorites
            .iter()
            .any(|f| f.0 == 1_000_000);
        assert_eq!(after, before ^ (n % 2 == 1), "n = {n}");
        assert_eq!(after, adds > removes || (adds == removes && before));
    }
}

#[tokio::test]
async fn favourite_folders_paging_and_orders() {
    let catalog = Catalog::bench(60, 1, 16, 16);
    let albums: Vec<u64> = catalog.albums.iter().map(|a| a.id).collect();
    // 45 favourites made up front, every third in folder B, one in folder A.
    let mut user = UserSpec::new("collector", "pw")
        .with_folder("A")
        .with_folder("B");
    for (i, &aid) in albums.iter().take(45).enumerate() {
        let folder = match i % 3 {
            0 => Some("B"),
            1 if i == 1 => Some("A"),
            _ => None,
        };
        user = user.with_favorite(aid, folder);
    }
    let emu = Emulator::builder()
        .catalog(catalog)
        .account(user)
        .start()
        .expect("start");
    let state = emu.user_state("collector").expect("collector");
    let folders: Vec<(u64, String)> = state.folders.clone();
    let (fid_a, fid_b) = (folders[0].0, folders[1].0);
    let mut api = Api::new(&emu.api_domains()[0]);
    api.login("collector", "pw").await;

    // One more through the API, into folder A (the toggle's optional `folder_id`).
    let extra = albums[50].to_string();
    let (_, added) = api
        .post(
            "/favorite",
            &[("aid", &extra), ("folder_id", &fid_a.to_string())],
        )
        .await;
    assert_eq!(added["type"], "add");

    let list = |folder: u64, order: &'static str, page: u64| {
        let path = format!("/favorite?page={page}&folder_id={folder}&o={order}");
        let api = &api;
        async move { api.data(&path).await }
    };
    // Folder 0 is everything: 46 over pages of 20, 20, 6, then nothing.
    let mut newest_first = Vec::new();
    for (page, expected) in [(1, 20), (2, 20), (3, 6), (4, 0)] {
        let data = list(0, "mr", page).await;
        assert_eq!(data["total"], "46");
        assert_eq!(data["count"], "46");
        let got = ids(&data["list"]);
        assert_eq!(got.len(), expected, "page {page}");
        newest_first.extend(got);
        // Folders listed with their ids, owner and names; folder 0 is not one of them.
        let listed: Vec<(u64, String)> = data["folder_list"]
            .as_array()
            .expect("folders")
            .iter()
            .map(|f| {
                assert_eq!(f["UID"], state.uid.to_string());
                (
                    f["FID"].as_str().expect("fid").parse().expect("n"),
                    f["name"].as_str().expect("name").to_owned(),
                )
            })
            .collect();
        assert_eq!(listed, folders);
        for item in data["list"].as_array().expect("list") {
            assert!(item["latest_ep"].is_string() && item["latest_ep_aid"].is_string());
            assert_eq!(item["is_favorite"], true);
        }
    }
    // `mr`: newest favourite first — the API's one, then the builder's in reverse.
    let mut expected: Vec<u64> = albums.iter().take(45).rev().copied().collect();
    expected.insert(0, albums[50]);
    assert_eq!(newest_first, expected);

    // `mp`: latest update first.
    let mut by_update = Vec::new();
    for page in 1..=3 {
        by_update.extend(ids(&list(0, "mp", page).await["list"]));
    }
    let mut expected = expected.clone();
    expected.sort_by_key(|id| {
        std::cmp::Reverse(emu.catalog().album(*id).expect("album").update_time())
    });
    assert_eq!(by_update, expected);
    assert_ne!(
        by_update, newest_first,
        "the two orders differ on this catalog"
    );

    // A folder lists its own only.
    let in_b: BTreeSet<u64> = ids(&list(fid_b, "mr", 1).await["list"])
        .into_iter()
        .collect();
    let expected_b: BTreeSet<u64> = albums.iter().take(45).step_by(3).copied().collect();
    assert_eq!(in_b, expected_b);
    assert_eq!(list(fid_b, "mr", 1).await["total"], "15");
    let in_a = ids(&list(fid_a, "mr", 1).await["list"]);
    assert_eq!(in_a, [albums[50], albums[1]]);
}

#[tokio::test]
async fn daily_check_in_once_a_day() {
    let emu = Emulator::start().expect("start");
    let mut api = Api::new(&emu.api_domains()[0]);
    // Without a session: refused.
    api.login_cookies().await;
    assert_eq!(api.get("/daily?user_id=1").await.0, 401);
    let user = api.login(DEFAULT_USERNAME, DEFAULT_PASSWORD).await;
    let uid = user["uid"].as_str().expect("uid").to_owned();
    let coin: u64 = user["coin"].as_str().expect("coin").parse().expect("n");

    let daily = api.data(&format!("/daily?user_id={uid}")).await;
    let daily_id = daily["daily_id"].to_string();
    for field in [
        "event_name",
        "currentProgress",
        "three_days_coin",
        "seven_days_coin",
    ] {
        assert!(daily.get(field).is_some(), "{field}: {daily}");
    }
    let signed = |d: &Value| {
        d["record"]
            .as_array()
            .expect("weeks")
            .iter()
            .flat_map(|w| w.as_array().expect("days").iter())
            .filter(|d| d["signed"] == true)
            .count()
    };
    assert_eq!(signed(&daily), 0);

    let check = |api: &Api| {
        let (uid, daily_id) = (uid.clone(), daily_id.clone());
        let req = api.signed_post("/daily_chk", &[("user_id", &uid), ("daily_id", &daily_id)]);
        let ts = api.ts.clone();
        async move { Api::envelope(req.send().await.expect("send"), &ts).await.1 }
    };
    assert_eq!(check(&api).await["msg"], "Jcoin:10 EXP:10");
    assert_eq!(check(&api).await["msg"], "今天已經簽到過了");
    let state = emu.user_state(DEFAULT_USERNAME).expect("user");
    assert_eq!((state.coin, state.exp, state.check_ins), (coin + 10, 10, 1));
    let daily = api.data(&format!("/daily?user_id={uid}")).await;
    assert_eq!(signed(&daily), 1);

    // Another user's id is refused; a new day signs again.
    let (code, _) = api.get("/daily?user_id=1").await;
    assert_ne!(code, 200);
    emu.advance_days(1);
    assert_eq!(check(&api).await["msg"], "Jcoin:10 EXP:10");
    assert_eq!(emu.user_state(DEFAULT_USERNAME).expect("u").check_ins, 2);
    // The login object reports the coins.
    let again = api.login(DEFAULT_USERNAME, DEFAULT_PASSWORD).await;
    assert_eq!(again["coin"], (coin + 20).to_string());
}

#[tokio::test]
async fn album_comments_and_the_forum_page_to_the_end() {
    let emu = Emulator::start().expect("start");
    let mut api = Api::new(&emu.api_domains()[0]);
    api.login_cookies().await;
    let album = api.data("/album?id=10086").await;
    let total: usize = album["comment_total"]
        .as_str()
        .expect("t")
        .parse()
        .expect("n");
    assert!(total > 50, "{total}");
    let mut seen = BTreeSet::new();
    let mut last_time = String::from("9999");
    let pages = total.div_ceil(10);
    let mut replies = 0;
    for page in 1..=pages + 1 {
        let data = api
            .data(&format!("/forum?mode=all&page={page}&aid=10086"))
            .await;
        assert_eq!(data["total"], total.to_string());
        let list = data["list"].as_array().expect("list");
        let expected = if page <= pages {
            (total - (page - 1) * 10).min(10)
        } else {
            0
        };
        assert_eq!(list.len(), expected, "page {page}");
        for c in list {
            assert_eq!(c["AID"], "10086");
            assert_eq!(c["parent_CID"], "0");
            for field in ["UID", "username", "nickname", "spoiler", "likes", "content"] {
                assert!(c.get(field).is_some(), "{field}: {c}");
            }
            let time = c["addtime"].as_str().expect("addtime").to_owned();
            assert!(time <= last_time, "newest first");
            last_time = time;
            assert!(seen.insert(c["CID"].as_str().expect("cid").to_owned()));
            for r in c["replys"].as_array().expect("replys") {
                assert_eq!(r["parent_CID"], c["CID"]);
                assert!(!r["content"].as_str().expect("c").starts_with("<div"));
                replies += 1;
            }
        }
    }
    assert_eq!(seen.len(), total);
    assert!(replies > 0);

    // The site-wide forum: every album's comments, pages of 10, newest first.
    let first = api.data("/forum?mode=all&page=1").await;
    let forum_total: usize = first["total"].as_str().expect("t").parse().expect("n");
    assert!(forum_total > total);
    let mut albums = BTreeSet::new();
    for page in 1..=5 {
        let data = api.data(&format!("/forum?mode=all&page={page}")).await;
        assert_eq!(data["list"].as_array().expect("l").len(), 10);
        for c in data["list"].as_array().expect("l") {
            albums.insert(c["AID"].as_str().expect("aid").to_owned());
        }
    }
    assert!(albums.len() > 1, "{albums:?}");
    let past = api
        .data(&format!("/forum?mode=all&page={}", forum_total / 10 + 2))
        .await;
    assert!(past["list"].as_array().expect("l").is_empty());
}
