//! Loading rules files: what loads, what is refused and how the error reads,
//! and where core finds the files.

use duet_execpolicy::{Decision, Policy, rules_files};
use pretty_assertions::assert_eq;
use std::path::{Path, PathBuf};

/// Load `source` as `x.rules`; the error message, or the decision for
/// `argv` with host resolution.
#[track_caller]
fn check(source: &str, argv: &str, expected: &str) {
    let mut policy = Policy::empty();
    let got = match policy.add_source(Path::new("x.rules"), source) {
        Err(error) => error.to_string(),
        Ok(()) => {
            let argv = duet_execpolicy::words::split(argv).expect("test argv splits");
            let matches = policy.check(&argv, true);
            duet_execpolicy::check_output_json(&matches, false)
        }
    };
    assert_eq!(got, expected);
}

#[test]
fn starlark_features_of_the_reference() {
    let source = r#"
READ_ONLY_GIT = ["status", "log", "diff", "show"]
def allow_git(sub):
    prefix_rule(pattern = ["git", sub], decision = "allow", justification = f"git {sub} is read-only")
[allow_git(s) for s in READ_ONLY_GIT]
def forbid(*tokens):
    prefix_rule(pattern = list(tokens), decision = "forbidden")
forbid("git", "push", "--force")
for tool in ["npm", "yarn"]:
    prefix_rule([tool, "install"], "prompt")
"#;
    check(
        source,
        "git diff HEAD",
        r#"{"matchedRules":[{"prefixRuleMatch":{"matchedPrefix":["git","diff"],"decision":"allow","justification":"git diff is read-only"}}],"decision":"allow"}"#,
    );
    check(
        source,
        "yarn install",
        r#"{"matchedRules":[{"prefixRuleMatch":{"matchedPrefix":["yarn","install"],"decision":"prompt"}}],"decision":"prompt"}"#,
    );
}

#[test]
fn a_syntax_error_names_file_line_and_column() {
    check(
        "prefix_rule(pattern = [\"ls\"])\nprefix_rule(pattern = [\"ls\"]\n",
        "ls",
        "`x.rules`:2:12: syntax error: `(` is never closed; fix the file or move it out of the rules folder",
    );
}

#[test]
fn load_is_refused() {
    check(
        "load(\"//x.star\", \"y\")\n",
        "ls",
        "`x.rules`:1:1: syntax error: `load` is not supported: rules files cannot import one another; \
         copy what you need into this file; fix the file or move it out of the rules folder",
    );
}

#[test]
fn an_unknown_parameter_is_named() {
    check(
        "\nprefix_rule(pattern = [\"ls\"], decision = \"allow\", comment = \"nope\")\n",
        "ls",
        "`x.rules`:2:1: unknown parameter `comment` for `prefix_rule`: it takes pattern, decision, match, \
         not_match, justification; fix the rule or move the file out of the rules folder",
    );
}

#[test]
fn an_invalid_decision() {
    check(
        "prefix_rule([\"ls\"], \"ask\")",
        "ls",
        "`x.rules`:1:1: invalid decision: ask; fix the rule or move the file out of the rules folder",
    );
}

#[test]
fn pattern_errors() {
    check(
        "prefix_rule(pattern = [])",
        "ls",
        "`x.rules`:1:1: invalid pattern element: pattern cannot be empty; fix the rule or move the file out of the rules folder",
    );
    check(
        "prefix_rule(pattern = [\"git\", 1])",
        "ls",
        "`x.rules`:1:1: invalid pattern element: pattern element must be a string or list of strings (got int); \
         fix the rule or move the file out of the rules folder",
    );
}

#[test]
fn host_executable_paths_must_be_absolute() {
    check(
        "host_executable(name = \"az\", paths = [\"~/.local/bin/az\"])",
        "az",
        "`x.rules`:1:1: invalid rule: host_executable paths must be absolute (got ~/.local/bin/az); \
         fix the rule or move the file out of the rules folder",
    );
}

