//! The option file as a tree of values that remember their line.
//!
//! Both YAML and JSON files are read into a [`Node`] first, so every later error can name
//! the line of the key or value it is about. YAML is read the way PyYAML reads it where it
//! matters for existing files: YAML 1.1 booleans (`yes`/`no`/`on`/`off`),
//! octal `010`, merge keys `<<`, anchors and aliases, duplicate keys (the last one wins;
//! here with a warning), and map keys kept as written (`145504:` is the text `"145504"`,
//! which is what Python's `fix_kwargs` turns int keys into anyway).
//!
//! Known difference: serde-saphyr also reads a bare `y`/`n` as a boolean where PyYAML keeps
//! the text. Option keys are read as text, so only free-form values are affected.

// Spec §3.1.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use super::error::OptionError;

/// A value and the line it starts on (1-based; `None` when the parser gave no position).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub value: Value,
    pub line: Option<u32>,
}

/// A key of a mapping, its line, and its value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    pub key: String,
    pub line: Option<u32>,
    pub value: Node,
}

/// The value of a [`Node`].
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

impl Node {
    pub fn new(value: Value, line: Option<u32>) -> Node {
        Node { value, line }
    }

    /// The entries of a mapping node (`None` for anything else).
    pub fn entries(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(e) => Some(e),
            _ => None,
        }
    }

    /// The entries of a mapping node, mutably.
    pub fn entries_mut(&mut self) -> Option<&mut Vec<Entry>> {
        match &mut self.value {
            Value::Map(e) => Some(e),
            _ => None,
        }
    }

    /// The value under `key` of a mapping node (the last one if the key repeats).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries()?
            .iter()
            .rev()
            .find(|e| e.key == key)
            .map(|e| &e.value)
    }

    /// The value under `key` of a mapping node, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.entries_mut()?
            .iter_mut()
            .rev()
            .find(|e| e.key == key)
            .map(|e| &mut e.value)
    }

    /// The node as JSON, for free-form plugin arguments. Map keys stay text; integers that
    /// do not fit JSON numbers become floats.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => {
                if let Ok(v) = i64::try_from(*i) {
                    J::from(v)
                } else if let Ok(v) = u64::try_from(*i) {
                    J::from(v)
                } else {
                    serde_json::Number::from_f64(*i as f64).map_or(J::Null, J::Number)
                }
            }
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => {
                let mut m = serde_json::Map::new();
                for e in entries {
                    m.insert(e.key.clone(), e.value.to_json());
                }
                J::Object(m)
            }
        }
    }

    /// A JSON value as a node without positions.
    pub fn from_json(v: &serde_json::Value) -> Node {
        use serde_json::Value as J;
        let value = match v {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Value::Int(i128::from(i))
                } else if let Some(u) = n.as_u64() {
                    Value::Int(i128::from(u))
                } else {
                    Value::Float(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            J::String(s) => Value::Str(s.clone()),
            J::Array(a) => Value::Seq(a.iter().map(Node::from_json).collect()),
            J::Object(m) => Value::Map(
                m.iter()
                    .map(|(k, v)| Entry {
                        key: k.clone(),
                        line: None,
                        value: Node::from_json(v),
                    })
                    .collect(),
            ),
        };
        Node::new(value, None)
    }

    /// The same tree without positions (to compare two parses of one text).
    fn without_lines(&self) -> Node {
        let value = match &self.value {
            Value::Seq(items) => Value::Seq(items.iter().map(Node::without_lines).collect()),
            Value::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|e| Entry {
                        key: e.key.clone(),
                        line: None,
                        value: e.value.without_lines(),
                    })
                    .collect(),
            ),
            other => other.clone(),
        };
        Node::new(value, None)
    }

    /// Keeps the last of repeated keys in every mapping, as PyYAML and `json.load` do.
    fn dedup_keys(&mut self) {
        match &mut self.value {
            Value::Seq(items) => items.iter_mut().for_each(Node::dedup_keys),
            Value::Map(entries) => {
                let mut seen = std::collections::HashSet::new();
                let mut keep = vec![false; entries.len()];
                for (i, e) in entries.iter().enumerate().rev() {
                    if seen.insert(e.key.clone()) {
                        keep[i] = true;
                    } else {
                        tracing::warn!(
                            key = %e.key,
                            line = e.line.unwrap_or(0),
                            "option key repeated; the last value is used"
                        );
                    }
                }
                let mut i = 0;
                entries.retain(|_| {
                    i += 1;
                    keep[i - 1]
                });
                for e in entries.iter_mut() {
                    e.value.dedup_keys();
                }
            }
            _ => {}
        }
    }
}

