//! The plain Starlark builtins a rules file may reasonably use (`len`,
//! `list`, `range`, `sorted`, `fail`, …), string, list and dict methods, and
//! indexing. The `.rules` builtins are the [`super::Host`]'s, not these.

use super::eval::Args;
use super::value::{MAX_LEN, Value, dict_set};
use std::cell::RefCell;
use std::rc::Rc;

pub const NAMES: &[&str] = &[
    "all",
    "any",
    "bool",
    "dict",
    "enumerate",
    "fail",
    "int",
    "len",
    "list",
    "max",
    "min",
    "print",
    "range",
    "reversed",
    "sorted",
    "str",
    "tuple",
    "type",
    "zip",
];

pub fn call(name: &str, args: Args) -> Result<Value, String> {
    if let Some((key, _)) = args.named.first()
        && name != "dict"
        && !(name == "sorted" && key == "reverse")
    {
        return Err(format!("`{name}` takes no parameter `{key}`"));
    }
    let reverse = args.named.iter().any(|(_, value)| value.truth());
    let a = &args.positional;
    let one = || match a.as_slice() {
        [value] => Ok(value),
        _ => Err(format!(
            "`{name}` takes exactly one argument ({} given)",
            a.len()
        )),
    };
    let items = |value: &Value| {
        value
            .items()
            .ok_or_else(|| format!("`{name}` needs a list, got {}", value.type_name()))
    };
    Ok(match name {
        "len" => Value::Int(match one()? {
            Value::Str(s) => s.chars().count() as i64,
            other => items(other)?.len() as i64,
        }),
        "list" if a.is_empty() => Value::list(Vec::new()),
        "list" => Value::list(items(one()?)?),
        "tuple" if a.is_empty() => Value::Tuple(Rc::new(Vec::new())),
        "tuple" => Value::Tuple(Rc::new(items(one()?)?)),
        "str" => Value::str(one()?.to_str()),
        "bool" => Value::Bool(a.first().is_some_and(Value::truth)),
        "type" => Value::str(one()?.type_name()),
        "int" => match one()? {
            Value::Int(i) => Value::Int(*i),
            Value::Bool(b) => Value::Int(i64::from(*b)),
            // No surrounding spaces, as the starlark crate parses it.
            Value::Str(s) => {
                Value::Int(s.parse().map_err(|_| format!("`int` cannot parse {s:?}"))?)
            }
            other => return Err(format!("`int` cannot convert {}", other.type_name())),
        },
        "range" => {
            let ints: Vec<i64> = a
                .iter()
                .map(|v| match v {
                    Value::Int(i) => Ok(*i),
                    other => Err(format!("`range` needs ints, got {}", other.type_name())),
                })
                .collect::<Result<_, _>>()?;
            let (start, stop, step) = match ints.as_slice() {
                [stop] => (0, *stop, 1),
                [start, stop] => (*start, *stop, 1),
                [start, stop, step] if *step != 0 => (*start, *stop, *step),
                _ => return Err("`range` takes one to three ints, the step not zero".into()),
            };
            let len = if step > 0 {
                (stop - start).max(0) / step
            } else {
                (start - stop).max(0) / -step
            };
            if len > MAX_LEN as i64 {
                return Err(format!("`range` of {len} items is too long"));
            }
            Value::list((0..len).map(|i| Value::Int(start + i * step)).collect())
        }
        "sorted" => {
            let mut values = items(one()?)?;
            let mut failed = false;
            values.sort_by(|x, y| {
                x.compare(y).unwrap_or_else(|| {
                    failed = true;
                    std::cmp::Ordering::Equal
                })
            });
            if failed {
                return Err("`sorted` cannot compare these values".into());
            }
            if reverse {
                values.reverse();
            }
            Value::list(values)
        }
        "reversed" => Value::list(items(one()?)?.into_iter().rev().collect()),
        "enumerate" => Value::list(
            items(one()?)?
                .into_iter()
                .enumerate()
                .map(|(i, v)| Value::Tuple(Rc::new(vec![Value::Int(i as i64), v])))
                .collect(),
        ),
        "zip" => {
            let lists: Vec<Vec<Value>> = a.iter().map(items).collect::<Result<_, _>>()?;
            let len = lists.iter().map(Vec::len).min().unwrap_or(0);
            Value::list(
                (0..len)
                    .map(|i| Value::Tuple(Rc::new(lists.iter().map(|l| l[i].clone()).collect())))
                    .collect(),
            )
        }
        "any" => Value::Bool(items(one()?)?.iter().any(Value::truth)),
        "all" => Value::Bool(items(one()?)?.iter().all(Value::truth)),
        "min" | "max" => {
            let values = if a.len() == 1 {
                items(&a[0])?
            } else {
                a.clone()
            };
            let mut best: Option<Value> = None;
            for value in values {
                let better = match &best {
                    None => true,
                    Some(current) => {
                        let ordering = value
                            .compare(current)
                            .ok_or_else(|| format!("`{name}` cannot compare these values"))?;
                        if name == "min" {
                            ordering.is_lt()
                        } else {
                            ordering.is_gt()
                        }
                    }
                };
                if better {
                    best = Some(value);
                }
            }
            best.ok_or_else(|| format!("`{name}` of an empty list"))?
        }
        "dict" => {
            let mut entries = Vec::new();
            if let Some(Value::Dict(other)) = a.first() {
                entries = other.borrow().clone();
            } else if let Some(pairs) = a.first() {
                for pair in items(pairs)? {
                    match pair.items().as_deref() {
                        Some([key, value]) => dict_set(&mut entries, key.clone(), value.clone())?,
                        _ => return Err("`dict` needs pairs".into()),
                    }
                }
            }
            for (key, value) in args.named {
                dict_set(&mut entries, Value::str(key), value)?;
            }
            Value::Dict(Rc::new(RefCell::new(entries)))
        }
        "fail" => {
            let words: Vec<String> = a.iter().map(Value::to_str).collect();
            return Err(format!("fail: {}", words.join(" ")));
        }
        // A rules file has no output; `print` is accepted and ignored.
        "print" => Value::None,
        _ => return Err(format!("`{name}` is not a builtin")),
    })
}