#[test]
fn host_executable_limits_resolution() {
    let source = "host_executable(name = \"git\", paths = [\"/usr/bin/git\"])\n\
                  prefix_rule([\"git\", \"status\"], \"allow\")\n\
                  prefix_rule([\"curl\"], \"prompt\")\n";
    check(
        source,
        "/usr/bin/git status",
        r#"{"matchedRules":[{"prefixRuleMatch":{"matchedPrefix":["git","status"],"decision":"allow","resolvedProgram":"/usr/bin/git"}}],"decision":"allow"}"#,
    );
    check(source, "/opt/git status", r#"{"matchedRules":[]}"#);
    check(source, "./curl x", r#"{"matchedRules":[]}"#);
}

#[test]
fn a_failing_match_example_is_an_error() {
    check(
        "prefix_rule(\n    pattern = [\"gh\", \"pr\", \"view\"],\n    match = [\"gh pr list\"],\n)\n",
        "gh",
        "`x.rules`:1:1: the `match` example `gh pr list` does not match the pattern [\"gh\", \"pr\", \"view\"]; \
         fix the rule or move the file out of the rules folder",
    );
}

#[test]
fn a_failing_not_match_example_is_an_error() {
    check(
        "x = 1\nprefix_rule(pattern = [\"gh\", \"pr\"], not_match = [[\"gh\", \"pr\", \"view\"]])\n",
        "gh",
        "`x.rules`:2:1: the `not_match` example `gh pr view` matches the pattern [\"gh\", \"pr\"]; \
         fix the rule or move the file out of the rules folder",
    );
}

#[test]
fn network_rules_are_kept_for_core() {
    let mut policy = Policy::empty();
    policy
        .add_source(
            Path::new("n.rules"),
            "network_rule(host = \"B.example:8443\", protocol = \"https_connect\", decision = \"deny\", justification = \"no\")",
        )
        .unwrap();
    let rule = &policy.network_rules()[0];
    assert_eq!(
        (
            rule.host.as_str(),
            rule.decision,
            rule.justification.as_deref()
        ),
        ("b.example", Decision::Forbidden, Some("no"))
    );
}

#[test]
fn a_failed_file_leaves_the_policy_as_it_was() {
    let mut policy = Policy::empty();
    policy
        .add_source(Path::new("a.rules"), "prefix_rule([\"ls\"])")
        .unwrap();
    let error = policy
        .add_source(
            Path::new("b.rules"),
            "prefix_rule([\"cat\"])\nprefix_rule([\"x\"], \"bad\")",
        )
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "`b.rules`:2:1: invalid decision: bad; fix the rule or move the file out of the rules folder"
    );
    let programs: Vec<&str> = policy.rules().iter().map(|r| r.program.as_str()).collect();
    assert_eq!(programs, ["ls"]);
    assert_eq!(policy.decide(&["cat".to_owned()], false), None);
}

#[test]
fn files_load_in_order_and_a_missing_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let project = dir.path().join("project");
    std::fs::create_dir_all(home.join("rules")).unwrap();
    std::fs::create_dir_all(project.join(".duet/rules")).unwrap();
    std::fs::write(
        home.join("rules/b.rules"),
        "prefix_rule([\"make\"], \"allow\")",
    )
    .unwrap();
    std::fs::write(
        home.join("rules/a.rules"),
        "prefix_rule([\"make\"], \"prompt\")",
    )
    .unwrap();
    std::fs::write(home.join("rules/notes.txt"), "not rules").unwrap();
    std::fs::write(
        project.join(".duet/rules/p.rules"),
        "prefix_rule([\"make\", \"deploy\"], \"forbidden\")",
    )
    .unwrap();
    let files = rules_files(&home, Some(&project));
    let relative: Vec<PathBuf> = files
        .iter()
        .map(|f| f.strip_prefix(dir.path()).unwrap().to_owned())
        .collect();
    assert_eq!(
        relative,
        [
            PathBuf::from("home/rules/a.rules"),
            PathBuf::from("home/rules/b.rules"),
            PathBuf::from("project/.duet/rules/p.rules"),
        ]
    );
    assert_eq!(rules_files(&home, None).len(), 2);
    let policy = Policy::load(&files).unwrap();
    let decisions: Vec<Decision> = policy
        .check(&["make".to_owned(), "deploy".to_owned()], false)
        .iter()
        .map(|m| m.decision)
        .collect();
    assert_eq!(
        decisions,
        [Decision::Prompt, Decision::Allow, Decision::Forbidden]
    );

    let missing = dir.path().join("gone.rules");
    let error = Policy::load(std::slice::from_ref(&missing)).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "cannot read rules file `{}`: No such file or directory (os error 2); check that it exists and is readable",
            missing.display()
        )
    );
}

