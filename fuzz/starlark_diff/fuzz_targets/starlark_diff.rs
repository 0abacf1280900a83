//! Differential fuzzing of the Starlark subset that `.rules` files are
//! written in: each input is decoded into a Starlark expression (from the
//! subset duet implements), which duet and the `starlark` crate (the
//! reference implementation Codex's rules engine uses) both evaluate. The
//! expression's value reaches duet's side through the only door a rules
//! file has, a `prefix_rule` whose pattern holds `str([EXPR])`; the
//! starlark crate computes the same text directly. They must agree: the
//! same text, or both an error.
//!
//! Known, deliberate differences are not reported: duet's integers are
//! 64-bit (an overflow is an error where the crate has big integers), and
//! duet refuses strings and lists over a megabyte.

#![no_main]

use libfuzzer_sys::fuzz_target;
use starlark::environment::{Globals, GlobalsBuilder, LibraryExtension, Module};
use starlark::eval::Evaluator;
use starlark::syntax::{AstModule, Dialect};

/// Reads choices from the fuzzer's bytes; zeros once they run out.
struct Choices<'a> {
    bytes: &'a [u8],
}

impl Choices<'_> {
    fn byte(&mut self) -> u8 {
        match self.bytes.split_first() {
            Some((first, rest)) => {
                self.bytes = rest;
                *first
            }
            None => 0,
        }
    }

    fn below(&mut self, n: u8) -> u8 {
        self.byte() % n
    }
}

const NAMES: [&str; 3] = ["a", "b", "c"];
const WORDS: [&str; 8] = ["", "x", "ab", "a b", "A-b", " pad ", "q\"t", "%s=%d"];

/// A Starlark expression of at most `depth` levels; `bound` are the
/// variables in scope (comprehension and lambda parameters).
fn expr(c: &mut Choices<'_>, depth: u8, bound: &[&'static str]) -> String {
    if depth == 0 || c.below(4) == 0 {
        return atom(c, bound);
    }
    let d = depth - 1;
    match c.below(24) {
        0 => format!("[{}]", list(c, d, bound)),
        1 => format!("({},)", expr(c, d, bound)),
        2 => format!("({}, {})", expr(c, d, bound), expr(c, d, bound)),
        3 => format!("{{{}: {}}}", key(c), expr(c, d, bound)),
        4 => {
            let ops = [
                "+", "-", "*", "//", "%", "==", "!=", "<", "<=", ">", ">=", "and", "or", "in",
                "not in",
            ];
            let op = ops[usize::from(c.below(ops.len() as u8))];
            format!("({} {op} {})", expr(c, d, bound), expr(c, d, bound))
        }
        5 => format!("(not {})", expr(c, d, bound)),
        6 => format!("(-{})", expr(c, d, bound)),
        7 => format!("({})[{}]", expr(c, d, bound), expr(c, d, bound)),
        8 => {
            let part = |c: &mut Choices<'_>| match c.below(3) {
                0 => String::new(),
                _ => small_int(c),
            };
            let (lo, hi) = (part(c), part(c));
            if c.below(2) == 0 {
                format!("({})[{lo}:{hi}]", expr(c, d, bound))
            } else {
                let step = match c.below(3) {
                    0 => "-1".to_string(),
                    1 => "2".to_string(),
                    _ => String::new(),
                };
                format!("({})[{lo}:{hi}:{step}]", expr(c, d, bound))
            }
        }
        9 => format!(
            "({} if {} else {})",
            expr(c, d, bound),
            expr(c, d, bound),
            expr(c, d, bound)
        ),
        10 | 11 => {
            let name = NAMES[usize::from(c.below(3))];
            let mut inner = bound.to_vec();
            inner.push(name);
            let source = expr(c, d, bound);
            let body = expr(c, d, &inner);
            if c.below(2) == 0 {
                format!("[{body} for {name} in {source}]")
            } else {
                format!("[{body} for {name} in {source} if {}]", expr(c, d, &inner))
            }
        }
        12 => {
            let name = NAMES[usize::from(c.below(3))];
            let mut inner = bound.to_vec();
            inner.push(name);
            let source = expr(c, d, bound);
            format!(
                "{{str({name}): {} for {name} in {source}}}",
                expr(c, d, &inner)
            )
        }
        13 => {
            let name = NAMES[usize::from(c.below(3))];
            let mut inner = bound.to_vec();
            inner.push(name);
            let body = expr(c, d, &inner);
            format!("(lambda {name}: {body})({})", expr(c, d, bound))
        }
        14 | 15 => {
            let one = [
                "len",
                "str",
                "sorted",
                "reversed",
                "list",
                "tuple",
                "bool",
                "int",
                "type",
                "any",
                "all",
                "enumerate",
                "min",
                "max",
                "range",
                "dict",
            ];
            let f = one[usize::from(c.below(one.len() as u8))];
            // A range is its own type in Starlark (`range(3)` prints so);
            // duet's is a list. Compared as lists.
            if f == "range" {
                return format!("list(range({}))", expr(c, d, bound));
            }
            format!("{f}({})", expr(c, d, bound))
        }
        16 => {
            let two = ["range", "zip", "min", "max"];
            let f = two[usize::from(c.below(two.len() as u8))];
            if f == "range" {
                return format!("list(range({}, {}))", expr(c, d, bound), expr(c, d, bound));
            }
            format!("{f}({}, {})", expr(c, d, bound), expr(c, d, bound))
        }
        17 | 18 => {
            let methods = [
                "upper()",
                "lower()",
                "strip()",
                "lstrip()",
                "rstrip()",
                "split()",
                "split(\" \")",
                "startswith(\"a\")",
                "endswith(\"b\")",
                "replace(\"a\", \"z\")",
                "join([\"1\", \"2\"])",
                "format(1, \"x\")",
                "count(\"a\")",
                "find(\"b\")",
            ];
            let m = methods[usize::from(c.below(methods.len() as u8))];
            format!("({}).{m}", expr(c, d, bound))
        }
        19 => {
            let methods = ["keys()", "values()", "items()", "get(\"k\")", "get(1, 0)"];
            let m = methods[usize::from(c.below(methods.len() as u8))];
            format!("({}).{m}", expr(c, d, bound))
        }
        20 => format!("({} % {})", string(c), expr(c, d, bound)),
        21 => format!(
            "\"{{}}-{{}}\".format({}, {})",
            expr(c, d, bound),
            expr(c, d, bound)
        ),
        22 => format!("({}).index({})", expr(c, d, bound), expr(c, d, bound)),
        _ => format!("str({})", expr(c, d, bound)),
    }
}

