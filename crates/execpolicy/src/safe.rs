//! Built-in classifiers that need no rules: commands known to only read
//! (run without asking even under `untrusted`), and commands that are
//! likely destructive (asked about even under `on-request`).
//!
//! Both are pure functions of one simple command's words; redirections,
//! pipelines and substitutions are judged elsewhere (`evaluate.rs`). The
//! reasoning for each entry is in docs/execpolicy.md. A word that is only
//! known when the command runs (`$X`, a glob) counts as possibly dangerous
//! wherever a flag could make the command write or run something.

use crate::policy::MatchWord;

/// Why `argv` is known to be safe to run without asking, or `None`.
pub fn known_safe(argv: &[String]) -> Option<&'static str> {
    let words: Vec<MatchWord<'_>> = argv.iter().map(|w| MatchWord::Literal(w)).collect();
    known_safe_words(&words)
}

/// Why `argv` looks destructive enough to ask about, or `None`.
pub fn dangerous(argv: &[String]) -> Option<&'static str> {
    let words: Vec<MatchWord<'_>> = argv.iter().map(|w| MatchWord::Literal(w)).collect();
    dangerous_words(&words)
}

/// Programs that only read or print, whatever their arguments.
const READ_ONLY_ANY_ARGS: &[(&str, &str)] = &[
    ("cat", "prints files"),
    ("head", "prints the start of files"),
    ("tail", "prints the end of files"),
    ("wc", "counts lines, words and bytes"),
    ("grep", "searches files"),
    ("egrep", "searches files"),
    ("fgrep", "searches files"),
    ("ls", "lists directories"),
    ("echo", "prints its arguments"),
    ("printf", "prints its arguments"),
    ("pwd", "prints the working directory"),
    ("true", "does nothing"),
    ("false", "does nothing"),
    ("which", "looks up programs on PATH"),
    ("whoami", "prints the user name"),
    ("id", "prints user and group ids"),
    ("uname", "prints system information"),
    ("stat", "prints file metadata"),
    ("cut", "prints fields of lines"),
    ("tr", "translates characters from stdin"),
    ("nl", "numbers lines"),
    ("paste", "merges lines"),
    ("rev", "reverses lines"),
    ("seq", "prints numbers"),
    ("expr", "evaluates an expression"),
    ("basename", "prints a file name"),
    ("dirname", "prints a directory name"),
    ("realpath", "resolves a path"),
    ("readlink", "prints a link target"),
    ("cmp", "compares files"),
    ("comm", "compares sorted files"),
    ("diff", "compares files"),
    ("du", "reports disk usage"),
    ("df", "reports free space"),
    ("tac", "prints files in reverse"),
    ("numfmt", "formats numbers"),
    ("printenv", "prints the environment"),
    ("test", "tests a condition"),
    ("[", "tests a condition"),
    ("cd", "changes the shell's directory"),
];

