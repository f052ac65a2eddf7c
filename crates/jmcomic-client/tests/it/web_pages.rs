//! The web site's page parsers on broken pages: every page the emulator serves, cut short
//! at many points and with its tags' closing brackets taken out, goes through every parser
//! (what the `web_page` fuzz target does with random input). Each answers with an entity
//! or an error; none panics.

use jmcomic_client::fuzzing::web_page;
use jmcomic_emulator::Emulator;

/// A page by plain HTTP/1.0 (no redirects, no TLS: a reader apart from the client's).
async fn get(addr: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await
        .expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    text.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn broken_pages_never_panic_a_parser() {
    let emu = Emulator::start().expect("emulator");
    let web = emu.html_domains()[0].clone();
    let addr = web.trim_start_matches("http://").to_owned();
    let mut pages = Vec::new();
    for path in [
        "/album/220979",
        "/album/438516",
        "/photo/220980",
        "/search/photos?main_tag=0&search_query=single&page=1&o=mr&t=a",
        "/albums?page=1&o=mv&t=w",
        "/",
    ] {
        let body = get(&addr, path).await;
        assert!(body.len() > 500, "{path}: {body}");
        pages.push(body);
    }
    for page in &pages {
        web_page(page);
        let chars: Vec<char> = page.chars().collect();
        for cut in (0..chars.len()).step_by(chars.len() / 48 + 1) {
            let short: String = chars[..cut].iter().collect();
            web_page(&short);
            let rest: String = chars[cut..].iter().collect();
            web_page(&rest);
        }
        web_page(&page.replace('>', ""));
        web_page(&page.replace('"', "'"));
        web_page(&page.replace("</div>", ""));
    }
}
