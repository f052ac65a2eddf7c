//! Pages of the web site (`client.impl: html`): album, chapter, listings, favourites, the
//! home page, comment fragments. Never panics: whatever the markup, each parser answers with
//! an entity or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    jmcomic_client::fuzzing::web_page(&text);
});