pub(crate) fn known_safe_words(words: &[MatchWord<'_>]) -> Option<&'static str> {
    let (MatchWord::Literal(program), args) = words.split_first()? else {
        return None;
    };
    if let Some((_, reason)) = READ_ONLY_ANY_ARGS.iter().find(|(name, _)| name == program) {
        return Some(reason);
    }
    // From here on a flag could change what the command does, so every
    // argument must be known.
    let literal: Option<Vec<&str>> = args
        .iter()
        .map(|w| match w {
            MatchWord::Literal(text) => Some(*text),
            _ => None,
        })
        .collect();
    let args = literal?;
    match *program {
        "find" => {
            const WRITES_OR_RUNS: &[&str] = &[
                "-exec", "-execdir", "-ok", "-okdir", "-delete", "-fls", "-fprint", "-fprint0",
                "-fprintf",
            ];
            (!args.iter().any(|a| WRITES_OR_RUNS.contains(a))).then_some("lists files")
        }
        "rg" => {
            let runs = |a: &&str| {
                matches!(*a, "--pre" | "--hostname-bin" | "--search-zip" | "-z")
                    || a.starts_with("--pre=")
                    || a.starts_with("--hostname-bin=")
                    || (a.starts_with('-') && !a.starts_with("--") && a.contains('z'))
            };
            (!args.iter().any(runs)).then_some("searches files")
        }
        "sed" => sed_prints_only(&args).then_some("prints selected lines (`-n` with only `p`)"),
        "sort" => {
            let writes = |a: &&str| {
                *a == "-o"
                    || a.starts_with("--output")
                    || (a.starts_with("-o") && !a.starts_with("--"))
            };
            (!args.iter().any(writes)).then_some("sorts lines")
        }
        "uniq" => {
            // A second operand is an output file.
            let operands = args.iter().filter(|a| !a.starts_with('-')).count();
            (operands <= 1).then_some("filters repeated lines")
        }
        "file" => {
            let compiles = |a: &&str| *a == "-C" || *a == "--compile";
            (!args.iter().any(compiles)).then_some("identifies file types")
        }
        "base64" => {
            let writes = |a: &&str| *a == "-o" || a.starts_with("--output") || a.starts_with("-o");
            (!args.iter().any(writes)).then_some("encodes or decodes")
        }
        "date" => {
            let sets = |a: &&str| {
                *a == "-s" || a.starts_with("--set") || (!a.starts_with('-') && !a.starts_with('+'))
            };
            (!args.iter().any(sets)).then_some("prints the date")
        }
        "hostname" => args.is_empty().then_some("prints the host name"),
        "git" => git_read_only(&args),
        _ => None,
    }
}

/// `sed -n` whose script only prints lines: `Np`, `M,Np`, `$p`, `/re/p`.
fn sed_prints_only(args: &[&str]) -> bool {
    let mut quiet = false;
    let mut script = None;
    for arg in args {
        match *arg {
            "-n" | "--quiet" | "--silent" => quiet = true,
            "-E" | "-r" | "--regexp-extended" => {}
            flag if flag.starts_with('-') => return false,
            text if script.is_none() => script = Some(text),
            _ => {}
        }
    }
    let Some(script) = script else { return false };
    let address = |a: &str| {
        a == "$"
            || (!a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()))
            || (a.len() >= 2
                && a.starts_with('/')
                && a.ends_with('/')
                && !a[1..a.len() - 1].contains('/'))
    };
    quiet
        && script.split(';').all(|command| {
            let Some(range) = command.trim().strip_suffix('p') else {
                return false;
            };
            match range.split_once(',') {
                Some((from, to)) => address(from) && address(to),
                None => range.is_empty() || address(range),
            }
        })
}

/// `git status|log|diff|show|branch` with no option that writes a file or
/// runs a helper. Global options before the subcommand (`-c`, `-C`,
/// `--git-dir`, …) are not accepted: they can point git at other config.
fn git_read_only(args: &[&str]) -> Option<&'static str> {
    let (subcommand, rest) = args.split_first()?;
    let risky = |a: &&str| {
        a.starts_with("--output")
            || a.starts_with("--ext-diff")
            || a.starts_with("--textconv")
            || a.starts_with("--exec")
            || *a == "-o"
    };
    if rest.iter().any(risky) {
        return None;
    }
    match *subcommand {
        "status" => Some("git status only reads the repository"),
        "log" => Some("git log only reads the repository"),
        "diff" => Some("git diff only reads the repository"),
        "show" => Some("git show only reads the repository"),
        "branch" => {
            const LISTING: &[&str] = &[
                "-a",
                "-r",
                "-v",
                "-vv",
                "-l",
                "--list",
                "--all",
                "--remotes",
                "--verbose",
                "--show-current",
                "--no-color",
                "--color",
                "--merged",
                "--no-merged",
                "--contains",
                "--no-contains",
            ];
            let listing_flag = |a: &str| {
                LISTING.contains(&a) || a.starts_with("--sort=") || a.starts_with("--format=")
            };
            // Without `--list`, a name creates a branch.
            let list_mode = rest.iter().any(|a| matches!(*a, "-l" | "--list"));
            rest.iter()
                .all(|a| {
                    if a.starts_with('-') {
                        listing_flag(a)
                    } else {
                        list_mode
                    }
                })
                .then_some("git branch only lists branches")
        }
        _ => None,
    }
}

