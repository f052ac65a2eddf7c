//! `Options::from_yaml_str` / `from_json_str` on arbitrary text: never panic, and whatever
//! loads writes itself out (`to_yaml`) as YAML that loads again and writes out the same text.
#![no_main]

use jmcomic::options::Options;
use libfuzzer_sys::fuzz_target;

fn round_trip(options: &Options, text: &str, how: &str) {
    let yaml = options.to_yaml();
    let again = match Options::from_yaml_str(&yaml) {
        Ok(o) => o,
        Err(e) => panic!(
            "to_yaml output does not load again ({how}): {e}\n--- input ---\n{text}\n--- to_yaml ---\n{yaml}"
        ),
    };
    let yaml2 = again.to_yaml();
    assert_eq!(
        yaml, yaml2,
        "to_yaml is not a fixed point ({how})\n--- input ---\n{text}"
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(o) = Options::from_yaml_str(text) {
        round_trip(&o, text, "yaml");
    }
    if let Ok(o) = Options::from_json_str(text) {
        round_trip(&o, text, "json");
    }
});
