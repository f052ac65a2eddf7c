//! Reading a plugin's `kwargs`: typed getters whose errors name the plugin and the argument.

use std::path::PathBuf;

use serde_json::{Map, Value};

/// A plugin's arguments, after `${ENV}` expansion.
#[derive(Clone, Debug, Default)]
pub(crate) struct Kwargs {
    plugin: String,
    map: Map<String, Value>,
}

/// A kwargs value that is not what the plugin needs (the Python package's
/// `PluginValidationException`, handled by the `valid` policy).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Invalid(pub String);

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Kwargs {
    pub(crate) fn new(plugin: &str, map: Map<String, Value>) -> Self {
        Kwargs {
            plugin: plugin.to_owned(),
            map,
        }
    }

    /// An error about `key`.
    pub(crate) fn invalid(&self, key: &str, expected: &str, got: &Value) -> Invalid {
        Invalid(format!(
            "plugin `{}`: kwargs.{key} must be {expected}, got {got}",
            self.plugin
        ))
    }

    /// A sentence about the plugin.
    pub(crate) fn problem(&self, text: impl std::fmt::Display) -> Invalid {
        Invalid(format!("plugin `{}`: {text}", self.plugin))
    }

    pub(crate) fn map(&self) -> &Map<String, Value> {
        &self.map
    }

    /// The value of `key`, `None` when absent or `null`.
    pub(crate) fn value(&self, key: &str) -> Option<&Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// Text; numbers are accepted as their text (YAML `password: 123`).
    pub(crate) fn str(&self, key: &str) -> Result<Option<String>, Invalid> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(v) => Err(self.invalid(key, "text", v)),
        }
    }

    /// Text that must be present and not empty.
    pub(crate) fn required_str(&self, key: &str) -> Result<String, Invalid> {
        match self.str(key)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            _ => Err(self.problem(format!("kwargs.{key} is required"))),
        }
    }

    pub(crate) fn bool(&self, key: &str, default: bool) -> Result<bool, Invalid> {
        match self.value(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(self.invalid(key, "true or false", v)),
        }
    }

    /// A non-negative whole number (`bool` refused, as the Python progress plugin does).
    pub(crate) fn u64(&self, key: &str) -> Result<Option<u64>, Invalid> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64()),
            Some(Value::String(s)) if s.trim().parse::<u64>().is_ok() => {
                Ok(s.trim().parse::<u64>().ok())
            }
            Some(v) => Err(self.invalid(key, "a whole number", v)),
        }
    }

    pub(crate) fn f64(&self, key: &str) -> Result<Option<f64>, Invalid> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(Value::String(s)) if s.trim().parse::<f64>().is_ok() => {
                Ok(s.trim().parse::<f64>().ok())
            }
            Some(v) => Err(self.invalid(key, "a number", v)),
        }
    }

    /// A list of texts; a single text counts as a one-item list.
    pub(crate) fn str_list(&self, key: &str) -> Result<Option<Vec<String>>, Invalid> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    Value::Number(n) => Ok(n.to_string()),
                    other => Err(self.invalid(key, "a list of texts", other)),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(v) => Err(self.invalid(key, "a list of texts", v)),
        }
    }

    /// A mapping.
    pub(crate) fn dict(&self, key: &str) -> Result<Option<&Map<String, Value>>, Invalid> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(v) => Err(self.invalid(key, "a mapping", v)),
        }
    }

    /// A directory or file path, `~` not expanded (as in the Python package).
    pub(crate) fn path(&self, key: &str) -> Result<Option<PathBuf>, Invalid> {
        Ok(self.str(key)?.filter(|s| !s.is_empty()).map(PathBuf::from))
    }

    /// Keys the plugin does not know, for a warning (the Python plugins take `**kwargs`
    /// and ignore them silently, which hides typos).
    pub(crate) fn unknown_keys(&self, known: &[&str]) -> Vec<String> {
        self.map
            .keys()
            .filter(|k| !known.contains(&k.as_str()))
            .cloned()
            .collect()
    }
}

/// Text of a JSON value for messages and ids (`145504` and `"145504"` alike).
pub(crate) fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
