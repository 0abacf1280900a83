//! A tree-walking interpreter for the Starlark subset. The `.rules`
//! builtins come from a [`Host`]; everything else (variables, functions,
//! loops, comprehensions, the common builtins and methods) is here.
//!
//! It is not sandboxed by the operating system, and needs not be: the
//! language has no IO, no `while`, no recursion (refused) and no imports, and
//! a step budget plus size limits bound what a hostile file can make it do.

use super::ast::{Arg, Clause, Expr, ExprKind, FPart, FunctionDef, Param, Stmt};
use super::builtins;
use super::value::{MAX_LEN, Value, binary, dict_set};
use super::{EvalError, Pos};
use std::collections::HashMap;
use std::rc::Rc;

/// The builtins a rules file gets beyond plain Starlark.
pub trait Host {
    fn builtins(&self) -> &'static [&'static str];
    fn call(&mut self, name: &'static str, args: Args, pos: Pos) -> Result<Value, String>;
}

/// A call's arguments after `*` and `**` are spread.
#[derive(Debug, Default)]
pub struct Args {
    pub positional: Vec<Value>,
    pub named: Vec<(String, Value)>,
}

/// Statements and expressions one module may evaluate.
const STEP_BUDGET: u64 = 5_000_000;
const MAX_CALL_DEPTH: usize = 16;

pub struct Interpreter<'h> {
    host: &'h mut dyn Host,
    globals: HashMap<String, Value>,
    steps: u64,
    calls: Vec<Rc<FunctionDef>>,
}

enum Flow {
    Normal,
    Return(Value),
    Break,
    Continue,
}

/// A function's local variables, or `None` at module level.
type Locals = Option<HashMap<String, Value>>;

impl<'h> Interpreter<'h> {
    pub fn new(host: &'h mut dyn Host) -> Self {
        Interpreter {
            host,
            globals: HashMap::new(),
            steps: 0,
            calls: Vec::new(),
        }
    }

    pub fn run(&mut self, module: &[Stmt]) -> Result<(), EvalError> {
        let mut locals = None;
        match self.block(module, &mut locals)? {
            Flow::Normal => Ok(()),
            Flow::Return(_) => Err(EvalError::at(Pos::default(), "`return` outside a function")),
            Flow::Break | Flow::Continue => Err(EvalError::at(
                Pos::default(),
                "`break` or `continue` outside a loop",
            )),
        }
    }