/// Issue 16, item 18: examples were checked when `prefix_rule` ran, so a
/// `host_executable` defined later in the file was ignored and a file Codex
/// accepts stopped duet. They are checked once the file has been read.
#[test]
fn examples_are_checked_once_the_file_is_read() {
    check(
        "prefix_rule(pattern = [\"git\", \"status\"], match = [\"/usr/bin/git status\"])\n\
         host_executable(name = \"git\", paths = [\"/usr/bin/git\"])\n",
        "/usr/bin/git status",
        r#"{"matchedRules":[{"prefixRuleMatch":{"matchedPrefix":["git","status"],"decision":"allow","resolvedProgram":"/usr/bin/git"}}],"decision":"allow"}"#,
    );
}

/// Issue 16, item 18: an empty example (`""`, `[]`) is an error in the
/// reference; it was silently dropped.
#[test]
fn an_empty_example_is_an_error() {
    for (examples, line) in [("match = [\"\"]", 1), ("not_match = [[]]", 1)] {
        let param = examples.split(' ').next().expect("a name");
        check(
            &format!("prefix_rule(pattern = [\"ls\"], {examples})\n"),
            "ls",
            &format!(
                "`x.rules`:{line}:1: a `{param}` example is empty; fix the rule or move the file \
                 out of the rules folder"
            ),
        );
    }
}

/// Issue 16, item 18: five things Codex's rules files may use were refused:
/// slicing, `lambda`, dict comprehensions, `%` formatting and `.format()`.
#[test]
fn slicing_lambda_dict_comprehensions_and_formatting() {
    let source = r#"words = "git status --short".split(" ")
prefix_rule(pattern = words[:2], decision = "allow")
mk = lambda program, sub: [program, sub]
prefix_rule(pattern = mk("npm", "test"), decision = "prompt")
kinds = {name: "forbidden" for name in ["rm", "dd", "ls"] if name != "ls"}
prefix_rule(pattern = ["rm"], decision = kinds["rm"], justification = "%s is %s (%d%%)" % ("rm", "dangerous", 100))
prefix_rule(pattern = ["dd"], decision = kinds["dd"], justification = "{} is {kind}; {{ok}}".format("dd", kind = "dangerous"))
rev = "abc"[::-1]
prefix_rule(pattern = [rev], decision = "allow" if [1, 2, 3, 4][-3:-1] == [2, 3] and (1, 2, 3)[1:] == (2, 3) else "forbidden")
"#;
    let cases = [
        (
            "git status",
            r#"{"matchedRules":[{"prefixRuleMatch":{"matchedPrefix":["git","status"],"decision":"allow"}}],"decision":"allow"}"#,
        ),
        (
            "npm test",
            r#"{"matchedRules":[{"prefixRuleMatch":{"matchedPrefix":["npm","test"],"decision":"prompt"}}],"decision":"prompt"}"#,
        ),
        (
            "rm -rf x",
            r#"{"matchedRules":[{"prefixRuleMatch":{"matchedPrefix":["rm"],"decision":"forbidden","justification":"rm is dangerous (100%)"}}],"decision":"forbidden"}"#,
        ),
        (
            "dd if=x",
            r#"{"matchedRules":[{"prefixRuleMatch":{"matchedPrefix":["dd"],"decision":"forbidden","justification":"dd is dangerous; {ok}"}}],"decision":"forbidden"}"#,
        ),
        (
            "cba",
            r#"{"matchedRules":[{"prefixRuleMatch":{"matchedPrefix":["cba"],"decision":"allow"}}],"decision":"allow"}"#,
        ),
    ];
    for (argv, expected) in cases {
        check(source, argv, expected);
    }
}

