//! Changing one value of an option file in place, keeping everything else of the text (the
//! user's comments, order and layout): the `subscribe_album_update` plugin writes the last
//! chapter it saw back into the file (the Python package's `option.to_file()`,
//! which rewrites the whole file and loses every comment).

// Spec §5.3.

use std::path::Path;

use super::node::{self, Node, Value};

/// Sets `plugins.<group>[index].kwargs.<dict_key>.<entry_key>` to `new_value` in the file at
/// `path`, editing only that value's text, and replaces the file atomically. Fails, changing
/// nothing, when the value cannot be found where the file's own parse puts it.
pub(crate) fn set_plugin_dict_value(
    path: &Path,
    group: &str,
    index: usize,
    dict_key: &str,
    entry_key: &str,
    new_value: &str,
) -> Result<(), String> {
    let real = std::fs::canonicalize(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = std::fs::read_to_string(&real).map_err(|e| format!("{}: {e}", real.display()))?;
    let is_json = real
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let root = if is_json {
        node::parse_json(&text)
    } else {
        node::parse_yaml(&text)
    }
    .map_err(|e| e.to_string())?
    .ok_or("the file is empty")?;
    let where_ = format!("plugins.{group}[{index}].kwargs.{dict_key}.{entry_key}");
    let value = find(&root, group, index, dict_key, entry_key)
        .ok_or_else(|| format!("{where_} is not in the file"))?;
    let old = match &value.value {
        Value::Int(i) => i.to_string(),
        Value::Str(s) => s.clone(),
        _ => return Err(format!("{where_} is not a number or text")),
    };
    let line = value
        .line
        .ok_or_else(|| format!("the position of {where_} is unknown"))?;
    let updated = replace_on_line(&text, line, entry_key, &old, new_value)
        .ok_or_else(|| format!("{where_} is not written as `{entry_key}: {old}` on line {line}"))?;
    crate::storage::write_atomic(&real, updated.as_bytes())
        .map_err(|e| format!("{}: {e}", real.display()))
}

fn find<'a>(
    root: &'a Node,
    group: &str,
    index: usize,
    dict_key: &str,
    entry_key: &str,
) -> Option<&'a Node> {
    let plugins = root.get("plugins").or_else(|| root.get("plugin"))?;
    let Value::Seq(items) = &plugins.get(group)?.value else {
        return None;
    };
    items
        .get(index)?
        .get("kwargs")?
        .get(dict_key)?
        .entries()?
        .iter()
        .rev()
        .find(|e| e.key == entry_key)
        .map(|e| &e.value)
}

/// `text` with the value written after `key:` on line `line` (1-based) replaced, keeping its
/// quotes; `None` when that line does not hold `key: old`.
fn replace_on_line(text: &str, line: u32, key: &str, old: &str, new: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + new.len());
    let mut done = false;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line as usize
            && let Some(replaced) = replace_in(l, key, old, new)
        {
            out.push_str(&replaced);
            done = true;
        } else {
            out.push_str(l);
        }
    }
    done.then_some(out)
}

fn replace_in(line: &str, key: &str, old: &str, new: &str) -> Option<String> {
    for (start, _) in line.match_indices(key) {
        // The key starts a token: after the line start, a space, `{` or `,`, maybe quoted.
        let before = line[..start].trim_end_matches(['\'', '"']);
        if !(before.trim().is_empty() || before.ends_with([' ', '{', ',', '\t'])) {
            continue;
        }
        let rest = line[start + key.len()..].trim_start_matches(['\'', '"']);
        let Some(rest) = rest.trim_start().strip_prefix(':') else {
            continue;
        };
        let value_start = line.len() - rest.len() + (rest.len() - rest.trim_start().len());
        let after = &line[value_start..];
        let quote = after.chars().next().filter(|c| *c == '\'' || *c == '"');
        let body_start = value_start + quote.map_or(0, char::len_utf8);
        let body = &line[body_start..];
        if !body.starts_with(old) {
            continue;
        }
        let end = body_start + old.len();
        // The old value must end there (not be the start of a longer number).
        let next = line[end..].chars().next();
        let ends = match quote {
            Some(q) => next == Some(q),
            None => next.is_none_or(|c| c.is_whitespace() || matches!(c, ',' | '}' | '#')),
        };
        if !ends {
            continue;
        }
        return Some(format!("{}{new}{}", &line[..body_start], &line[end..]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_the_value_keeping_quotes_and_comments() {
        assert_eq!(
            replace_in(
                "      324930: 424507 # last seen\n",
                "324930",
                "424507",
                "500001"
            ),
            Some("      324930: 500001 # last seen\n".to_owned())
        );
        assert_eq!(
            replace_in("  d: {'1': '42', 2: 4}\n", "1", "42", "43"),
            Some("  d: {'1': '43', 2: 4}\n".to_owned())
        );
        assert_eq!(
            replace_in("  \"7\": 70,\n", "7", "70", "71"),
            Some("  \"7\": 71,\n".to_owned())
        );
        // A longer number is not the old value.
        assert_eq!(replace_in("  5: 4245070\n", "5", "424507", "1"), None);
        // The key must be a whole token.
        assert_eq!(replace_in("  15: 424507\n", "5", "424507", "1"), None);
    }

    #[test]
    fn rewrites_the_file_keeping_everything_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("option.yml");
        let text = "# my options\nplugins:\n  after_init:\n    - plugin: usage_log\n    - plugin: subscribe_album_update # subscribe\n      kwargs:\n        album_photo_dict:\n          324930: 424507 # seen\n          100: 200\n";
        std::fs::write(&path, text).unwrap();
        set_plugin_dict_value(&path, "after_init", 1, "album_photo_dict", "100", "201").unwrap();
        let after = std::fs::read_to_string(&path).unwrap();
        assert_eq!(after, text.replace("100: 200", "100: 201"));
        let err = set_plugin_dict_value(&path, "after_init", 1, "album_photo_dict", "999", "1")
            .unwrap_err();
        assert!(err.contains("is not in the file"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), after);
    }
}
