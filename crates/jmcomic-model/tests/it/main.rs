//! Integration tests of the model crate against golden vectors from the Python original.

use jmcomic_model::{JmId, Target};

#[derive(serde::Deserialize)]
struct Cases {
    cases: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    input: String,
    id: Option<String>,
    #[serde(default)]
    error: bool,
}

/// Every case of `ids.json` (made by running the Python package) parses to the same id, or is
/// rejected where the original rejects it.
#[test]
fn python_id_vectors() {
    let text = include_str!("../data/ids.json");
    let cases: Cases = serde_json::from_str(text).unwrap();
    assert!(cases.cases.len() >= 10);
    for case in cases.cases {
        let parsed = JmId::parse(&case.input);
        if case.error {
            assert!(parsed.is_err(), "{} should be rejected", case.input);
        } else {
            let want = case.id.unwrap();
            assert_eq!(parsed.unwrap().to_string(), want, "{}", case.input);
            // The CLI form parses to the same id.
            assert_eq!(Target::parse(&case.input).unwrap().id.to_string(), want);
        }
    }
}