/// The method `name` of `object`, if it has one.
pub fn method(object: &Value, name: &str) -> Option<&'static str> {
    let names: &[&'static str] = match object {
        Value::Str(_) => &[
            "join",
            "split",
            "strip",
            "lstrip",
            "rstrip",
            "startswith",
            "endswith",
            "replace",
            "lower",
            "upper",
            "format",
            "count",
            "find",
            "rfind",
            "index",
        ],
        Value::List(_) => &["append", "extend", "index"],
        Value::Dict(_) => &["get", "keys", "values", "items"],
        _ => &[],
    };
    names.iter().find(|n| **n == name).copied()
}

pub fn call_method(object: &Value, name: &str, args: Args) -> Result<Value, String> {
    if let (Value::Str(template), "format") = (object, name) {
        return super::value::brace_format(template, &args.positional, &args.named).map(Value::str);
    }
    if let Some((key, _)) = args.named.first() {
        return Err(format!("`{name}` takes no parameter `{key}`"));
    }
    let a = &args.positional;
    let string = |i: usize| match a.get(i) {
        Some(Value::Str(s)) => Ok(s.to_string()),
        Some(other) => Err(format!(
            "`{name}` needs a string, got {}",
            other.type_name()
        )),
        None => Err(format!("`{name}` needs an argument")),
    };
    Ok(match object {
        Value::Str(s) => match name {
            "join" => {
                let items = a
                    .first()
                    .and_then(Value::items)
                    .ok_or_else(|| "`join` needs a list of strings".to_owned())?;
                let words: Vec<String> = items
                    .iter()
                    .map(|item| match item {
                        Value::Str(word) => Ok(word.to_string()),
                        other => Err(format!("`join` needs strings, got {}", other.type_name())),
                    })
                    .collect::<Result<_, _>>()?;
                let joined = words.join(s);
                if joined.len() > MAX_LEN {
                    return Err("`join` result is too long".into());
                }
                Value::str(joined)
            }
            "split" => Value::list(match a.first() {
                None | Some(Value::None) => s.split_whitespace().map(Value::str).collect(),
                Some(_) => {
                    let separator = string(0)?;
                    if separator.is_empty() {
                        return Err("`split` separator is empty".into());
                    }
                    s.split(separator.as_str()).map(Value::str).collect()
                }
            }),
            "strip" => Value::str(s.trim()),
            "lstrip" => Value::str(s.trim_start()),
            "rstrip" => Value::str(s.trim_end()),
            "startswith" => Value::Bool(s.starts_with(string(0)?.as_str())),
            "endswith" => Value::Bool(s.ends_with(string(0)?.as_str())),
            "replace" => {
                let (from, to) = (string(0)?, string(1)?);
                if from.is_empty() || s.len().saturating_mul(to.len().max(1)) > MAX_LEN {
                    return Err("`replace` cannot do this replacement".into());
                }
                Value::str(s.replace(&from, &to))
            }
            "lower" => Value::str(s.to_lowercase()),
            "upper" => Value::str(s.to_uppercase()),
            "count" => Value::Int(s.matches(string(0)?.as_str()).count() as i64),
            "find" | "rfind" | "index" => {
                let needle = string(0)?;
                let found = if name == "rfind" {
                    s.rfind(needle.as_str())
                } else {
                    s.find(needle.as_str())
                };
                // Positions count characters, as the language's do.
                match found {
                    Some(at) => Value::Int(s[..at].chars().count() as i64),
                    None if name == "index" => return Err("`index`: substring not found".into()),
                    None => Value::Int(-1),
                }
            }
            _ => return Err(format!("string has no method `{name}`")),
        },
        Value::List(items) => match name {
            "append" => {
                let value = a.first().cloned().ok_or("`append` needs an argument")?;
                let mut items = items.borrow_mut();
                if items.len() >= MAX_LEN {
                    return Err("the list is too long".into());
                }
                items.push(value);
                Value::None
            }
            "extend" => {
                let extra = a
                    .first()
                    .and_then(Value::items)
                    .ok_or("`extend` needs a list")?;
                let mut items = items.borrow_mut();
                if items.len() + extra.len() > MAX_LEN {
                    return Err("the list is too long".into());
                }
                items.extend(extra);
                Value::None
            }
            "index" => {
                let needle = a.first().ok_or("`index` needs an argument")?;
                let at = items.borrow().iter().position(|item| item.equals(needle));
                Value::Int(at.ok_or("`index`: value not in list")? as i64)
            }
            _ => return Err(format!("list has no method `{name}`")),
        },
        Value::Dict(entries) => {
            let entries = entries.borrow();
            match name {
                "get" => {
                    let key = a.first().ok_or("`get` needs a key")?;
                    if !key.hashable() {
                        return Err(super::value::not_hashable(key));
                    }
                    let found = entries.iter().find(|(k, _)| k.equals(key));
                    found
                        .map(|(_, v)| v.clone())
                        .unwrap_or_else(|| a.get(1).cloned().unwrap_or(Value::None))
                }
                "keys" => Value::list(entries.iter().map(|(k, _)| k.clone()).collect()),
                "values" => Value::list(entries.iter().map(|(_, v)| v.clone()).collect()),
                "items" => Value::list(
                    entries
                        .iter()
                        .map(|(k, v)| Value::Tuple(Rc::new(vec![k.clone(), v.clone()])))
                        .collect(),
                ),
                _ => return Err(format!("dict has no method `{name}`")),
            }
        }
        other => return Err(format!("{} has no method `{name}`", other.type_name())),
    })
}

