//! Runtime values of the Starlark subset and the operations on them that do
//! not need the interpreter: truth, equality, ordering, `repr`, and the
//! binary operators.

use super::ast::FunctionDef;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write;
use std::rc::Rc;

#[derive(Debug, Clone)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    Str(Rc<str>),
    List(Rc<RefCell<Vec<Value>>>),
    Tuple(Rc<Vec<Value>>),
    Dict(Rc<RefCell<Vec<(Value, Value)>>>),
    /// A `def` or a `lambda`, with the enclosing function's variables a
    /// lambda made inside a function sees (a snapshot taken when it was made).
    Function(Rc<FunctionDef>, Option<Rc<HashMap<String, Value>>>),
    Builtin(&'static str),
    /// A method looked up on a value, waiting to be called.
    Method(Box<Value>, &'static str),
}

/// Largest string or list the interpreter builds: a rules file has no use
/// for more, and a fuzzer would otherwise exhaust memory.
pub const MAX_LEN: usize = 1 << 20;

impl Value {
    pub fn str(text: impl Into<Rc<str>>) -> Value {
        Value::Str(text.into())
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(RefCell::new(items)))
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Tuple(_) => "tuple",
            Value::Dict(_) => "dict",
            Value::Function(..) | Value::Builtin(_) | Value::Method(..) => "function",
        }
    }

    pub fn truth(&self) -> bool {
        match self {
            Value::None => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Str(s) => !s.is_empty(),
            Value::List(items) => !items.borrow().is_empty(),
            Value::Tuple(items) => !items.is_empty(),
            Value::Dict(entries) => !entries.borrow().is_empty(),
            Value::Function(..) | Value::Builtin(_) | Value::Method(..) => true,
        }
    }

    /// The items of a list, tuple, dict (its keys) or string (its
    /// characters), for `for`, `in` and the builtins that iterate.
    pub fn items(&self) -> Option<Vec<Value>> {
        match self {
            Value::List(items) => Some(items.borrow().clone()),
            Value::Tuple(items) => Some(items.as_ref().clone()),
            Value::Dict(entries) => Some(entries.borrow().iter().map(|(k, _)| k.clone()).collect()),
            _ => None,
        }
    }

    pub fn repr(&self) -> String {
        let mut out = String::new();
        self.write_repr(&mut out, 0);
        out
    }

    /// `str(value)`: strings as they are, everything else as `repr`.
    pub fn to_str(&self) -> String {
        match self {
            Value::Str(s) => s.to_string(),
            other => other.repr(),
        }
    }

    fn write_repr(&self, out: &mut String, depth: usize) {
        if depth > 32 || out.len() > MAX_LEN {
            out.push_str("...");
            return;
        }
        let seq = |out: &mut String, open: &str, items: &[Value], close: &str| {
            out.push_str(open);
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                item.write_repr(out, depth + 1);
            }
            out.push_str(close);
        };
        match self {
            Value::None => out.push_str("None"),
            Value::Bool(true) => out.push_str("True"),
            Value::Bool(false) => out.push_str("False"),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Str(s) => out.push_str(&serde_json::to_string(&**s).unwrap_or_default()),
            Value::List(items) => seq(out, "[", &items.borrow(), "]"),
            Value::Tuple(items) => seq(out, "(", items, if items.len() == 1 { ",)" } else { ")" }),
            Value::Dict(entries) => {
                out.push('{');
                for (i, (key, value)) in entries.borrow().iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    key.write_repr(out, depth + 1);
                    out.push_str(": ");
                    value.write_repr(out, depth + 1);
                }
                out.push('}');
            }
            Value::Function(def, _) => {
                let _ = write!(out, "<function {}>", def.name);
            }
            Value::Builtin(name) => {
                let _ = write!(out, "<built-in function {name}>");
            }
            Value::Method(_, name) => {
                let _ = write!(out, "<built-in method {name}>");
            }
        }
    }

    pub fn equals(&self, other: &Value) -> bool {
        self.equals_at(other, 0)
    }

    /// Values nest at most this deep in comparisons: a list that contains
    /// itself must not recurse for ever.
    const MAX_COMPARE_DEPTH: usize = 32;

    fn equals_at(&self, other: &Value, depth: usize) -> bool {
        if depth > Self::MAX_COMPARE_DEPTH {
            return false;
        }
        let seq = |a: &[Value], b: &[Value]| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.equals_at(y, depth + 1))
        };
        match (self, other) {
            (Value::None, Value::None) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::List(a), Value::List(b)) => Rc::ptr_eq(a, b) || seq(&a.borrow(), &b.borrow()),
            (Value::Tuple(a), Value::Tuple(b)) => seq(a, b),
            (Value::Dict(a), Value::Dict(b)) => {
                let (a, b) = (a.borrow(), b.borrow());
                a.len() == b.len()
                    && a.iter().all(|(k, v)| {
                        b.iter().any(|(k2, v2)| {
                            k.equals_at(k2, depth + 1) && v.equals_at(v2, depth + 1)
                        })
                    })
            }
            (Value::Function(a, _), Value::Function(b, _)) => Rc::ptr_eq(a, b),
            (Value::Builtin(a), Value::Builtin(b)) => a == b,
            _ => false,
        }
    }

    pub fn compare(&self, other: &Value) -> Option<std::cmp::Ordering> {
        self.compare_at(other, 0)
    }

    fn compare_at(&self, other: &Value, depth: usize) -> Option<std::cmp::Ordering> {
        if depth > Self::MAX_COMPARE_DEPTH {
            return None;
        }
        match (self, other) {
            (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
            (Value::Str(a), Value::Str(b)) => Some(a.cmp(b)),
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            (Value::List(a), Value::List(b)) => seq_compare(&a.borrow(), &b.borrow(), depth),
            (Value::Tuple(a), Value::Tuple(b)) => seq_compare(a, b, depth),
            _ => None,
        }
    }
}

