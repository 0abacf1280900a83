//! The syntax tree of the Starlark subset, as the parser (`parser.rs`)
//! builds it and the interpreter (`eval.rs`) walks it.

use super::Pos;

#[derive(Debug, Clone)]
pub enum Stmt {
    Expr(Expr),
    Assign {
        targets: Vec<String>,
        value: Expr,
        pos: Pos,
    },
    AugAssign {
        target: String,
        op: &'static str,
        value: Expr,
        pos: Pos,
    },
    Def(std::rc::Rc<FunctionDef>),
    For {
        targets: Vec<String>,
        iter: Expr,
        body: Vec<Stmt>,
        pos: Pos,
    },
    If {
        cond: Expr,
        then: Vec<Stmt>,
        otherwise: Vec<Stmt>,
    },
    Return(Option<Expr>),
    Pass,
    Break,
    Continue,
}

#[derive(Debug)]
pub struct FunctionDef {
    pub name: String,
    pub params: Vec<Param>,
    pub body: Vec<Stmt>,
}

#[derive(Debug, Clone)]
pub enum Param {
    Plain(String, Option<Expr>),
    Star(String),
    StarStar(String),
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub pos: Pos,
    pub kind: ExprKind,
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    None,
    Bool(bool),
    Int(i64),
    Str(String),
    /// Literal pieces and `{expression}` pieces of an f-string.
    FStr(Vec<FPart>),
    Name(String),
    List(Vec<Expr>),
    Tuple(Vec<Expr>),
    Dict(Vec<(Expr, Expr)>),
    Call {
        func: Box<Expr>,
        args: Vec<Arg>,
    },
    Attr(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
    Binary(&'static str, Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    IfElse {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    Comprehension {
        element: Box<Expr>,
        clauses: Vec<Clause>,
    },
    /// `{key: value for … if …}`.
    DictComprehension {
        key: Box<Expr>,
        value: Box<Expr>,
        clauses: Vec<Clause>,
    },
    /// `object[start:end:step]`, each part optional.
    Slice {
        object: Box<Expr>,
        start: Option<Box<Expr>>,
        end: Option<Box<Expr>>,
        step: Option<Box<Expr>>,
    },
    /// `lambda params: expression`, a function whose body returns it.
    Lambda(std::rc::Rc<FunctionDef>),
}

#[derive(Debug, Clone)]
pub enum FPart {
    Text(String),
    Expr(Expr),
}

#[derive(Debug, Clone)]
pub enum Clause {
    For(Vec<String>, Expr),
    If(Expr),
}

#[derive(Debug, Clone)]
pub enum Arg {
    Positional(Expr),
    Keyword(String, Expr),
    Star(Expr),
    StarStar(Expr),
}
