//! `-c key=value` overrides: parsing one, and laying overrides and profiles
//! onto a TOML tree.
//!
//! Parsing is deliberately forgiving about the value (anything that is not
//! valid TOML becomes a string, so `-c model=o3` works without shell-quoted
//! quotes) and strict about the key.

use super::ConfigError;
use std::str::FromStr;

/// Parses one `-c` argument. The value is read as TOML (`1`, `true`,
/// `"x"`, `[1, 2]`, `{ a = 1 }`); when that fails the raw text, trimmed, is
/// taken as a string. The key is a dotted path (`a.b.c`); segments may be
/// quoted (`projects."/abs/path".trust_level`).
pub fn parse_cli_override(raw: &str) -> Result<(String, toml::Value), ConfigError> {
    let invalid = |reason: &str| ConfigError::InvalidOverride {
        raw: raw.to_string(),
        reason: reason.to_string(),
    };
    let Some((key, value)) = raw.split_once('=') else {
        return Err(invalid("expected `key=value`"));
    };
    let key = key.trim();
    if key.is_empty() {
        return Err(invalid("the key before `=` is empty"));
    }
    if split_dotted_key(key).is_none() {
        return Err(invalid("the key has an empty or unterminated segment"));
    }
    let value = value.trim();
    let value =
        toml::Value::from_str(value).unwrap_or_else(|_| toml::Value::String(value.to_string()));
    Ok((key.to_string(), value))
}

/// Splits `a."b.c".d` into `["a", "b.c", "d"]`; `None` when a segment is
/// empty or a quote is not closed.
pub(super) fn split_dotted_key(key: &str) -> Option<Vec<String>> {
    let mut segments = Vec::new();
    let mut chars = key.trim().chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut segment = String::new();
        match chars.peek() {
            Some(&quote @ ('"' | '\'')) => {
                chars.next();
                loop {
                    match chars.next() {
                        Some(c) if c == quote => break,
                        Some(c) => segment.push(c),
                        None => return None,
                    }
                }
                while chars.next_if(|c| c.is_whitespace()).is_some() {}
            }
            _ => {
                while let Some(c) = chars.next_if(|c| *c != '.') {
                    segment.push(c);
                }
                segment = segment.trim().to_string();
                if segment.is_empty() {
                    return None;
                }
            }
        }
        segments.push(segment);
        match chars.next() {
            None => return Some(segments),
            Some('.') => {}
            Some(_) => return None,
        }
    }
}

/// Sets `value` at the dotted `path` inside `root`, creating tables on the
/// way and replacing any non-table that stands in the way.
pub(super) fn set_path(root: &mut toml::Table, path: &[String], value: toml::Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut table = root;
    for segment in parents {
        let entry = table
            .entry(segment.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        table = entry
            .as_table_mut()
            .expect("the entry was made a table just above");
    }
    table.insert(last.clone(), value);
}

/// Lays `overlay` onto `base`: tables merge key by key, anything else
/// replaces what was there.
pub(super) fn merge_tables(base: &mut toml::Table, overlay: &toml::Table) {
    for (key, value) in overlay {
        match (base.get_mut(key), value) {
            (Some(toml::Value::Table(base_inner)), toml::Value::Table(overlay_inner)) => {
                merge_tables(base_inner, overlay_inner);
            }
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn check(raw: &str, expected: Result<(&str, toml::Value), &str>) {
        let actual = parse_cli_override(raw).map_err(|err| err.to_string());
        let expected = expected
            .map(|(key, value)| (key.to_string(), value))
            .map_err(str::to_string);
        assert_eq!(actual, expected, "parsing {raw:?}");
    }

    fn string(s: &str) -> toml::Value {
        toml::Value::String(s.to_string())
    }

    #[test]
    fn values_parse_as_toml_else_as_strings() {
        check("a=1", Ok(("a", toml::Value::Integer(1))));
        check("a=true", Ok(("a", toml::Value::Boolean(true))));
        check("a=\"x\"", Ok(("a", string("x"))));
        check("a=x y", Ok(("a", string("x y"))));
        check("model=o3", Ok(("model", string("o3"))));
        check("a=", Ok(("a", string(""))));
        check(" a = 1.5 ", Ok(("a", toml::Value::Float(1.5))));
        check(
            "a.b=[1,2]",
            Ok((
                "a.b",
                toml::Value::Array(vec![toml::Value::Integer(1), toml::Value::Integer(2)]),
            )),
        );
        check(
            "model_providers.mock.base_url=\"http://127.0.0.1:9/v1\"",
            Ok((
                "model_providers.mock.base_url",
                string("http://127.0.0.1:9/v1"),
            )),
        );
        check("a=b=c", Ok(("a", string("b=c"))));
        let table = toml::Value::from_str("{ x = 1 }").unwrap();
        check("t={ x = 1 }", Ok(("t", table)));
    }

    #[test]
    fn bad_keys_are_errors() {
        check(
            "novalue",
            Err("invalid `-c` override `novalue`: expected `key=value`"),
        );
        check(
            "=1",
            Err("invalid `-c` override `=1`: the key before `=` is empty"),
        );
        check(
            "a..b=1",
            Err("invalid `-c` override `a..b=1`: the key has an empty or unterminated segment"),
        );
        check(
            "a.\"b=1",
            Err("invalid `-c` override `a.\"b=1`: the key has an empty or unterminated segment"),
        );
    }

    #[test]
    fn dotted_keys_split_outside_quotes() {
        assert_eq!(
            split_dotted_key("a.b.c"),
            Some(vec!["a".into(), "b".into(), "c".into()])
        );
        assert_eq!(
            split_dotted_key("projects.\"/x/y.z\".trust_level"),
            Some(vec![
                "projects".into(),
                "/x/y.z".into(),
                "trust_level".into()
            ])
        );
        assert_eq!(
            split_dotted_key("a.'b'"),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(split_dotted_key("a.\"b\"c"), None);
        assert_eq!(split_dotted_key("a."), None);
    }

    #[test]
    fn set_path_creates_and_replaces_tables() {
        let mut root: toml::Table = toml::from_str("a = 1\n[t]\nkeep = true\n").unwrap();
        set_path(
            &mut root,
            &["a".into(), "b".into()],
            toml::Value::Integer(2),
        );
        set_path(
            &mut root,
            &["t".into(), "new".into()],
            toml::Value::Integer(3),
        );
        let expected: toml::Table =
            toml::from_str("[a]\nb = 2\n[t]\nkeep = true\nnew = 3\n").unwrap();
        assert_eq!(root, expected);
    }

    #[test]
    fn merge_is_deep_for_tables_only() {
        let mut base: toml::Table =
            toml::from_str("m = \"a\"\nlist = [1]\n[t]\nx = 1\ny = 2\n").unwrap();
        let overlay: toml::Table = toml::from_str("list = [2]\n[t]\ny = 3\n").unwrap();
        merge_tables(&mut base, &overlay);
        let expected: toml::Table =
            toml::from_str("m = \"a\"\nlist = [2]\n[t]\nx = 1\ny = 3\n").unwrap();
        assert_eq!(base, expected);
    }
}
