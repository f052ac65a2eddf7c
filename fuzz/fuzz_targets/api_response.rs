//! The client's handling of what an API host sends: envelope parsing, AES decryption with the
//! request's timestamp, JSON-to-entity mapping, and the domain-server file. Never panics.
//!
//! Input: the timestamp in decimal on the first line, the response body after it. Without a
//! first line that is a number the timestamp is 0 and the whole input is the body.
#![no_main]

use jmcomic_client::fuzzing::{api_response, json_entities};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (ts, body) = match text.split_once('\n') {
        Some((first, rest)) => match first.trim().parse::<u64>() {
            Ok(ts) => (ts, rest),
            Err(_) => (0, text),
        },
        None => (0, text),
    };
    api_response(body, ts);
    // The body as already-decrypted JSON too (the entity mapping without the AES layer).
    json_entities(body);
});
