use super::*;
use pretty_assertions::assert_eq;

fn error(source: &str) -> (usize, usize, String) {
    let error = parse_module(source).unwrap_err();
    (error.pos.line, error.pos.col, error.message)
}

#[test]
fn hostile_nesting_is_an_error_naming_where_not_a_crash() {
    let sum = format!("x = 1\ny = {}\n", vec!["1"; 20_000].join(" + "));
    assert_eq!(
        error(&sum),
        (
            2,
            1031,
            "more than 256 operators in a row: the file nests too deep for duet to read it \
             safely; split the expression"
                .to_owned()
        )
    );
    let nots = format!("x = {}True\n", "not ".repeat(20_000));
    assert_eq!(
        error(&nots),
        (
            1,
            165,
            "expressions nested more than 40 deep: the file nests too deep for duet to read \
             it safely; split the expression"
                .to_owned()
        )
    );
    for prefix in ["-", "+", "(", "[", "f("] {
        let source = format!("x = {}1\n", prefix.repeat(50_000));
        assert!(parse_module(&source).is_err(), "{prefix}");
    }
    // Within the limits, long chains still parse.
    assert!(parse_module(&format!("x = {}\n", vec!["1"; 256].join(" + "))).is_ok());
}

#[test]
fn a_missing_parenthesis_is_an_error_where_it_opens() {
    assert_eq!(
        error("x = 1\nprefix_rule(pattern = [\"ls\"]\n"),
        (2, 12, "`(` is never closed".to_owned())
    );
    assert_eq!(
        error("prefix_rule(pattern = [\"ls\")\n"),
        (1, 28, "unexpected `)`".to_owned())
    );
    assert_eq!(
        error("prefix_rule(pattern = \"ls\" decision = \"allow\")\n"),
        (1, 28, "expected `)`, found `decision`".to_owned())
    );
}

#[test]
fn load_is_refused() {
    assert_eq!(
        error("x = 1\nload(\"a.star\", \"b\")\n"),
        (
            2,
            1,
            "`load` is not supported: rules files cannot import one another; copy what you need into this file"
                .to_owned()
        )
    );
}

#[test]
fn the_reference_features_parse() {
    let module = parse_module(
        "A = [\"a\", \"b\"]\n\
         def f(x, *rest, y = None):\n    return [x] + list(rest)\n\
         [f(s) for s in A if s != \"b\"]\n\
         for s in A:\n    f(f\"{s}-x\")\n\
         z = 1 if A else 2\n",
    )
    .unwrap();
    assert_eq!(module.len(), 5);
}