pub(crate) fn dangerous_words<'w>(words: &[MatchWord<'w>]) -> Option<&'static str> {
    let (MatchWord::Literal(program), args) = words.split_first()? else {
        return None;
    };
    fn literal<'w>(word: &MatchWord<'w>) -> Option<&'w str> {
        match word {
            MatchWord::Literal(text) => Some(text),
            _ => None,
        }
    }
    match *program {
        "sudo" | "doas" => dangerous_words(args).map(|_| "runs a destructive command as root"),
        "rm" => {
            let mut forced = false;
            for arg in args.iter().filter_map(literal) {
                if arg == "--" {
                    break;
                }
                forced |= arg == "--force"
                    || (arg.starts_with('-') && !arg.starts_with("--") && arg.contains('f'));
            }
            forced.then_some("`rm -f` deletes without asking")
        }
        "git" => {
            let args: Vec<&str> = args.iter().filter_map(literal).collect();
            match args.as_slice() {
                ["reset", rest @ ..] if rest.contains(&"--hard") => {
                    Some("`git reset --hard` discards uncommitted work")
                }
                ["clean", rest @ ..]
                    if rest.iter().any(|a| {
                        a.starts_with('-') && !a.starts_with("--") && a.contains('f')
                            || *a == "--force"
                    }) =>
                {
                    Some("`git clean -f` deletes untracked files")
                }
                ["push", rest @ ..]
                    if rest.iter().any(|a| {
                        matches!(*a, "-f" | "--force" | "--force-with-lease")
                            || a.starts_with("--force")
                    }) =>
                {
                    Some("`git push --force` rewrites remote history")
                }
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn safe(command: &str) -> Option<&'static str> {
        known_safe(&crate::words::split(command).unwrap())
    }

    #[test]
    fn read_only_commands_and_their_dangerous_flags() {
        let got: Vec<(&str, Option<&str>)> = [
            "cat a b",
            "find . -name x",
            "find . -name x -delete",
            "rg --pre cat x",
            "rg -iz x",
            "rg -n x",
            "sed -n 1,5p f",
            "sed -n '1p;$p' f",
            "sed -n 1w/tmp/x f",
            "sed -i -n 1p f",
            "git status --short",
            "git diff --output=x",
            "git -c core.pager=sh log",
            "git branch",
            "git branch new-feature",
            "git branch --list 'feat*'",
            "sort -o out in",
            "uniq in out",
            "date +%s",
            "date 0101",
            "python3 -c 1",
        ]
        .into_iter()
        .map(|c| (c, safe(c)))
        .collect();
        assert_eq!(
            got,
            [
                ("cat a b", Some("prints files")),
                ("find . -name x", Some("lists files")),
                ("find . -name x -delete", None),
                ("rg --pre cat x", None),
                ("rg -iz x", None),
                ("rg -n x", Some("searches files")),
                (
                    "sed -n 1,5p f",
                    Some("prints selected lines (`-n` with only `p`)")
                ),
                (
                    "sed -n '1p;$p' f",
                    Some("prints selected lines (`-n` with only `p`)")
                ),
                ("sed -n 1w/tmp/x f", None),
                ("sed -i -n 1p f", None),
                (
                    "git status --short",
                    Some("git status only reads the repository")
                ),
                ("git diff --output=x", None),
                ("git -c core.pager=sh log", None),
                ("git branch", Some("git branch only lists branches")),
                ("git branch new-feature", None),
                (
                    "git branch --list 'feat*'",
                    Some("git branch only lists branches")
                ),
                ("sort -o out in", None),
                ("uniq in out", None),
                ("date +%s", Some("prints the date")),
                ("date 0101", None),
                ("python3 -c 1", None),
            ]
        );
    }

    #[test]
    fn dangerous_commands() {
        let got: Vec<Option<&str>> = [
            "rm -rf x",
            "rm -r -f x",
            "rm -r x",
            "rm -- -f",
            "sudo rm -f /",
            "git reset --hard",
            "git push origin main",
        ]
        .into_iter()
        .map(|c| dangerous(&crate::words::split(c).unwrap()))
        .collect();
        assert_eq!(
            got,
            [
                Some("`rm -f` deletes without asking"),
                Some("`rm -f` deletes without asking"),
                None,
                None,
                Some("runs a destructive command as root"),
                Some("`git reset --hard` discards uncommitted work"),
                None,
            ]
        );
    }

    #[test]
    fn unknown_words_spoil_flag_checks_but_not_plain_readers() {
        let words = [MatchWord::Literal("cat"), MatchWord::Unknown];
        assert_eq!(known_safe_words(&words), Some("prints files"));
        let words = [
            MatchWord::Literal("find"),
            MatchWord::Literal("."),
            MatchWord::Glob("-*"),
        ];
        assert_eq!(known_safe_words(&words), None);
    }
}
