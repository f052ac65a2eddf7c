//! Entry points for fuzz targets (`fuzz/` at the workspace root). Not a stable API.
//!
//! They run the same code the client runs on what the network sends: the envelope parser,
//! the decryption, the JSON-to-entity mapping, the scramble-id extraction and the web
//! site's page parsers.

/// Parses a response body as the API envelope, decrypts its `data` with `ts`, and maps the
/// result as an album, a chapter and a search page. Must never panic.
pub fn api_response(body: &str, ts: u64) {
    if let Some(envelope) = crate::api::parse_envelope(body)
        && let Some(serde_json::Value::String(data)) = envelope.get("data")
        && let Ok(plain) = crate::api::crypto::decrypt_data(data, ts)
    {
        json_entities(&plain);
    }
    let _ = crate::api::crypto::decrypt_domain_server(body, crate::site::DOMAIN_SERVER_SECRET);
}

/// Maps decrypted JSON text as every entity. Must never panic.
pub fn json_entities(text: &str) {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
        let _ = crate::api::wire::album(&v);
        let _ = crate::api::wire::chapter(&v);
        let _ = crate::api::wire::search(&v, 1);
    }
}

/// Extracts the scramble id from a chapter template page, as the client does.
pub fn scramble_id(html: &str) -> Option<u64> {
    crate::api::extract_scramble_id(html)
}

/// Reads `html` as every page of the web site the client parses (album, chapter, search or
/// category listing, favourites, the home page's check-in id) and as comment HTML. Must never
/// panic: a page that is not what it should be is an error naming the part.
pub fn web_page(html: &str) {
    let url = "https://example.invalid/page";
    let _ = crate::html::pages::album(html, url);
    let _ = crate::html::pages::photo(html, url, jmcomic_model::JmId::new(1));
    let _ = crate::html::pages::listing(html, url, "q", 1);
    let _ = crate::html::pages::favorites(html, url, "0", 1);
    let _ = crate::html::pages::daily_id(html, url);
    let _ = crate::html::comments::parse(&[html.to_owned()]);
}
