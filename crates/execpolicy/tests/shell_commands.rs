//! Table-driven tests of shell-aware evaluation: one `check` helper, one
//! command per test, the whole explanation compared.
//!
//! The policy is `RULES`; commands run in `/work/repo` with writable roots
//! `/work/repo` and `/tmp`, and a command no rule or built-in list covers
//! gets `prompt` (as under `untrusted`).

use duet_execpolicy::{Decision, EvalOptions, Policy, evaluate, evaluate_script, explain};
use pretty_assertions::assert_eq;
use std::path::{Path, PathBuf};

const RULES: &str = r#"
prefix_rule(["git", "status"], "allow")
prefix_rule(["git", "push"], "prompt", justification = "network access")
prefix_rule(["rm", "-rf"], "forbidden", justification = "use trash instead")
prefix_rule(["cargo", ["test", "build"]], "allow")
prefix_rule(["npm", "run", "dev"], "allow")
prefix_rule(["curl"], "forbidden", justification = "no network")
prefix_rule(["bash", "-lc"], "prompt")
"#;

fn policy() -> Policy {
    let mut policy = Policy::empty();
    policy
        .add_source(Path::new("t.rules"), RULES)
        .expect("the test rules load");
    policy
}

fn with_options<T>(f: impl FnOnce(&EvalOptions<'_>) -> T) -> T {
    let cwd = PathBuf::from("/work/repo");
    let roots = [PathBuf::from("/work/repo"), PathBuf::from("/tmp")];
    f(&EvalOptions {
        cwd: &cwd,
        writable_roots: &roots,
        unmatched: Decision::Prompt,
    })
}

/// Evaluate `script` and compare the whole explanation. The same script as
/// `bash -lc SCRIPT` must decide the same.
#[track_caller]
fn check(script: &str, expected: &str) {
    let policy = policy();
    let (got, direct, wrapped) = with_options(|options| {
        let direct = evaluate_script(&policy, script, options);
        let argv = ["bash".to_owned(), "-c".to_owned(), script.to_owned()];
        let wrapped = evaluate(&policy, &argv, options);
        (explain(&direct), direct.decision, wrapped.decision)
    });
    assert_eq!(got.trim_end(), expected.trim());
    assert_eq!(wrapped, direct, "`bash -c` decided differently");
}

/// Evaluate an argv as core would receive it.
#[track_caller]
fn check_argv(argv: &[&str], expected: &str) {
    let policy = policy();
    let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
    let got = with_options(|options| explain(&evaluate(&policy, &argv, options)));
    assert_eq!(got.trim_end(), expected.trim());
}

// --- plain commands and rules -------------------------------------------

#[test]
fn allowed_by_rule() {
    check(
        "git status",
        "git status\n  allow: rule `git status` (t.rules:2)\ndecision: allow",
    );
}

#[test]
fn extra_arguments_still_match() {
    check(
        "git status --short -b",
        "git status --short -b\n  allow: rule `git status` (t.rules:2)\ndecision: allow",
    );
}

#[test]
fn prompt_rule_with_justification() {
    check(
        "git push origin main",
        "git push origin main\n  prompt: rule `git push` (t.rules:3): network access\ndecision: prompt",
    );
}

#[test]
fn forbidden_rule() {
    check(
        "rm -rf build",
        "rm -rf build\n  forbidden: rule `rm -rf` (t.rules:4): use trash instead\ndecision: forbidden",
    );
}

#[test]
fn split_flags_are_not_the_rule_but_are_dangerous() {
    check(
        "rm -r -f build",
        "rm -r -f build\n  prompt: dangerous: `rm -f` deletes without asking\ndecision: prompt",
    );
}

#[test]
fn alternatives_in_the_pattern() {
    check(
        "cargo build --release",
        "cargo build --release\n  allow: rule `cargo build` (t.rules:5)\ndecision: allow",
    );
}

#[test]
fn a_longer_pattern_needs_every_token() {
    check(
        "npm run dev",
        "npm run dev\n  allow: rule `npm run dev` (t.rules:6)\ndecision: allow",
    );
    check(
        "npm run build",
        "npm run build\n  prompt: no rule matched: the approval policy decides\ndecision: prompt",
    );
}

#[test]
fn known_safe_without_a_rule() {
    check(
        "ls -la",
        "ls -la\n  allow: known safe: lists directories\ndecision: allow",
    );
}

#[test]
fn unmatched_follows_the_approval_policy() {
    let policy = policy();
    let cwd = PathBuf::from("/work/repo");
    let roots = [cwd.clone()];
    let options = EvalOptions {
        cwd: &cwd,
        writable_roots: &roots,
        unmatched: Decision::Allow,
    };
    let evaluation = evaluate_script(&policy, "make build", &options);
    assert_eq!(
        explain(&evaluation),
        "make build\n  allow: no rule matched: the approval policy decides\ndecision: allow\n"
    );
}

// --- pipelines and lists -------------------------------------------------

#[test]
fn pipeline_of_allowed_commands() {
    check(
        "git status | head -n 5",
        "git status\n  allow: rule `git status` (t.rules:2)\n\
         head -n 5\n  allow: known safe: prints the start of files\ndecision: allow",
    );
}

#[test]
fn longer_pipeline() {
    check(
        "git log --oneline | grep fix | wc -l",
        "git log --oneline\n  allow: known safe: git log only reads the repository\n\
         grep fix\n  allow: known safe: searches files\n\
         wc -l\n  allow: known safe: counts lines, words and bytes\ndecision: allow",
    );
}

#[test]
fn and_list_takes_the_strictest() {
    check(
        "cargo test && git push",
        "cargo test\n  allow: rule `cargo test` (t.rules:5)\n\
         git push\n  prompt: rule `git push` (t.rules:3): network access\ndecision: prompt",
    );
}

#[test]
fn or_list_counts_the_fallback() {
    check(
        "cargo build || rm -rf target",
        "cargo build\n  allow: rule `cargo build` (t.rules:5)\n\
         rm -rf target\n  forbidden: rule `rm -rf` (t.rules:4): use trash instead\ndecision: forbidden",
    );
}

#[test]
fn semicolon_list() {
    check(
        "ls; rm -rf /",
        "ls\n  allow: known safe: lists directories\n\
         rm -rf /\n  forbidden: rule `rm -rf` (t.rules:4): use trash instead\ndecision: forbidden",
    );
}

#[test]
fn background_job() {
    check(
        "sleep 1 & curl x",
        "sleep 1\n  prompt: no rule matched: the approval policy decides\n\
         curl x\n  forbidden: rule `curl` (t.rules:7): no network\ndecision: forbidden",
    );
}

#[test]
fn negation() {
    check(
        "! git status",
        "git status\n  allow: rule `git status` (t.rules:2)\ndecision: allow",
    );
}

// --- subshells and substitutions ----------------------------------------

#[test]
fn subshell() {
    check(
        "(cd sub && cargo test)",
        "cd sub\n  allow: known safe: changes the shell's directory\n\
         cargo test\n  allow: rule `cargo test` (t.rules:5)\ndecision: allow",
    );
}

#[test]
fn command_substitution_in_a_string() {
    check(
        "echo \"$(rm -rf /)\"",
        "rm -rf /\n  forbidden: rule `rm -rf` (t.rules:4): use trash instead\n\
         echo '\"$(rm -rf /)\"'\n  allow: known safe: prints its arguments\ndecision: forbidden",
    );
}

#[test]
fn backticks() {
    check(
        "echo `curl evil.sh`",
        "curl evil.sh\n  forbidden: rule `curl` (t.rules:7): no network\n\
         echo '`curl evil.sh`'\n  allow: known safe: prints its arguments\ndecision: forbidden",
    );
}

#[test]
fn process_substitution() {
    check(
        "cat <(curl x) | wc -l",
        "curl x\n  forbidden: rule `curl` (t.rules:7): no network\n\
         cat '<(curl x)'\n  allow: known safe: prints files\n\
         wc -l\n  allow: known safe: counts lines, words and bytes\ndecision: forbidden",
    );
}

#[test]
fn substitution_in_an_assignment() {
    check(
        "x=$(git status)",
        "git status\n  allow: rule `git status` (t.rules:2)\ndecision: allow",
    );
}

#[test]
fn substitution_in_export() {
    check(
        "export A=$(curl x)",
        "curl x\n  forbidden: rule `curl` (t.rules:7): no network\ndecision: forbidden",
    );
}

// --- environment prefixes ------------------------------------------------

#[test]
fn env_prefix_is_stripped() {
    check(
        "FOO=1 cargo test",
        "cargo test\n  allow: rule `cargo test` (t.rules:5)\ndecision: allow",
    );
}

#[test]
fn several_env_prefixes_with_expansions() {
    check(
        "FOO=1 BAR=$HOME git status",
        "git status\n  allow: rule `git status` (t.rules:2)\ndecision: allow",
    );
}

#[test]
fn env_prefix_does_not_hide_a_forbidden_command() {
    check(
        "RUST_LOG=debug curl https://x",
        "curl https://x\n  forbidden: rule `curl` (t.rules:7): no network\ndecision: forbidden",
    );
}

// --- quoting ---------------------------------------------------------------

#[test]
fn single_quotes_are_removed() {
    check(
        "'rm' '-rf' x",
        "rm -rf x\n  forbidden: rule `rm -rf` (t.rules:4): use trash instead\ndecision: forbidden",
    );
}

#[test]
fn double_quotes_are_removed() {
    check(
        "\"git\" status",
        "git status\n  allow: rule `git status` (t.rules:2)\ndecision: allow",
    );
}

#[test]
fn backslashes_are_removed() {
    check(
        "r\\m -rf x",
        "rm -rf x\n  forbidden: rule `rm -rf` (t.rules:4): use trash instead\ndecision: forbidden",
    );
}

#[test]
fn quoted_flag() {
    check(
        "rm \"-rf\" x",
        "rm -rf x\n  forbidden: rule `rm -rf` (t.rules:4): use trash instead\ndecision: forbidden",
    );
}

#[test]
fn ansi_c_quoting() {
    check(
        "echo $'a\\tb' > /tmp/ok",
        "echo 'a\tb'\n  allow: known safe: prints its arguments\ndecision: allow",
    );
}

// --- expansions and globs in arguments ----------------------------------

#[test]
fn a_variable_might_be_the_forbidden_flag() {
    check(
        "rm $FLAGS x",
        "rm '$FLAGS' x\n  prompt: might match forbidden rule `rm -rf` (t.rules:4): use trash instead once expanded\n\
         \x20 prompt: no rule matched: the approval policy decides\ndecision: prompt",
    );
}

#[test]
fn a_glob_that_could_expand_to_the_flag() {
    check(
        "rm *",
        "rm '*'\n  prompt: might match forbidden rule `rm -rf` (t.rules:4): use trash instead once expanded\n\
         \x20 prompt: no rule matched: the approval policy decides\ndecision: prompt",
    );
}

#[test]
fn a_glob_that_cannot() {
    check(
        "rm *.o",
        "rm '*.o'\n  prompt: no rule matched: the approval policy decides\ndecision: prompt",
    );
}

#[test]
fn brace_expansion_is_unknown() {
    check(
        "echo {a,b}",
        "echo '{a,b}'\n  allow: known safe: prints its arguments\ndecision: allow",
    );
}

#[test]
fn loop_variable_in_an_argument() {
    check(
        "for f in *.rs; do cat \"$f\"; done",
        "cat '\"$f\"'\n  allow: known safe: prints files\ndecision: allow",
    );
}

// --- redirections -----------------------------------------------------------

#[test]
fn write_inside_the_workspace() {
    check(
        "echo hi > out.txt",
        "echo hi\n  allow: known safe: prints its arguments\ndecision: allow",
    );
}

#[test]
fn append_inside_another_writable_root() {
    check(
        "echo hi >> /tmp/log",
        "echo hi\n  allow: known safe: prints its arguments\ndecision: allow",
    );
}

#[test]
fn write_outside_the_roots() {
    check(
        "echo hi > /etc/passwd",
        "echo hi\n  allow: known safe: prints its arguments\n\
         \x20 prompt: writes `/etc/passwd`, outside the writable roots\ndecision: prompt",
    );
}

#[test]
fn dot_dot_leaves_the_roots() {
    check(
        "echo hi > ../outside.txt",
        "echo hi\n  allow: known safe: prints its arguments\n\
         \x20 prompt: writes `/work/outside.txt`, outside the writable roots\ndecision: prompt",
    );
}

#[test]
fn descriptor_duplication_and_dev_null() {
    check(
        "echo hi 2>&1 > /dev/null",
        "echo hi\n  allow: known safe: prints its arguments\ndecision: allow",
    );
}

#[test]
fn reads_are_fine() {
    check(
        "cat < /etc/hosts",
        "cat\n  allow: known safe: prints files\ndecision: allow",
    );
}

#[test]
fn write_to_a_computed_path() {
    check(
        "echo x > \"$OUT\"",
        "echo x\n  allow: known safe: prints its arguments\n\
         \x20 prompt: unanalysable: `> \"$OUT\"` writes to a file whose name is only known when it runs\n\
         decision: prompt",
    );
}

#[test]
fn write_after_cd_resolves_there() {
    check(
        "cd /etc && echo x > hosts",
        "cd /etc\n  allow: known safe: changes the shell's directory\n\
         echo x\n  allow: known safe: prints its arguments\n\
         > hosts\n  prompt: writes `/etc/hosts`, outside the writable roots\ndecision: prompt",
    );
}

#[test]
fn write_after_a_relative_cd() {
    check(
        "cd src && echo x > notes.txt",
        "cd src\n  allow: known safe: changes the shell's directory\n\
         echo x\n  allow: known safe: prints its arguments\n\
         > notes.txt\n  allow: writes only inside the writable roots\ndecision: allow",
    );
}

#[test]
fn write_after_an_unknown_cd() {
    check(
        "cd \"$DIR\" && echo x > notes.txt",
        "cd '\"$DIR\"'\n  allow: known safe: changes the shell's directory\n\
         echo x\n  allow: known safe: prints its arguments\n\
         > notes.txt\n  prompt: unanalysable: `> notes.txt` writes to a relative path after a `cd` that cannot be followed\n\
         decision: prompt",
    );
}

#[test]
fn cd_inside_a_subshell_does_not_leak() {
    check(
        "(cd /etc); echo x > ok.txt",
        "cd /etc\n  allow: known safe: changes the shell's directory\n\
         echo x\n  allow: known safe: prints its arguments\ndecision: allow",
    );
}

#[test]
fn redirection_of_a_group() {
    check(
        "{ echo a; echo b; } > /etc/x",
        "echo a\n  allow: known safe: prints its arguments\n\
         echo b\n  allow: known safe: prints its arguments\n\
         > /etc/x\n  prompt: writes `/etc/x`, outside the writable roots\ndecision: prompt",
    );
}

#[test]
fn tilde_in_a_redirection_is_unknown() {
    check(
        "ls ~ > ~/list",
        "ls '~'\n  allow: known safe: lists directories\n\
         \x20 prompt: unanalysable: `> ~/list` writes to a file whose name is only known when it runs\n\
         decision: prompt",
    );
}

#[test]
fn tee_is_not_known_safe() {
    check(
        "cat file | tee /etc/x",
        "cat file\n  allow: known safe: prints files\n\
         tee /etc/x\n  prompt: no rule matched: the approval policy decides\ndecision: prompt",
    );
}

// --- heredocs ---------------------------------------------------------------

#[test]
fn heredoc_with_a_write_and_a_substitution() {
    check(
        "cat <<EOF > /etc/motd\nhello $(whoami)\nEOF",
        "whoami\n  allow: known safe: prints the user name\n\
         cat\n  allow: known safe: prints files\n\
         \x20 prompt: writes `/etc/motd`, outside the writable roots\ndecision: prompt",
    );
}

#[test]
fn quoted_heredoc_body_is_text() {
    check(
        "cat <<'EOF' | grep x\n$(rm -rf /)\nEOF",
        "cat\n  allow: known safe: prints files\n\
         grep x\n  allow: known safe: searches files\ndecision: allow",
    );
}

#[test]
fn heredoc_into_an_interpreter() {
    check(
        "python3 - <<EOF\nprint(1)\nEOF",
        "python3\n  prompt: no rule matched: the approval policy decides\n\
         python3 - <<EOF…\n  prompt: unanalysable: the shell parser skipped `-`; what runs may differ\n\
         decision: prompt",
    );
}

// --- nested shells ------------------------------------------------------------

#[test]
fn bash_c_is_looked_into() {
    check(
        "bash -c 'git status && cargo test'",
        "git status\n  allow: rule `git status` (t.rules:2)\n\
         cargo test\n  allow: rule `cargo test` (t.rules:5)\ndecision: allow",
    );
}

#[test]
fn nested_bash_lc_and_sh_c() {
    check(
        "bash -lc \"sh -c 'curl x'\"",
        "curl x\n  forbidden: rule `curl` (t.rules:7): no network\ndecision: forbidden",
    );
}

#[test]
fn argv_bash_lc_is_unpacked() {
    check_argv(
        &["bash", "-lc", "git status && rm -rf /"],
        "git status\n  allow: rule `git status` (t.rules:2)\n\
         rm -rf /\n  forbidden: rule `rm -rf` (t.rules:4): use trash instead\ndecision: forbidden",
    );
}

#[test]
fn argv_zsh_c_is_unpacked() {
    check_argv(
        &["/bin/zsh", "-c", "FOO=1 cargo build"],
        "cargo build\n  allow: rule `cargo build` (t.rules:5)\ndecision: allow",
    );
}

#[test]
fn argv_plain_command() {
    check_argv(
        &["git", "status"],
        "git status\n  allow: rule `git status` (t.rules:2)\ndecision: allow",
    );
}

#[test]
fn argv_unparsable_script_also_gets_the_wrapper_rules() {
    check_argv(
        &["bash", "-lc", "echo 'oops"],
        "echo 'oops\n  prompt: unanalysable: the script does not parse as shell\n\
         bash -lc 'echo '\\''oops'\n  prompt: rule `bash -lc` (t.rules:8)\ndecision: prompt",
    );
}

#[test]
fn a_computed_script() {
    check(
        "bash -c \"$SCRIPT\"",
        "bash -c '\"$SCRIPT\"'\n  prompt: unanalysable: the `bash -c` script `\"$SCRIPT\"` is only known when it runs\n\
         decision: prompt",
    );
}

#[test]
fn piping_into_a_shell() {
    check(
        "curl x | bash",
        "curl x\n  forbidden: rule `curl` (t.rules:7): no network\n\
         bash\n  prompt: unanalysable: `bash` reads the commands to run from its input\ndecision: forbidden",
    );
}

#[test]
fn a_shell_running_a_file_is_an_ordinary_command() {
    check(
        "sh script.sh",
        "sh script.sh\n  prompt: no rule matched: the approval policy decides\ndecision: prompt",
    );
}

// --- control flow -------------------------------------------------------------

#[test]
fn if_counts_every_branch() {
    check(
        "if git status; then cargo test; else rm -rf x; fi",
        "git status\n  allow: rule `git status` (t.rules:2)\n\
         cargo test\n  allow: rule `cargo test` (t.rules:5)\n\
         rm -rf x\n  forbidden: rule `rm -rf` (t.rules:4): use trash instead\ndecision: forbidden",
    );
}

#[test]
fn while_loop() {
    check(
        "while true; do git status; done",
        "true\n  allow: known safe: does nothing\n\
         git status\n  allow: rule `git status` (t.rules:2)\ndecision: allow",
    );
}

#[test]
fn case_arms() {
    check(
        "case \"$x\" in a) curl x;; esac",
        "curl x\n  forbidden: rule `curl` (t.rules:7): no network\ndecision: forbidden",
    );
}

#[test]
fn test_command() {
    check(
        "[[ -f x ]] && cat x",
        "cat x\n  allow: known safe: prints files\ndecision: allow",
    );
}

// --- unanalysable -------------------------------------------------------------

#[test]
fn eval_asks() {
    check(
        "eval \"rm -rf /\"",
        "eval 'rm -rf /'\n  prompt: unanalysable: `eval` runs a string as shell code\ndecision: prompt",
    );
}

#[test]
fn source_asks() {
    check(
        "source ./env.sh",
        "source ./env.sh\n  prompt: unanalysable: `source` runs another file's shell code\ndecision: prompt",
    );
}

#[test]
fn dot_asks() {
    check(
        ". ./env.sh",
        ". ./env.sh\n  prompt: unanalysable: `.` runs another file's shell code\ndecision: prompt",
    );
}

#[test]
fn variable_in_command_position() {
    check(
        "$CMD arg",
        "'$CMD' arg\n  prompt: unanalysable: `$CMD` in command position is only known when it runs\n\
         decision: prompt",
    );
}

#[test]
fn substitution_in_command_position() {
    check(
        "\"$(which git)\" status",
        "which git\n  allow: known safe: looks up programs on PATH\n\
         '\"$(which git)\"' status\n  prompt: unanalysable: `\"$(which git)\"` in command position is only known when it runs\n\
         decision: prompt",
    );
}

#[test]
fn inline_function() {
    check(
        "f() { rm -rf /; }; f",
        "f\n  prompt: no rule matched: the approval policy decides\n\
         f() { rm -rf /; }\n  prompt: unanalysable: defines a shell function, whose calls cannot be followed\n\
         decision: prompt",
    );
}

#[test]
fn alias_asks() {
    check(
        "alias ls='rm -rf'",
        "alias 'ls=rm -rf'\n  prompt: unanalysable: `alias` changes what later words mean\ndecision: prompt",
    );
}

#[test]
fn exec_runs_its_command() {
    check(
        "exec curl x",
        "curl x\n  forbidden: rule `curl` (t.rules:7): no network\ndecision: forbidden",
    );
}

#[test]
fn exec_redirection_only() {
    check(
        "exec > /etc/log",
        "exec\n  prompt: writes `/etc/log`, outside the writable roots\ndecision: prompt",
    );
}

#[test]
fn syntax_error_asks() {
    check(
        "ls |",
        "ls |\n  prompt: unanalysable: the script does not parse as shell\ndecision: prompt",
    );
}

#[test]
fn unterminated_quote_asks() {
    check(
        "echo 'unterminated",
        "echo 'unterminated\n  prompt: unanalysable: the script does not parse as shell\ndecision: prompt",
    );
}

// --- built-in lists -------------------------------------------------------------

#[test]
fn find_exec_is_not_known_safe() {
    check(
        "find . -name '*.rs' -exec rm {} +",
        "find . -name '*.rs' -exec rm '{}' +\n  prompt: no rule matched: the approval policy decides\ndecision: prompt",
    );
}

#[test]
fn find_without_exec_is() {
    check(
        "find . -name '*.rs'",
        "find . -name '*.rs'\n  allow: known safe: lists files\ndecision: allow",
    );
}

#[test]
fn sed_print_is_known_safe_and_in_place_is_not() {
    check(
        "sed -n 1,5p f && sed -i s/a/b/ f",
        "sed -n 1,5p f\n  allow: known safe: prints selected lines (`-n` with only `p`)\n\
         sed -i s/a/b/ f\n  prompt: no rule matched: the approval policy decides\ndecision: prompt",
    );
}

#[test]
fn git_branch_listing_versus_creating() {
    check(
        "git branch -a; git checkout -b new",
        "git branch -a\n  allow: known safe: git branch only lists branches\n\
         git checkout -b new\n  prompt: no rule matched: the approval policy decides\ndecision: prompt",
    );
}

#[test]
fn sudo_of_a_forbidden_command() {
    check(
        "sudo rm -rf /",
        "sudo rm -rf /\n  prompt: dangerous: runs a destructive command as root\n\
         rm -rf /\n  forbidden: rule `rm -rf` (t.rules:4): use trash instead\ndecision: forbidden",
    );
}

// --- wrappers -------------------------------------------------------------------

#[test]
fn timeout_is_transparent() {
    check(
        "timeout -s KILL 5 cargo test",
        "cargo test\n  allow: rule `cargo test` (t.rules:5)\ndecision: allow",
    );
}

#[test]
fn env_assignments_and_nice_are_transparent() {
    check(
        "env FOO=1 nice -n 5 curl x",
        "curl x\n  forbidden: rule `curl` (t.rules:7): no network\ndecision: forbidden",
    );
}

#[test]
fn a_wrapper_around_a_shell() {
    check(
        "nohup bash -c 'git status'",
        "git status\n  allow: rule `git status` (t.rules:2)\ndecision: allow",
    );
}

#[test]
fn xargs_adds_words_from_stdin() {
    check(
        "ls | xargs rm",
        "ls\n  allow: known safe: lists directories\n\
         xargs rm\n  prompt: no rule matched: the approval policy decides\n\
         rm '(words from stdin)'\n  prompt: might match forbidden rule `rm -rf` (t.rules:4): use trash instead once expanded\n\
         \x20 prompt: no rule matched: the approval policy decides\ndecision: prompt",
    );
}

#[test]
fn command_v_only_looks_up() {
    check("command -v git", "decision: allow");
}

#[test]
fn sudo_of_a_computed_command() {
    check(
        "sudo $CMD",
        "sudo '$CMD'\n  prompt: unanalysable: `sudo` runs a command that is only known when it runs\ndecision: prompt",
    );
}

// --- amendments -----------------------------------------------------------------

#[test]
fn amendment_is_offered_for_one_unmatched_command() {
    let policy = policy();
    let prefixes: Vec<Option<Vec<String>>> = [
        "git status && npm run build -- --watch",
        "npm run build; npm run build",
        "npm run build && make",
        "rm -r -f x",
        "eval x",
        "git status",
    ]
    .into_iter()
    .map(|script| with_options(|options| evaluate_script(&policy, script, options).amendment()))
    .collect();
    let npm = Some(vec!["npm".to_owned(), "run".to_owned(), "build".to_owned()]);
    assert_eq!(prefixes, [npm.clone(), npm, None, None, None, None]);
}

/// Issue 16, item 7: 5,000 nested `$(` (15 KB) overflowed the walk's stack
/// and aborted duet. Too deep to analyse is `prompt`, never `allow` and
/// never a crash, even on a worker thread's small stack.
#[test]
fn nesting_too_deep_is_a_problem_not_a_crash() {
    let deep = format!("echo {}x{}", "$(".repeat(5000), ")".repeat(5000));
    let explanation = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let policy = policy();
            with_options(|options| explain(&evaluate_script(&policy, &deep, options)))
        })
        .expect("a thread")
        .join()
        .expect("no overflow");
    assert!(
        explanation
            .trim_end()
            .ends_with("the script nests more than 256 levels deep\ndecision: prompt"),
        "{explanation}"
    );
    // Every depth up to the limit still fits a 2 MiB stack (a tokio
    // worker's), whatever nests: substitutions, subshells, groups, ifs.
    let shapes: [(&str, &str); 4] = [
        ("echo $(", ")"),
        ("(", ")"),
        ("{ ", "; }"),
        ("if true; then ", "; fi"),
    ];
    for (open, close) in shapes {
        for levels in (10..=300).step_by(10) {
            let script = format!("{}echo x{}", open.repeat(levels), close.repeat(levels));
            std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || {
                    let policy = policy();
                    with_options(|options| evaluate_script(&policy, &script, options).decision)
                })
                .expect("a thread")
                .join()
                .unwrap_or_else(|_| panic!("`{open}` nested {levels} deep overflowed"));
        }
    }
}