fn seq_compare(a: &[Value], b: &[Value], depth: usize) -> Option<std::cmp::Ordering> {
    for (x, y) in a.iter().zip(b) {
        match x.compare_at(y, depth + 1)? {
            std::cmp::Ordering::Equal => {}
            unequal => return Some(unequal),
        }
    }
    Some(a.len().cmp(&b.len()))
}

/// `left OP right` for the arithmetic, comparison and membership operators
/// (`and`/`or` short-circuit and live in the interpreter).
/// `template % args`: `%s` (as `str`), `%r` (as `repr`), `%d` and `%i`
/// (integers), `%%`; each argument used once, all of them used.
fn percent_format(template: &str, args: &[Value]) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut args = args.iter();
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let conversion = chars
            .next()
            .ok_or("incomplete format: `%` at the end of the string")?;
        if conversion == '%' {
            out.push('%');
            continue;
        }
        let arg = args
            .next()
            .ok_or("not enough arguments for the format string")?;
        match (conversion, arg) {
            ('s', arg) => out.push_str(&arg.to_str()),
            ('r', arg) => out.push_str(&arg.repr()),
            ('d' | 'i', Value::Int(i)) => out.push_str(&i.to_string()),
            ('d' | 'i', other) => {
                return Err(format!(
                    "`%{conversion}` needs an integer, got {}",
                    other.type_name()
                ));
            }
            (other, _) => return Err(format!("unsupported format character `{other}`")),
        }
        if out.len() > MAX_LEN {
            return Err(format!(
                "the formatted string is too long (more than {MAX_LEN} bytes)"
            ));
        }
    }
    if args.next().is_some() {
        return Err("not all arguments converted during string formatting".to_string());
    }
    Ok(out)
}

