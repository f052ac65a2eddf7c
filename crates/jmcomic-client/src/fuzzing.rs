//! Entry points for fuzz targets (`fuzz/` at the workspace root). Not a stable API.
//!
//! They run the same code the client runs on what the network sends: the envelope parser,
//! the decryption, the JSON-to-entity mapping and the scramble-id extraction.

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