fn list(c: &mut Choices<'_>, depth: u8, bound: &[&'static str]) -> String {
    let n = c.below(4);
    (0..n)
        .map(|_| expr(c, depth, bound))
        .collect::<Vec<_>>()
        .join(", ")
}

fn atom(c: &mut Choices<'_>, bound: &[&'static str]) -> String {
    match c.below(7) {
        0 | 1 => small_int(c),
        2 | 3 => string(c),
        4 => ["True", "False", "None"][usize::from(c.below(3))].to_string(),
        5 if !bound.is_empty() => bound[usize::from(c.below(bound.len() as u8))].to_string(),
        _ => "[]".to_string(),
    }
}

fn small_int(c: &mut Choices<'_>) -> String {
    (i16::from(c.byte() as i8) / 8).to_string()
}

fn string(c: &mut Choices<'_>) -> String {
    let word = WORDS[usize::from(c.below(WORDS.len() as u8))];
    format!("\"{}\"", word.replace('"', "\\\""))
}

fn key(c: &mut Choices<'_>) -> String {
    if c.below(2) == 0 {
        small_int(c)
    } else {
        string(c)
    }
}

/// `str([expression])` as the starlark crate computes it, or its error.
fn reference(expression: &str) -> Result<String, String> {
    let program = format!("str([{expression}])\n");
    let ast =
        AstModule::parse("diff.star", program, &Dialect::Extended).map_err(|e| e.to_string())?;
    static GLOBALS: std::sync::OnceLock<Globals> = std::sync::OnceLock::new();
    let globals = GLOBALS.get_or_init(|| {
        GlobalsBuilder::extended_by(&[LibraryExtension::Print, LibraryExtension::Json]).build()
    });
    Module::with_temp_heap(|module| {
        let mut eval = Evaluator::new(&module);
        let out = eval.eval_module(ast, globals).map_err(|e| e.to_string())?;
        out.unpack_str()
            .map(str::to_string)
            .ok_or_else(|| "not a string".to_string())
    })
}

/// The same through a duet rules file, or duet's error.
fn duet(expression: &str, expected: &str) -> Result<bool, String> {
    let text =
        format!("prefix_rule(pattern = [\"probe\", str([{expression}])], decision = \"allow\")\n");
    let mut policy = duet_execpolicy::Policy::empty();
    policy
        .add_source(std::path::Path::new("diff.rules"), &text)
        .map_err(|e| e.to_string())?;
    let argv = vec!["probe".to_string(), expected.to_string()];
    Ok(!policy.check(&argv, true).is_empty())
}

fn big_int(text: &str) -> bool {
    let mut digits = 0;
    for ch in text.chars() {
        if ch.is_ascii_digit() {
            digits += 1;
            if digits > 15 {
                return true;
            }
        } else {
            digits = 0;
        }
    }
    false
}

fuzz_target!(|data: &[u8]| {
    let mut choices = Choices { bytes: data };
    let expression = expr(&mut choices, 4, &[]);
    let expected = reference(&expression);
    match (
        &expected,
        duet(&expression, expected.as_deref().unwrap_or("")),
    ) {
        (Ok(_), Ok(true)) | (Err(_), Err(_)) => {}
        (Ok(text), Err(error))
            if big_int(text) || error.contains("overflow") || error.contains("too long") => {}
        // The crate runs a comprehension over an empty string constant
        // (strings are not iterable in Starlark, and duet says so).
        (Ok(_), Err(error)) if error.contains("strings are not iterable") => {}
        (Err(error), Ok(_)) if error.contains("overflow") => {}
        (expected, got) => panic!(
            "duet and the starlark crate disagree on `{expression}`:\n  starlark: {expected:?}\n  duet: {got:?}"
        ),
    }
});