/// `template.format(*positional, **named)`: `{}` (the next positional),
/// `{0}` (by position), `{name}` (by name), `{{` and `}}`.
pub fn brace_format(
    template: &str,
    positional: &[Value],
    named: &[(String, Value)],
) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut next = 0;
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '}' => return Err("single `}` in the format string".to_string()),
            '{' => {
                let mut field = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => field.push(c),
                        None => return Err("`{` is never closed in the format string".to_string()),
                    }
                }
                let value = if field.is_empty() {
                    next += 1;
                    positional.get(next - 1)
                } else if let Ok(index) = field.parse::<usize>() {
                    positional.get(index)
                } else {
                    named
                        .iter()
                        .find(|(name, _)| *name == field)
                        .map(|(_, value)| value)
                };
                let value =
                    value.ok_or_else(|| format!("no argument for `{{{field}}}` in `format`"))?;
                out.push_str(&value.to_str());
            }
            c => out.push(c),
        }
        if out.len() > MAX_LEN {
            return Err(format!(
                "the formatted string is too long (more than {MAX_LEN} bytes)"
            ));
        }
    }
    Ok(out)
}

/// `a // b` rounded towards negative infinity, as in Starlark (and
/// Python): `7 // -2` is -4.
fn floor_div(a: i64, b: i64) -> Result<i64, String> {
    if b == 0 {
        return Err("division by zero".into());
    }
    let quotient = a.checked_div(b).ok_or("integer overflow")?;
    Ok(if a % b != 0 && (a < 0) != (b < 0) {
        quotient - 1
    } else {
        quotient
    })
}

/// `a % b` with the sign of `b`, as in Starlark (and Python): `7 % -2` is
/// -1.
fn floor_mod(a: i64, b: i64) -> Result<i64, String> {
    if b == 0 {
        return Err("division by zero".into());
    }
    let remainder = a.checked_rem(b).ok_or("integer overflow")?;
    Ok(if remainder != 0 && (remainder < 0) != (b < 0) {
        remainder + b
    } else {
        remainder
    })
}

pub fn binary(op: &str, left: &Value, right: &Value) -> Result<Value, String> {
    let unsupported = || {
        format!(
            "unsupported operation: {} `{op}` {}",
            left.type_name(),
            right.type_name()
        )
    };
    let too_long = || format!("the result of `{op}` is too long (more than {MAX_LEN} items)");
    let value = match (op, left, right) {
        ("==", a, b) => Value::Bool(a.equals(b)),
        ("!=", a, b) => Value::Bool(!a.equals(b)),
        ("<" | ">" | "<=" | ">=", a, b) => {
            let ordering = a.compare(b).ok_or_else(unsupported)?;
            Value::Bool(match op {
                "<" => ordering.is_lt(),
                ">" => ordering.is_gt(),
                "<=" => ordering.is_le(),
                _ => ordering.is_ge(),
            })
        }
        ("in" | "not in", needle, haystack) => {
            let found = match (needle, haystack) {
                (Value::Str(n), Value::Str(h)) => h.contains(&**n),
                (_, Value::Str(_)) => return Err(unsupported()),
                (n, Value::Dict(_)) if !n.hashable() => return Err(not_hashable(n)),
                (n, h) => h
                    .items()
                    .ok_or_else(unsupported)?
                    .iter()
                    .any(|item| item.equals(n)),
            };
            Value::Bool(found == (op == "in"))
        }
        ("+", Value::Int(a), Value::Int(b)) => {
            Value::Int(a.checked_add(*b).ok_or("integer overflow")?)
        }
        ("-", Value::Int(a), Value::Int(b)) => {
            Value::Int(a.checked_sub(*b).ok_or("integer overflow")?)
        }
        ("*", Value::Int(a), Value::Int(b)) => {
            Value::Int(a.checked_mul(*b).ok_or("integer overflow")?)
        }
        ("//" | "/", Value::Int(a), Value::Int(b)) => Value::Int(floor_div(*a, *b)?),
        ("%", Value::Int(a), Value::Int(b)) => Value::Int(floor_mod(*a, *b)?),
        ("%", Value::Str(template), args) => {
            let args = match args {
                Value::Tuple(items) => items.to_vec(),
                other => vec![other.clone()],
            };
            Value::str(percent_format(template, &args)?)
        }
        ("+", Value::Str(a), Value::Str(b)) => {
            if a.len() + b.len() > MAX_LEN {
                return Err(too_long());
            }
            Value::str(format!("{a}{b}"))
        }
        ("+", Value::List(a), Value::List(b)) => {
            let mut items = a.borrow().clone();
            items.extend(b.borrow().iter().cloned());
            if items.len() > MAX_LEN {
                return Err(too_long());
            }
            Value::list(items)
        }
        ("+", Value::Tuple(a), Value::Tuple(b)) => {
            Value::Tuple(Rc::new(a.iter().chain(b.iter()).cloned().collect()))
        }
        ("*", Value::Str(s), Value::Int(n)) | ("*", Value::Int(n), Value::Str(s)) => {
            let count = usize::try_from(*n).unwrap_or(0);
            if s.len().saturating_mul(count) > MAX_LEN {
                return Err(too_long());
            }
            Value::str(s.repeat(count))
        }
        ("*", Value::Tuple(t), Value::Int(n)) | ("*", Value::Int(n), Value::Tuple(t)) => {
            let count = usize::try_from(*n).unwrap_or(0);
            if t.len().saturating_mul(count) > MAX_LEN {
                return Err(too_long());
            }
            Value::Tuple(Rc::new(
                t.iter().cloned().cycle().take(t.len() * count).collect(),
            ))
        }
        ("*", Value::List(l), Value::Int(n)) | ("*", Value::Int(n), Value::List(l)) => {
            let count = usize::try_from(*n).unwrap_or(0);
            let items = l.borrow();
            if items.len().saturating_mul(count) > MAX_LEN {
                return Err(too_long());
            }
            Value::list(
                items
                    .iter()
                    .cloned()
                    .cycle()
                    .take(items.len() * count)
                    .collect(),
            )
        }
        ("|", Value::Dict(a), Value::Dict(b)) => {
            let mut entries = a.borrow().clone();
            for (key, value) in b.borrow().iter() {
                dict_set(&mut entries, key.clone(), value.clone())?;
            }
            Value::Dict(Rc::new(RefCell::new(entries)))
        }
        _ => return Err(unsupported()),
    };
    Ok(value)
}

