//! `JmId::parse` and `Target::parse` on arbitrary UTF-8: never panic, and what parses prints
//! back to text that parses to the same thing.
#![no_main]

use jmcomic_model::{JmId, Kind, Target};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(id) = JmId::parse(text) {
        // The plain decimal form of an id is itself an id form.
        assert_eq!(
            JmId::parse(&id.to_string()).ok(),
            Some(id),
            "input {text:?}"
        );
    }
    if let Ok(target) = Target::parse(text) {
        let canonical = match target.kind {
            Kind::Album => target.id.to_string(),
            Kind::Chapter => format!("p{}", target.id),
        };
        assert_eq!(
            Target::parse(&canonical).ok(),
            Some(target),
            "input {text:?}"
        );
    }
});