    fn block(&mut self, body: &[Stmt], locals: &mut Locals) -> Result<Flow, EvalError> {
        for stmt in body {
            match self.stmt(stmt, locals)? {
                Flow::Normal => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Normal)
    }

    fn stmt(&mut self, stmt: &Stmt, locals: &mut Locals) -> Result<Flow, EvalError> {
        match stmt {
            Stmt::Expr(expr) => {
                self.expr(expr, locals)?;
            }
            Stmt::Assign {
                targets,
                value,
                pos,
            } => {
                let value = self.expr(value, locals)?;
                self.assign(targets, value, locals, *pos)?;
            }
            Stmt::AugAssign {
                target,
                op,
                value,
                pos,
            } => {
                let current = self.lookup(target, locals, *pos)?;
                let right = self.expr(value, locals)?;
                let result = match (&current, *op) {
                    // `list += x` extends in place, as in Python.
                    (Value::List(items), "+=") => {
                        let extra = right.items().ok_or_else(|| {
                            EvalError::at(
                                *pos,
                                format!("cannot add {} to a list", right.type_name()),
                            )
                        })?;
                        items.borrow_mut().extend(extra);
                        current.clone()
                    }
                    _ => binary(&op[..1], &current, &right).map_err(|m| EvalError::at(*pos, m))?,
                };
                self.assign(std::slice::from_ref(target), result, locals, *pos)?;
            }
            Stmt::Def(def) => {
                let value = Value::Function(Rc::clone(def), None);
                self.assign(
                    std::slice::from_ref(&def.name),
                    value,
                    locals,
                    Pos::default(),
                )?;
            }
            Stmt::For {
                targets,
                iter,
                body,
                pos,
            } => {
                let iterable = self.expr(iter, locals)?;
                for item in iterate(&iterable, *pos)? {
                    self.assign(targets, item, locals, *pos)?;
                    match self.block(body, locals)? {
                        Flow::Break => break,
                        Flow::Normal | Flow::Continue => {}
                        flow @ Flow::Return(_) => return Ok(flow),
                    }
                }
            }
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                let branch = if self.expr(cond, locals)?.truth() {
                    then
                } else {
                    otherwise
                };
                return self.block(branch, locals);
            }
            Stmt::Return(value) => {
                let value = match value {
                    Some(expr) => self.expr(expr, locals)?,
                    None => Value::None,
                };
                return Ok(Flow::Return(value));
            }
            Stmt::Pass => {}
            Stmt::Break => return Ok(Flow::Break),
            Stmt::Continue => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn assign(
        &mut self,
        targets: &[String],
        value: Value,
        locals: &mut Locals,
        pos: Pos,
    ) -> Result<(), EvalError> {
        let values = if targets.len() == 1 {
            vec![value]
        } else {
            value
                .items()
                .filter(|items| items.len() == targets.len())
                .ok_or_else(|| {
                    EvalError::at(
                        pos,
                        format!(
                            "cannot unpack {} into {} names",
                            value.repr(),
                            targets.len()
                        ),
                    )
                })?
        };
        for (name, value) in targets.iter().zip(values) {
            match locals {
                Some(locals) => locals.insert(name.clone(), value),
                None => self.globals.insert(name.clone(), value),
            };
        }
        Ok(())
    }

    fn lookup(&self, name: &str, locals: &Locals, pos: Pos) -> Result<Value, EvalError> {
        if let Some(value) = locals.as_ref().and_then(|locals| locals.get(name)) {
            return Ok(value.clone());
        }
        if let Some(value) = self.globals.get(name) {
            return Ok(value.clone());
        }
        if let Some(builtin) = self
            .host
            .builtins()
            .iter()
            .chain(builtins::NAMES)
            .find(|b| **b == name)
        {
            return Ok(Value::Builtin(builtin));
        }
        Err(EvalError::at(pos, format!("variable `{name}` not found")))
    }

    fn expr(&mut self, expr: &Expr, locals: &mut Locals) -> Result<Value, EvalError> {
        self.steps += 1;
        if self.steps > STEP_BUDGET {
            return Err(EvalError::at(
                expr.pos,
                "the file takes too long to evaluate",
            ));
        }
        let pos = expr.pos;
        let fail = |message: String| EvalError::at(pos, message);
        Ok(match &expr.kind {
            ExprKind::None => Value::None,
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::Int(i) => Value::Int(*i),
            ExprKind::Str(s) => Value::str(s.as_str()),
            ExprKind::FStr(parts) => {
                let mut text = String::new();
                for part in parts {
                    match part {
                        FPart::Text(t) => text.push_str(t),
                        FPart::Expr(e) => text.push_str(&self.expr(e, locals)?.to_str()),
                    }
                }
                Value::str(text)
            }
            ExprKind::Name(name) => self.lookup(name, locals, pos)?,
            ExprKind::List(items) => Value::list(self.exprs(items, locals)?),
            ExprKind::Tuple(items) => Value::Tuple(Rc::new(self.exprs(items, locals)?)),
            ExprKind::Dict(entries) => {
                let mut map = Vec::new();
                for (key, value) in entries {
                    let key = self.expr(key, locals)?;
                    let value = self.expr(value, locals)?;
                    dict_set(&mut map, key, value)
                        .map_err(|message| EvalError::at(pos, message))?;
                }
                Value::Dict(Rc::new(std::cell::RefCell::new(map)))
            }
            ExprKind::Call { func, args } => {
                let callee = self.expr(func, locals)?;
                let args = self.args(args, locals)?;
                self.call(callee, args, pos)?
            }
            ExprKind::Attr(object, name) => {
                let object = self.expr(object, locals)?;
                let method = builtins::method(&object, name).ok_or_else(|| {
                    fail(format!("{} has no attribute `{name}`", object.type_name()))
                })?;
                Value::Method(Box::new(object), method)
            }
            ExprKind::Index(object, index) => {
                let object = self.expr(object, locals)?;
                let index = self.expr(index, locals)?;
                builtins::index(&object, &index).map_err(fail)?
            }
            ExprKind::Binary(op @ ("and" | "or"), left, right) => {
                let left = self.expr(left, locals)?;
                if left.truth() == (*op == "or") {
                    left
                } else {
                    self.expr(right, locals)?
                }
            }
            ExprKind::Binary(op, left, right) => {
                let left = self.expr(left, locals)?;
                let right = self.expr(right, locals)?;
                binary(op, &left, &right).map_err(fail)?
            }
            ExprKind::Not(operand) => Value::Bool(!self.expr(operand, locals)?.truth()),
            ExprKind::Neg(operand) => match self.expr(operand, locals)? {
                Value::Int(i) => Value::Int(
                    i.checked_neg()
                        .ok_or_else(|| fail("integer overflow".into()))?,
                ),
                other => return Err(fail(format!("cannot negate {}", other.type_name()))),
            },
            ExprKind::IfElse {
                cond,
                then,
                otherwise,
            } => {
                let branch = if self.expr(cond, locals)?.truth() {
                    then
                } else {
                    otherwise
                };
                self.expr(branch, locals)?
            }
            ExprKind::Comprehension { element, clauses } => {
                // The loop variables live in a scope of their own.
                let mut scope = Some(locals.clone().unwrap_or_default());
                let mut out = Collected::List(Vec::new());
                self.comprehension(Element::One(element), clauses, &mut scope, &mut out)?;
                out.into_value()
            }
            ExprKind::DictComprehension {
                key,
                value,
                clauses,
            } => {
                let mut scope = Some(locals.clone().unwrap_or_default());
                let mut out = Collected::Dict(Vec::new());
                self.comprehension(Element::Pair(key, value), clauses, &mut scope, &mut out)?;
                out.into_value()
            }
            ExprKind::Slice {
                object,
                start,
                end,
                step,
            } => {
                let object = self.expr(object, locals)?;
                let mut part = |part: &Option<Box<Expr>>| -> Result<Option<i64>, EvalError> {
                    match part {
                        None => Ok(None),
                        Some(expr) => match self.expr(expr, locals)? {
                            Value::None => Ok(None),
                            Value::Int(i) => Ok(Some(i)),
                            other => Err(EvalError::at(
                                expr.pos,
                                format!(
                                    "slice indices must be integers, got {}",
                                    other.type_name()
                                ),
                            )),
                        },
                    }
                };
                let (start, end, step) = (part(start)?, part(end)?, part(step)?);
                builtins::slice(&object, start, end, step).map_err(fail)?
            }
            // Inside a function, a lambda sees that function's variables.
            ExprKind::Lambda(def) => Value::Function(
                Rc::clone(def),
                locals.as_ref().map(|locals| Rc::new(locals.clone())),
            ),
        })
    }

    fn comprehension(
        &mut self,
        element: Element<'_>,
        clauses: &[Clause],
        scope: &mut Locals,
        out: &mut Collected,
    ) -> Result<(), EvalError> {
        let Some((clause, rest)) = clauses.split_first() else {
            let pos = match element {
                Element::One(expr) | Element::Pair(expr, _) => expr.pos,
            };
            if out.len() >= MAX_LEN {
                return Err(EvalError::at(pos, "the comprehension is too long"));
            }
            match (element, out) {
                (Element::One(expr), Collected::List(items)) => items.push(self.expr(expr, scope)?),
                (Element::Pair(key, value), Collected::Dict(entries)) => {
                    let key = self.expr(key, scope)?;
                    let value = self.expr(value, scope)?;
                    dict_set(entries, key, value).map_err(|message| EvalError::at(pos, message))?;
                }
                _ => unreachable!("a comprehension collects what its element makes"),
            }
            return Ok(());
        };
        match clause {
            Clause::For(targets, iter) => {
                let iterable = self.expr(iter, scope)?;
                for item in iterate(&iterable, iter.pos)? {
                    self.assign(targets, item, scope, iter.pos)?;
                    self.comprehension(element, rest, scope, out)?;
                }
            }
            Clause::If(cond) => {
                if self.expr(cond, scope)?.truth() {
                    self.comprehension(element, rest, scope, out)?;
                }
            }
        }
        Ok(())
    }

    fn exprs(&mut self, items: &[Expr], locals: &mut Locals) -> Result<Vec<Value>, EvalError> {
        items.iter().map(|item| self.expr(item, locals)).collect()
    }

    fn args(&mut self, args: &[Arg], locals: &mut Locals) -> Result<Args, EvalError> {
        let mut out = Args::default();
        for arg in args {
            match arg {
                Arg::Positional(expr) => out.positional.push(self.expr(expr, locals)?),
                Arg::Keyword(name, expr) => {
                    let value = self.expr(expr, locals)?;
                    out.named.push((name.clone(), value));
                }
                Arg::Star(expr) => {
                    let value = self.expr(expr, locals)?;
                    out.positional.extend(iterate(&value, expr.pos)?);
                }
                Arg::StarStar(expr) => match self.expr(expr, locals)? {
                    Value::Dict(entries) => {
                        for (key, value) in entries.borrow().iter() {
                            let Value::Str(key) = key else {
                                return Err(EvalError::at(expr.pos, "`**` keys must be strings"));
                            };
                            out.named.push((key.to_string(), value.clone()));
                        }
                    }
                    other => {
                        return Err(EvalError::at(
                            expr.pos,
                            format!("`**` needs a dict, got {}", other.type_name()),
                        ));
                    }
                },
            }
        }
        Ok(out)
    }

    fn call(&mut self, callee: Value, args: Args, pos: Pos) -> Result<Value, EvalError> {
        match callee {
            Value::Function(def, captured) => self.call_function(def, captured, args, pos),
            Value::Builtin(name) if self.host.builtins().contains(&name) => self
                .host
                .call(name, args, pos)
                .map_err(|m| EvalError::at(pos, m)),
            Value::Builtin(name) => builtins::call(name, args).map_err(|m| EvalError::at(pos, m)),
            Value::Method(object, name) => {
                builtins::call_method(&object, name, args).map_err(|m| EvalError::at(pos, m))
            }
            other => Err(EvalError::at(
                pos,
                format!("{} is not callable", other.type_name()),
            )),
        }
    }

    fn call_function(
        &mut self,
        def: Rc<FunctionDef>,
        captured: Option<Rc<HashMap<String, Value>>>,
        args: Args,
        pos: Pos,
    ) -> Result<Value, EvalError> {
        if self.calls.iter().any(|active| Rc::ptr_eq(active, &def)) {
            return Err(EvalError::at(
                pos,
                format!("function `{}` called recursively", def.name),
            ));
        }
        if self.calls.len() >= MAX_CALL_DEPTH {
            return Err(EvalError::at(pos, "calls nested too deep"));
        }
        let mut locals = self.bind(&def, args, pos)?;
        if let (Some(captured), Some(locals)) = (captured, locals.as_mut()) {
            for (name, value) in captured.iter() {
                locals.entry(name.clone()).or_insert_with(|| value.clone());
            }
        }
        self.calls.push(Rc::clone(&def));
        let flow = self.block(&def.body, &mut locals);
        self.calls.pop();
        match flow? {
            Flow::Return(value) => Ok(value),
            _ => Ok(Value::None),
        }
    }

    fn bind(&mut self, def: &FunctionDef, args: Args, pos: Pos) -> Result<Locals, EvalError> {
        let fail =
            |message: String| EvalError::at(pos, format!("{message} in call to `{}`", def.name));
        let mut locals = HashMap::new();
        let mut positional = args.positional.into_iter();
        let mut named = args.named;
        for param in &def.params {
            match param {
                Param::Plain(name, default) => {
                    let value = match positional.next() {
                        Some(value) => value,
                        None => match named.iter().position(|(n, _)| n == name) {
                            Some(at) => named.remove(at).1,
                            None => match default {
                                Some(expr) => self.expr(expr, &mut None)?,
                                None => return Err(fail(format!("missing parameter `{name}`"))),
                            },
                        },
                    };
                    locals.insert(name.clone(), value);
                }
                Param::Star(name) => {
                    let rest = Value::Tuple(Rc::new(positional.by_ref().collect()));
                    locals.insert(name.clone(), rest);
                }
                Param::StarStar(name) => {
                    let entries = std::mem::take(&mut named)
                        .into_iter()
                        .map(|(k, v)| (Value::str(k), v))
                        .collect();
                    locals.insert(
                        name.clone(),
                        Value::Dict(Rc::new(std::cell::RefCell::new(entries))),
                    );
                }
            }
        }
        if positional.next().is_some() {
            return Err(fail("too many positional arguments".to_owned()));
        }
        if let Some((name, _)) = named.first() {
            return Err(fail(format!("unexpected parameter `{name}`")));
        }
        Ok(Some(locals))
    }
}

pub fn iterate(value: &Value, pos: Pos) -> Result<Vec<Value>, EvalError> {
    match value {
        Value::Str(_) => Err(EvalError::at(
            pos,
            "strings are not iterable; put the words in a list",
        )),
        other => other
            .items()
            .ok_or_else(|| EvalError::at(pos, format!("{} is not iterable", other.type_name()))),
    }
}
/// What a comprehension makes of each round: one value, or a key and a value.
#[derive(Clone, Copy)]
enum Element<'e> {
    One(&'e Expr),
    Pair(&'e Expr, &'e Expr),
}

/// What a comprehension has collected so far.
enum Collected {
    List(Vec<Value>),
    Dict(Vec<(Value, Value)>),
}

impl Collected {
    fn len(&self) -> usize {
        match self {
            Collected::List(items) => items.len(),
            Collected::Dict(entries) => entries.len(),
        }
    }

    fn into_value(self) -> Value {
        match self {
            Collected::List(items) => Value::list(items),
            Collected::Dict(entries) => Value::Dict(Rc::new(std::cell::RefCell::new(entries))),
        }
    }
}