pub fn index(object: &Value, index: &Value) -> Result<Value, String> {
    match (object, index) {
        (Value::Dict(entries), key) => entries
            .borrow()
            .iter()
            .find(|(k, _)| k.equals(key))
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("key {} not found", key.repr())),
        (Value::Str(s), Value::Int(i)) => {
            let chars: Vec<char> = s.chars().collect();
            let at = normalise_index(*i, chars.len())?;
            Ok(Value::str(chars[at].to_string()))
        }
        (sequence, Value::Int(i)) => {
            let items = sequence
                .items()
                .ok_or_else(|| format!("{} cannot be indexed", sequence.type_name()))?;
            let at = normalise_index(*i, items.len())?;
            Ok(items[at].clone())
        }
        (sequence, other) => Err(format!(
            "{} cannot be indexed by {}",
            sequence.type_name(),
            other.type_name()
        )),
    }
}

/// `object[start:end:step]` as Python and Starlark slice lists, tuples and
/// strings: negative indices count from the end, out-of-range ones are
/// clamped, a negative step walks backwards.
pub fn slice(
    object: &Value,
    start: Option<i64>,
    end: Option<i64>,
    step: Option<i64>,
) -> Result<Value, String> {
    let step = step.unwrap_or(1);
    if step == 0 {
        return Err("slice step cannot be zero".to_string());
    }
    let picks = |len: usize| -> Vec<usize> {
        let len = len as i64;
        let bound = |index: Option<i64>, default: i64, low: i64, high: i64| match index {
            None => default,
            Some(i) if i < 0 => (i + len).clamp(low, high),
            Some(i) => i.clamp(low, high),
        };
        let mut picked = Vec::new();
        if step > 0 {
            let (mut at, end) = (bound(start, 0, 0, len), bound(end, len, 0, len));
            while at < end {
                picked.push(at as usize);
                at = at.saturating_add(step);
            }
        } else {
            let start = bound(start, len - 1, -1, len - 1);
            let end = bound(end, -1, -1, len - 1);
            let mut at = start;
            while at > end {
                picked.push(at as usize);
                at = at.saturating_add(step);
            }
        }
        picked
    };
    match object {
        Value::Str(text) => {
            let chars: Vec<char> = text.chars().collect();
            Ok(Value::str(
                picks(chars.len())
                    .into_iter()
                    .map(|at| chars[at])
                    .collect::<String>(),
            ))
        }
        Value::List(_) | Value::Tuple(_) => {
            let items = object.items().unwrap_or_default();
            let picked: Vec<Value> = picks(items.len())
                .into_iter()
                .map(|at| items[at].clone())
                .collect();
            Ok(match object {
                Value::Tuple(_) => Value::Tuple(Rc::new(picked)),
                _ => Value::list(picked),
            })
        }
        other => Err(format!("{} cannot be sliced", other.type_name())),
    }
}

fn normalise_index(i: i64, len: usize) -> Result<usize, String> {
    let len_i = len as i64;
    let at = if i < 0 { i + len_i } else { i };
    if (0..len_i).contains(&at) {
        Ok(at as usize)
    } else {
        Err(format!("index {i} out of range for length {len}"))
    }
}
