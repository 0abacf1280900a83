//! Recursive-descent parser from tokens to the syntax tree of the Starlark
//! subset: assignments, `def`, `for`, `if`, `return`, expression
//! statements; literals, lists, tuples, dicts, calls (`*args`, keywords),
//! attribute and index access, arithmetic and comparison, list
//! comprehensions, conditional expressions and f-strings.
//!
//! It is not a validator of Starlark's static rules (for example it lets
//! `for` appear at top level, as the reference's dialect does).

use super::ast::*;
use super::lexer::{Tok, Token, tokenize};
use super::{Pos, SyntaxError};

pub fn parse_module(source: &str) -> Result<Vec<Stmt>, SyntaxError> {
    let tokens = tokenize(source)?;
    let mut parser = Parser {
        tokens,
        at: 0,
        depth: 0,
    };
    let mut body = Vec::new();
    while parser.peek() != &Tok::Eof {
        parser.statement(&mut body)?;
    }
    Ok(body)
}

/// Deep nesting is refused rather than allowed to overflow the stack.
const MAX_DEPTH: usize = 40;

/// Longer chains of binary operators (`1 + 1 + …`) are refused for the
/// same reason: the tree they build is that deep.
const MAX_OPERATORS_IN_A_ROW: usize = 256;

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn statement(&mut self, out: &mut Vec<Stmt>) -> Result<(), SyntaxError> {
        let pos = self.pos();
        match self.peek().clone() {
            Tok::Sym("def") => out.push(self.def()?),
            Tok::Sym("for") => {
                self.advance();
                let targets = self.targets()?;
                self.expect("in")?;
                let iter = self.expression_list()?;
                let body = self.block()?;
                out.push(Stmt::For {
                    targets,
                    iter,
                    body,
                    pos,
                });
            }
            Tok::Sym("if") => {
                self.advance();
                out.push(self.if_rest()?);
            }
            Tok::Sym("load") => {
                return Err(SyntaxError {
                    pos,
                    message: "`load` is not supported: rules files cannot import one another; \
                              copy what you need into this file"
                        .into(),
                });
            }
            Tok::Indent => return Err(self.error("unexpected indentation")),
            _ => {
                loop {
                    out.push(self.small_statement()?);
                    if !self.eat(";") || matches!(self.peek(), Tok::Newline | Tok::Eof) {
                        break;
                    }
                }
                self.end_of_line()?;
            }
        }
        Ok(())
    }

    fn small_statement(&mut self) -> Result<Stmt, SyntaxError> {
        let pos = self.pos();
        match self.peek() {
            Tok::Sym("pass") => {
                self.advance();
                return Ok(Stmt::Pass);
            }
            Tok::Sym("break") => {
                self.advance();
                return Ok(Stmt::Break);
            }
            Tok::Sym("continue") => {
                self.advance();
                return Ok(Stmt::Continue);
            }
            Tok::Sym("return") => {
                self.advance();
                let value = if matches!(self.peek(), Tok::Newline | Tok::Eof | Tok::Sym(";")) {
                    None
                } else {
                    Some(self.expression_list()?)
                };
                return Ok(Stmt::Return(value));
            }
            _ => {}
        }
        let expr = self.expression_list()?;
        for op in ["+=", "-=", "*="] {
            if self.eat(op) {
                let ExprKind::Name(target) = expr.kind else {
                    return Err(SyntaxError {
                        pos,
                        message: format!("cannot assign with `{op}` here"),
                    });
                };
                let value = self.expression_list()?;
                return Ok(Stmt::AugAssign {
                    target,
                    op,
                    value,
                    pos,
                });
            }
        }
        if self.eat("=") {
            let targets = assignment_targets(&expr).ok_or_else(|| SyntaxError {
                pos,
                message: "cannot assign to this expression".into(),
            })?;
            let value = self.expression_list()?;
            return Ok(Stmt::Assign {
                targets,
                value,
                pos,
            });
        }
        Ok(Stmt::Expr(expr))
    }

    fn def(&mut self) -> Result<Stmt, SyntaxError> {
        self.advance();
        let name = self.name()?;
        self.expect("(")?;
        let mut params = Vec::new();
        while !self.eat(")") {
            let param = if self.eat("**") {
                Param::StarStar(self.name()?)
            } else if self.eat("*") {
                Param::Star(self.name()?)
            } else {
                let name = self.name()?;
                let default = if self.eat("=") {
                    Some(self.expression()?)
                } else {
                    None
                };
                Param::Plain(name, default)
            };
            params.push(param);
            if !self.eat(",") {
                self.expect(")")?;
                break;
            }
        }
        let body = self.block()?;
        Ok(Stmt::Def(std::rc::Rc::new(FunctionDef {
            name,
            params,
            body,
        })))
    }

    /// `lambda a, b=1: expression`.
    fn lambda(&mut self) -> Result<Expr, SyntaxError> {
        let pos = self.pos();
        self.advance();
        self.enter()?;
        let mut params = Vec::new();
        while !self.eat(":") {
            let name = self.name()?;
            let default = if self.eat("=") {
                Some(self.binary(0)?)
            } else {
                None
            };
            params.push(Param::Plain(name, default));
            if !self.eat(",") {
                self.expect(":")?;
                break;
            }
        }
        let body = self.expression()?;
        self.depth -= 1;
        Ok(Expr {
            pos,
            kind: ExprKind::Lambda(std::rc::Rc::new(FunctionDef {
                name: "lambda".to_string(),
                params,
                body: vec![Stmt::Return(Some(body))],
            })),
        })
    }

    fn if_rest(&mut self) -> Result<Stmt, SyntaxError> {
        let cond = self.expression()?;
        let then = self.block()?;
        let otherwise = if self.eat("elif") {
            vec![self.if_rest()?]
        } else if self.eat("else") {
            self.block()?
        } else {
            Vec::new()
        };
        Ok(Stmt::If {
            cond,
            then,
            otherwise,
        })
    }

    /// `:` then either statements on the same line or an indented block.
    fn block(&mut self) -> Result<Vec<Stmt>, SyntaxError> {
        self.expect(":")?;
        self.enter()?;
        let mut body = Vec::new();
        if self.peek() == &Tok::Newline {
            self.advance();
            if self.peek() != &Tok::Indent {
                return Err(self.error("expected an indented block"));
            }
            self.advance();
            while !matches!(self.peek(), Tok::Dedent | Tok::Eof) {
                self.statement(&mut body)?;
            }
            self.eat_tok(&Tok::Dedent);
        } else {
            loop {
                body.push(self.small_statement()?);
                if !self.eat(";") || matches!(self.peek(), Tok::Newline | Tok::Eof) {
                    break;
                }
            }
            self.end_of_line()?;
        }
        self.depth -= 1;
        Ok(body)
    }

    fn targets(&mut self) -> Result<Vec<String>, SyntaxError> {
        let parenthesised = self.eat("(");
        let mut names = vec![self.name()?];
        while self.eat(",") {
            if matches!(self.peek(), Tok::Name(_)) {
                names.push(self.name()?);
            }
        }
        if parenthesised {
            self.expect(")")?;
        }
        Ok(names)
    }

    /// Expressions separated by commas: a tuple when there is a comma.
    fn expression_list(&mut self) -> Result<Expr, SyntaxError> {
        let first = self.expression()?;
        if self.peek() != &Tok::Sym(",") {
            return Ok(first);
        }
        let pos = first.pos;
        let mut items = vec![first];
        while self.eat(",") {
            if matches!(
                self.peek(),
                Tok::Newline | Tok::Eof | Tok::Sym("=" | ")" | ":")
            ) {
                break;
            }
            items.push(self.expression()?);
        }
        Ok(Expr {
            pos,
            kind: ExprKind::Tuple(items),
        })
    }

    pub(super) fn expression(&mut self) -> Result<Expr, SyntaxError> {
        if self.peek() == &Tok::Sym("lambda") {
            return self.lambda();
        }
        self.enter()?;
        let then = self.binary(0)?;
        let result = if self.peek() == &Tok::Sym("if") {
            self.advance();
            let cond = self.binary(0)?;
            self.expect("else")?;
            let otherwise = self.expression()?;
            Ok(Expr {
                pos: then.pos,
                kind: ExprKind::IfElse {
                    cond: Box::new(cond),
                    then: Box::new(then),
                    otherwise: Box::new(otherwise),
                },
            })
        } else {
            Ok(then)
        };
        self.depth -= 1;
        result
    }

    /// Precedence climbing over `or`, `and`, `not`, comparisons, `|`,
    /// `+ -`, `* / // %`.
    fn binary(&mut self, level: usize) -> Result<Expr, SyntaxError> {
        const LEVELS: &[&[&str]] = &[
            &["or"],
            &["and"],
            &[],
            &["==", "!=", "<", ">", "<=", ">=", "in", "not in"],
            &["|"],
            &["+", "-"],
            &["*", "/", "//", "%"],
        ];
        if level == LEVELS.len() {
            return self.unary();
        }
        if level == 2 {
            if self.peek() == &Tok::Sym("not") {
                let pos = self.pos();
                self.advance();
                self.enter()?;
                let operand = self.binary(2)?;
                self.depth -= 1;
                return Ok(Expr {
                    pos,
                    kind: ExprKind::Not(Box::new(operand)),
                });
            }
            return self.binary(3);
        }
        let mut left = self.binary(level + 1)?;
        // Each operator in a row nests the tree one level deeper on the
        // left, and evaluating (or dropping) it recurses that deep.
        let mut operators = 0;
        loop {
            let op = match self.peek() {
                Tok::Sym("not") if level == 3 && self.peek_at(1) == &Tok::Sym("in") => {
                    self.advance();
                    "not in"
                }
                Tok::Sym(symbol) if LEVELS[level].contains(symbol) => symbol,
                _ => return Ok(left),
            };
            operators += 1;
            if operators > MAX_OPERATORS_IN_A_ROW {
                return Err(self.too_deep(&format!(
                    "more than {MAX_OPERATORS_IN_A_ROW} operators in a row"
                )));
            }
            self.advance();
            let right = self.binary(level + 1)?;
            left = Expr {
                pos: left.pos,
                kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
            };
        }
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        let pos = self.pos();
        if self.eat("-") {
            self.enter()?;
            let operand = self.unary()?;
            self.depth -= 1;
            return Ok(Expr {
                pos,
                kind: ExprKind::Neg(Box::new(operand)),
            });
        }
        if self.eat("+") {
            self.enter()?;
            let operand = self.unary();
            self.depth -= 1;
            return operand;
        }
        let mut expr = self.primary()?;
        loop {
            let pos = self.pos();
            if self.eat("(") {
                let args = self.call_args()?;
                expr = Expr {
                    pos: expr.pos,
                    kind: ExprKind::Call {
                        func: Box::new(expr),
                        args,
                    },
                };
            } else if self.eat(".") {
                let name = self.name()?;
                expr = Expr {
                    pos,
                    kind: ExprKind::Attr(Box::new(expr), name),
                };
            } else if self.eat("[") {
                let start = if self.peek() == &Tok::Sym(":") {
                    None
                } else {
                    Some(self.expression()?)
                };
                if !self.eat(":") {
                    let index = start.ok_or_else(|| self.error("expected an index"))?;
                    self.expect("]")?;
                    expr = Expr {
                        pos,
                        kind: ExprKind::Index(Box::new(expr), Box::new(index)),
                    };
                    continue;
                }
                let part = |parser: &mut Self| -> Result<Option<Box<Expr>>, SyntaxError> {
                    match parser.peek() {
                        Tok::Sym(":" | "]") => Ok(None),
                        _ => Ok(Some(Box::new(parser.expression()?))),
                    }
                };
                let end = part(self)?;
                let step = if self.eat(":") { part(self)? } else { None };
                self.expect("]")?;
                expr = Expr {
                    pos,
                    kind: ExprKind::Slice {
                        object: Box::new(expr),
                        start: start.map(Box::new),
                        end,
                        step,
                    },
                };
            } else {
                return Ok(expr);
            }
        }
    }

    fn call_args(&mut self) -> Result<Vec<Arg>, SyntaxError> {
        let mut args = Vec::new();
        while !self.eat(")") {
            let arg = if self.eat("**") {
                Arg::StarStar(self.expression()?)
            } else if self.eat("*") {
                Arg::Star(self.expression()?)
            } else if matches!(self.peek(), Tok::Name(_)) && self.peek_at(1) == &Tok::Sym("=") {
                let name = self.name()?;
                self.advance();
                Arg::Keyword(name, self.expression()?)
            } else {
                Arg::Positional(self.expression()?)
            };
            args.push(arg);
            if !self.eat(",") {
                self.expect(")")?;
                break;
            }
        }
        Ok(args)
    }

    fn primary(&mut self) -> Result<Expr, SyntaxError> {
        let pos = self.pos();
        let token = self.peek().clone();
        let kind = match token {
            Tok::Int(value) => ExprKind::Int(value),
            Tok::Str(text) => {
                self.advance();
                // Adjacent literals concatenate, as in Python.
                let mut text = text;
                while let Tok::Str(more) = self.peek() {
                    text.push_str(more);
                    self.advance();
                }
                return Ok(Expr {
                    pos,
                    kind: ExprKind::Str(text),
                });
            }
            Tok::FStr(text) => ExprKind::FStr(fstring_parts(&text, pos)?),
            Tok::Name(name) => ExprKind::Name(name),
            Tok::Sym("None") => ExprKind::None,
            Tok::Sym("True") => ExprKind::Bool(true),
            Tok::Sym("False") => ExprKind::Bool(false),
            Tok::Sym("(") => {
                self.advance();
                if self.eat(")") {
                    return Ok(Expr {
                        pos,
                        kind: ExprKind::Tuple(Vec::new()),
                    });
                }
                let inner = self.expression_list()?;
                self.expect(")")?;
                return Ok(inner);
            }
            Tok::Sym("[") => {
                self.advance();
                return self.list_rest(pos);
            }
            Tok::Sym("{") => {
                self.advance();
                let mut entries = Vec::new();
                while !self.eat("}") {
                    let key = self.expression()?;
                    self.expect(":")?;
                    let value = self.expression()?;
                    if entries.is_empty() && self.peek() == &Tok::Sym("for") {
                        let clauses = self.clauses("}")?;
                        return Ok(Expr {
                            pos,
                            kind: ExprKind::DictComprehension {
                                key: Box::new(key),
                                value: Box::new(value),
                                clauses,
                            },
                        });
                    }
                    entries.push((key, value));
                    if !self.eat(",") {
                        self.expect("}")?;
                        break;
                    }
                }
                return Ok(Expr {
                    pos,
                    kind: ExprKind::Dict(entries),
                });
            }
            _ => return Err(self.error("expected an expression")),
        };
        self.advance();
        Ok(Expr { pos, kind })
    }

    fn list_rest(&mut self, pos: Pos) -> Result<Expr, SyntaxError> {
        if self.eat("]") {
            return Ok(Expr {
                pos,
                kind: ExprKind::List(Vec::new()),
            });
        }
        let first = self.expression()?;
        if self.peek() == &Tok::Sym("for") {
            let clauses = self.clauses("]")?;
            let element = Box::new(first);
            return Ok(Expr {
                pos,
                kind: ExprKind::Comprehension { element, clauses },
            });
        }
        let mut items = vec![first];
        while self.eat(",") {
            if self.peek() == &Tok::Sym("]") {
                break;
            }
            items.push(self.expression()?);
        }
        self.expect("]")?;
        Ok(Expr {
            pos,
            kind: ExprKind::List(items),
        })
    }

    /// The `for … in …` and `if …` clauses of a comprehension, up to and
    /// including its `closing` bracket.
    fn clauses(&mut self, closing: &'static str) -> Result<Vec<Clause>, SyntaxError> {
        let mut clauses = Vec::new();
        loop {
            if self.eat("for") {
                let targets = self.targets()?;
                self.expect("in")?;
                clauses.push(Clause::For(targets, self.binary(0)?));
            } else if self.eat("if") {
                clauses.push(Clause::If(self.binary(0)?));
            } else {
                self.expect(closing)?;
                return Ok(clauses);
            }
        }
    }

    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.too_deep(&format!("expressions nested more than {MAX_DEPTH} deep")));
        }
        Ok(())
    }

    fn name(&mut self) -> Result<String, SyntaxError> {
        match self.peek().clone() {
            Tok::Name(name) => {
                self.advance();
                Ok(name)
            }
            _ => Err(self.error("expected a name")),
        }
    }

    fn end_of_line(&mut self) -> Result<(), SyntaxError> {
        match self.peek() {
            Tok::Newline => {
                self.advance();
                Ok(())
            }
            Tok::Eof | Tok::Dedent => Ok(()),
            _ => Err(self.error("expected a new line")),
        }
    }

    fn expect(&mut self, symbol: &'static str) -> Result<(), SyntaxError> {
        if self.eat(symbol) {
            Ok(())
        } else {
            Err(self.error(&format!("expected `{symbol}`")))
        }
    }

    fn eat(&mut self, symbol: &str) -> bool {
        if matches!(self.peek(), Tok::Sym(s) if *s == symbol) {
            self.advance();
            true
        } else {
            false
        }
    }

    fn eat_tok(&mut self, tok: &Tok) -> bool {
        if self.peek() == tok {
            self.advance();
            true
        } else {
            false
        }
    }

    /// Input that would build a tree too deep to evaluate safely.
    fn too_deep(&self, what: &str) -> SyntaxError {
        SyntaxError {
            pos: self.pos(),
            message: format!(
                "{what}: the file nests too deep for duet to read it safely; split the expression"
            ),
        }
    }

    fn error(&self, expected: &str) -> SyntaxError {
        let found = match self.peek() {
            Tok::Name(name) => format!("`{name}`"),
            Tok::Int(value) => format!("`{value}`"),
            Tok::Str(_) | Tok::FStr(_) => "a string".to_owned(),
            Tok::Sym(symbol) => format!("`{symbol}`"),
            Tok::Newline => "the end of the line".to_owned(),
            Tok::Indent => "an indent".to_owned(),
            Tok::Dedent => "a dedent".to_owned(),
            Tok::Eof => "the end of the file".to_owned(),
        };
        SyntaxError {
            pos: self.pos(),
            message: format!("{expected}, found {found}"),
        }
    }

    fn peek(&self) -> &Tok {
        self.peek_at(0)
    }

    fn peek_at(&self, ahead: usize) -> &Tok {
        let last = self.tokens.len() - 1;
        &self.tokens[(self.at + ahead).min(last)].tok
    }

    fn pos(&self) -> Pos {
        let last = self.tokens.len() - 1;
        self.tokens[self.at.min(last)].pos
    }

    fn advance(&mut self) {
        self.at += 1;
    }
}