/// Set `key` in a dict's entries; a key that is not hashable (a list, a
/// dict, a function, or a tuple holding one) is an error, as in Starlark.
pub fn dict_set(entries: &mut Vec<(Value, Value)>, key: Value, value: Value) -> Result<(), String> {
    if !key.hashable() {
        return Err(not_hashable(&key));
    }
    match entries.iter_mut().find(|(k, _)| k.equals(&key)) {
        Some(entry) => entry.1 = value,
        None => entries.push((key, value)),
    }
    Ok(())
}

pub fn not_hashable(key: &Value) -> String {
    format!(
        "a {} is not hashable, so it cannot be a dict key",
        key.type_name()
    )
}

impl Value {
    pub fn hashable(&self) -> bool {
        match self {
            Value::None | Value::Bool(_) | Value::Int(_) | Value::Str(_) => true,
            Value::Tuple(items) => items.iter().all(Value::hashable),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn repr_is_starlark_like() {
        let value = Value::list(vec![
            Value::str("a\"b"),
            Value::Int(3),
            Value::None,
            Value::Tuple(Rc::new(vec![Value::Bool(true)])),
        ]);
        assert_eq!(value.repr(), "[\"a\\\"b\", 3, None, (True,)]");
    }

    #[test]
    fn lists_that_contain_themselves_compare_without_recursing_for_ever() {
        let (a, b) = (Value::list(Vec::new()), Value::list(Vec::new()));
        for list in [&a, &b] {
            if let Value::List(items) = list {
                items.borrow_mut().push(list.clone());
            }
        }
        assert_eq!(
            (a.equals(&b), a.equals(&a), a.compare(&b)),
            (false, true, None)
        );
    }

    #[test]
    fn operators_refuse_mixed_types_by_name() {
        assert_eq!(
            binary("+", &Value::Int(1), &Value::str("x")).unwrap_err(),
            "unsupported operation: int `+` string"
        );
        assert_eq!(
            binary("*", &Value::str("ab"), &Value::Int(2))
                .unwrap()
                .repr(),
            "\"abab\""
        );
    }
}