/// Slices as Python takes them: negative bounds, clamping, negative steps.
#[test]
fn slices_follow_python() {
    let source = r#"xs = [0, 1, 2, 3, 4, 5]
ok = (xs[1:3] == [1, 2] and xs[-2:] == [4, 5] and xs[:100] == xs and xs[::2] == [0, 2, 4]
      and xs[::-2] == [5, 3, 1] and xs[4:1:-1] == [4, 3, 2] and xs[10:] == [] and xs[-100:1] == [0]
      and "héllo"[1:3] == "él" and "abc"[:-1] == "ab")
prefix_rule(pattern = ["ok" if ok else "wrong"], decision = "allow")
"#;
    check(
        source,
        "ok",
        r#"{"matchedRules":[{"prefixRuleMatch":{"matchedPrefix":["ok"],"decision":"allow"}}],"decision":"allow"}"#,
    );
    // A huge step ends the walk instead of overflowing.
    check(
        "x = [0, 1, 2][1::9223372036854775807] + [0, 1, 2][1::-9223372036854775807]\n\
         prefix_rule(pattern = [\"ok\" if x == [1, 1] else \"wrong\"], decision = \"allow\")\n",
        "ok",
        r#"{"matchedRules":[{"prefixRuleMatch":{"matchedPrefix":["ok"],"decision":"allow"}}],"decision":"allow"}"#,
    );
    check(
        "x = [1][::0]\n",
        "ls",
        "`x.rules`:1:8: slice step cannot be zero; fix the rule or move the file out of the rules folder",
    );
}

/// A lambda made inside a function sees that function's variables, as in
/// Starlark.
#[test]
fn a_lambda_sees_the_variables_of_the_function_it_was_made_in() {
    let source = r#"def rule_maker(program):
    suffix = "status"
    return lambda: [program, suffix]
make = rule_maker("git")
prefix_rule(pattern = make(), decision = "allow")
"#;
    check(
        source,
        "git status",
        r#"{"matchedRules":[{"prefixRuleMatch":{"matchedPrefix":["git","status"],"decision":"allow"}}],"decision":"allow"}"#,
    );
}

/// Found by the differential fuzz target (`fuzz/starlark_diff`) against the
/// starlark crate: floor division and modulo round towards negative
/// infinity, strings have `count`, `find`, `rfind` and `index`, `dict()` of
/// a dict copies it, a tuple repeats, and an unhashable dict key is an
/// error wherever one is looked up or stored.
#[test]
fn semantics_match_the_starlark_crate() {
    let source = r#"ok = (7 // -2 == -4 and -7 // 2 == -4 and 7 % -2 == -1 and -7 % 2 == 1 and 6 // -3 == -2
      and "banana".count("an") == 2 and "ab".count("") == 3 and "héllo".find("l") == 2
      and "abcabc".rfind("b") == 4 and "abc".find("z") == -1 and "abc".index("c") == 2
      and dict({1: 2}) == {1: 2} and (1, 2) * 2 == (1, 2, 1, 2) and 0 * (1,) == ())
prefix_rule(pattern = ["ok" if ok else "wrong"], decision = "allow")
"#;
    check(
        source,
        "ok",
        r#"{"matchedRules":[{"prefixRuleMatch":{"matchedPrefix":["ok"],"decision":"allow"}}],"decision":"allow"}"#,
    );
    for (text, error) in [
        (
            "x = {[1]: 2}\n",
            "`x.rules`:1:5: a list is not hashable, so it cannot be a dict key",
        ),
        (
            "x = [] in {}\n",
            "`x.rules`:1:5: a list is not hashable, so it cannot be a dict key",
        ),
        (
            "x = {}.get({})\n",
            "`x.rules`:1:7: a dict is not hashable, so it cannot be a dict key",
        ),
        (
            "x = 1 in \"abc\"\n",
            "`x.rules`:1:5: unsupported operation: int `in` string",
        ),
        (
            "x = \"abc\".index(\"z\")\n",
            "`x.rules`:1:10: `index`: substring not found",
        ),
        (
            "x = int(\" 1\")\n",
            "`x.rules`:1:5: `int` cannot parse \" 1\"",
        ),
    ] {
        check(
            text,
            "ls",
            &format!("{error}; fix the rule or move the file out of the rules folder"),
        );
    }
}