fn assignment_targets(expr: &Expr) -> Option<Vec<String>> {
    match &expr.kind {
        ExprKind::Name(name) => Some(vec![name.clone()]),
        ExprKind::Tuple(items) | ExprKind::List(items) => items
            .iter()
            .map(|item| match &item.kind {
                ExprKind::Name(name) => Some(name.clone()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// Split an f-string into text and `{expression}` parts (`{{`, `}}` escape).
fn fstring_parts(text: &str, pos: Pos) -> Result<Vec<FPart>, SyntaxError> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                literal.push('}');
            }
            '{' => {
                let inner: String = chars.by_ref().take_while(|c| *c != '}').collect();
                if !literal.is_empty() {
                    parts.push(FPart::Text(std::mem::take(&mut literal)));
                }
                let tokens = tokenize(&inner).map_err(|error| SyntaxError { pos, ..error })?;
                let mut parser = Parser {
                    tokens,
                    at: 0,
                    depth: 0,
                };
                let expr = parser
                    .expression()
                    .map_err(|error| SyntaxError { pos, ..error })?;
                if !matches!(parser.peek(), Tok::Newline | Tok::Eof) {
                    return Err(SyntaxError {
                        pos,
                        message: format!("invalid f-string field `{{{inner}}}`"),
                    });
                }
                parts.push(FPart::Expr(Expr { pos, ..expr }));
            }
            '}' => {
                return Err(SyntaxError {
                    pos,
                    message: "single `}` in an f-string".into(),
                });
            }
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        parts.push(FPart::Text(literal));
    }
    Ok(parts)
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