fn line_of(loc: serde_saphyr::Location) -> Option<u32> {
    match loc.line() {
        0 => None,
        l => u32::try_from(l).ok(),
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Spanned::<Value>::deserialize(d)?;
        Ok(Node::new(s.value, line_of(s.referenced)))
    }
}

/// A mapping key, always as the text written (YAML `145504:` → `"145504"`).
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a text or number key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key, E> {
                Ok(Key(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
                Value::deserialize(d)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
                Ok(Value::Int(i128::from(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
                Ok(Value::Int(i128::from(v)))
            }
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
                Ok(Value::Int(v))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
                Ok(i128::try_from(v).map_or(Value::Float(v as f64), Value::Int))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
                Ok(Value::Float(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
                Ok(Value::Str(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
                Ok(Value::Str(v))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
                Ok(Value::Str(String::from_utf8_lossy(v).into_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
                let mut items = Vec::new();
                while let Some(n) = a.next_element::<Node>()? {
                    items.push(n);
                }
                Ok(Value::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(k) = a.next_key::<Spanned<Key>>()? {
                    let value = a.next_value::<Node>()?;
                    entries.push(Entry {
                        key: k.value.0,
                        line: line_of(k.referenced),
                        value,
                    });
                }
                Ok(Value::Map(entries))
            }
        }
        d.deserialize_any(ValueVisitor)
    }
}

fn yaml_options() -> serde_saphyr::Options {
    let mut o = serde_saphyr::Options::default();
    // PyYAML (YAML 1.1) reads `010` as 8.
    o.legacy_octal_numbers = true;
    // PyYAML keeps the last of repeated keys; we see them all and warn (`dedup_keys`).
    o.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::PassThrough;
    // Our messages carry file:line themselves; no multi-line source snippets.
    o.with_snippet = false;
    o
}

/// Parses YAML text. An empty or comments-only document is `None` (the Python package
/// crashes on it; here it means "all defaults").
// Spec W11.
pub(crate) fn parse_yaml(text: &str) -> Result<Option<Node>, OptionError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match serde_saphyr::from_str_with_options::<Option<Node>>(text, yaml_options()) {
        Ok(mut node) => {
            if let Some(n) = &mut node {
                n.dedup_keys();
            }
            Ok(node.filter(|n| n.value != Value::Null))
        }
        Err(e) => Err(syntax_error("YAML", &e)),
    }
}

fn syntax_error(format: &'static str, e: &serde_saphyr::Error) -> OptionError {
    let loc = e.location();
    let mut message = e.to_string();
    if let Some(l) = loc {
        let suffix = format!(" at line {}, column {}", l.line(), l.column());
        if let Some(stripped) = message.strip_suffix(&suffix) {
            message = stripped.to_owned();
        }
    }
    OptionError::Syntax {
        file: None,
        format,
        line: loc
            .and_then(|l| u32::try_from(l.line()).ok())
            .filter(|l| *l > 0),
        column: loc
            .and_then(|l| u32::try_from(l.column()).ok())
            .filter(|c| *c > 0),
        message,
    }
}

/// Parses JSON text. Syntax is checked by serde_json (strict JSON); positions come from
/// reading the same text as YAML (JSON is YAML's flow style) when both readings agree.
pub(crate) fn parse_json(text: &str) -> Result<Option<Node>, OptionError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Ok(None);
    }
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| OptionError::Syntax {
        file: None,
        format: "JSON",
        line: u32::try_from(e.line()).ok().filter(|l| *l > 0),
        column: u32::try_from(e.column()).ok().filter(|c| *c > 0),
        message: strip_json_position(&e),
    })?;
    if value.is_null() {
        return Ok(None);
    }
    let plain = Node::from_json(&value);
    let with_lines = serde_saphyr::from_str_with_options::<Option<Node>>(text, yaml_options())
        .ok()
        .flatten()
        .map(|mut n| {
            n.dedup_keys();
            n
        })
        .filter(|n| n.without_lines() == plain);
    Ok(Some(with_lines.unwrap_or(plain)))
}

fn strip_json_position(e: &serde_json::Error) -> String {
    let m = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    m.strip_suffix(&suffix).map_or(m.clone(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node {
        parse_yaml(text).expect("valid").expect("not empty")
    }

    #[test]
    fn yaml_11_scalars_and_keys() {
        let n = parse("a: yes\nb: off\nc: 010\n145504: 290266\nd: '2.1'\ne: 2.1\n");
        assert_eq!(n.get("a").map(|n| &n.value), Some(&Value::Bool(true)));
        assert_eq!(n.get("b").map(|n| &n.value), Some(&Value::Bool(false)));
        assert_eq!(n.get("c").map(|n| &n.value), Some(&Value::Int(8)));
        assert_eq!(
            n.get("145504").map(|n| &n.value),
            Some(&Value::Int(290_266))
        );
        assert_eq!(
            n.get("d").map(|n| &n.value),
            Some(&Value::Str("2.1".into()))
        );
        assert_eq!(n.get("e").map(|n| &n.value), Some(&Value::Float(2.1)));
    }

    #[test]
    fn anchors_merge_keys_and_lines() {
        let n = parse("base: &b\n  x: 1\nother:\n  <<: *b\n  y: 2\nlist: *b\n");
        let other = n.get("other").expect("other");
        assert_eq!(other.get("x").map(|n| &n.value), Some(&Value::Int(1)));
        assert_eq!(other.get("y").map(|n| n.line), Some(Some(5)));
        let entries = n.entries().expect("map");
        assert_eq!(entries[1].line, Some(3));
        assert!(n.get("list").and_then(Node::entries).is_some());
    }

    #[test]
    fn duplicate_keys_last_wins() {
        let n = parse("a: 1\na: 2\n");
        assert_eq!(n.entries().map(<[Entry]>::len), Some(1));
        assert_eq!(n.get("a").map(|n| &n.value), Some(&Value::Int(2)));
    }

    #[test]
    fn empty_documents() {
        assert_eq!(parse_yaml("").expect("ok"), None);
        assert_eq!(parse_yaml("# only\n# comments\n").expect("ok"), None);
        assert_eq!(parse_yaml("~").expect("ok"), None);
        assert_eq!(parse_json(" ").expect("ok"), None);
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = parse_yaml("a: [1, 2\nb: 3\n").expect_err("bad");
        assert!(
            matches!(e, OptionError::Syntax { line: Some(_), .. }),
            "{e}"
        );
        let e = parse_json("{\"a\": 1,,}").expect_err("bad");
        assert!(
            matches!(
                e,
                OptionError::Syntax {
                    line: Some(1),
                    column: Some(_),
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn json_gets_lines() {
        let n = parse_json("{\n  \"a\": {\n    \"b\": 1\n  }\n}")
            .expect("ok")
            .expect("some");
        let a = n.get("a").expect("a");
        assert_eq!(a.entries().map(|e| e[0].line), Some(Some(3)));
    }
}
