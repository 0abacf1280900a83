//! The Starlark subset that `.rules` files are written in: lexer, parser and
//! a small interpreter. Variables, `def` (with defaults, `*args`,
//! `**kwargs`), top-level `for`, `if`, list comprehensions, f-strings and the
//! common builtins work, as in the reference's dialect; `load` is refused.
//!
//! It is not a general Starlark implementation: no floats, no `lambda`, no
//! slicing, no freezing of globals. The rules builtins are supplied by a
//! [`Host`], so this module knows nothing of rules.

mod ast;
mod builtins;
mod eval;
mod lexer;
mod parser;
mod value;

pub use eval::{Args, Host};
pub use value::Value;

/// A 1-based line and column in a rules file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

/// The file does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

/// The file parses but evaluating it failed (a builtin refused its
/// arguments, a name is unknown, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    pub pos: Pos,
    pub message: String,
}

impl EvalError {
    pub(crate) fn at(pos: Pos, message: impl Into<String>) -> Self {
        EvalError {
            pos,
            message: message.into(),
        }
    }
}

/// Either way a module can fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModuleError {
    Syntax(SyntaxError),
    Eval(EvalError),
}

/// Parse and run one module against `host`.
pub fn run(source: &str, host: &mut dyn Host) -> Result<(), ModuleError> {
    let module = parser::parse_module(source).map_err(ModuleError::Syntax)?;
    eval::Interpreter::new(host)
        .run(&module)
        .map_err(ModuleError::Eval)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    /// A host with one builtin, `emit(value)`, that records `repr(value)`.
    #[derive(Default)]
    struct Recorder(Vec<String>);

    impl Host for Recorder {
        fn builtins(&self) -> &'static [&'static str] {
            &["emit"]
        }
        fn call(&mut self, _name: &'static str, args: Args, _pos: Pos) -> Result<Value, String> {
            self.0.extend(args.positional.iter().map(Value::repr));
            Ok(Value::None)
        }
    }

    fn emitted(source: &str) -> Result<Vec<String>, ModuleError> {
        let mut host = Recorder::default();
        run(source, &mut host)?;
        Ok(host.0)
    }

    #[test]
    fn the_language_features_evaluate() {
        let source = r#"
GIT = ["status", "log"]
def pair(a, b = "x", *rest, **named):
    return [a, b] + list(rest) + sorted(named.keys())
for sub in GIT:
    emit(f"git {sub}")
[emit(pair(s, k = 1)) for s in GIT if s != "log"]
emit(pair(1, 2, 3, 4))
n = 0
for i in range(5):
    if i == 3:
        break
    n += i
emit(n, "a" if n > 2 else "b", " ".join(["x", "y"]).upper(), len({"k": 1}))
x, y = ("p", "q")
emit(y + x, "q" in [y], {"a": 1}.get("b", 7), -3 // 2)
"#;
        assert_eq!(
            emitted(source).unwrap(),
            [
                "\"git status\"",
                "\"git log\"",
                "[\"status\", \"x\", \"k\"]",
                "[1, 2, 3, 4]",
                "3",
                "\"a\"",
                "\"X Y\"",
                "1",
                "\"qp\"",
                "True",
                "7",
                "-2",
            ]
        );
    }

    #[test]
    fn runtime_errors_name_the_position() {
        assert_eq!(
            emitted("x = 1\nemit(y)\n").unwrap_err(),
            ModuleError::Eval(EvalError::at(
                Pos { line: 2, col: 6 },
                "variable `y` not found"
            ))
        );
        assert_eq!(
            emitted("def f():\n    f()\nf()\n").unwrap_err(),
            ModuleError::Eval(EvalError::at(
                Pos { line: 2, col: 5 },
                "function `f` called recursively"
            ))
        );
        assert_eq!(
            emitted("fail(\"no\", 1)\n").unwrap_err(),
            ModuleError::Eval(EvalError::at(Pos { line: 1, col: 1 }, "fail: no 1"))
        );
    }

    #[test]
    fn hostile_files_are_bounded() {
        assert_eq!(
            emitted("x = \"a\" * 100000000\n").unwrap_err(),
            ModuleError::Eval(EvalError::at(
                Pos { line: 1, col: 5 },
                "the result of `*` is too long (more than 1048576 items)"
            ))
        );
        let nested = format!("x = {}1{}\n", "(".repeat(500), ")".repeat(500));
        assert!(matches!(emitted(&nested), Err(ModuleError::Syntax(_))));
    }
}
