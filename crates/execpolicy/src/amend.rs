//! "Always allow": which prefix an approval generalises to, and appending it
//! to `$DUET_HOME/rules/default.rules`.
//!
//! The prefix is the program and its subcommand(s), never file arguments or
//! flags, and there is none for shells, interpreters and wrappers: allowing
//! `python3 -c` or `sudo` for ever would allow anything.

use crate::rule::Decision;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Programs for which no prefix is safe to save: they run code given as an
/// argument or another command (`sudo CMD`), or their flags can make them
/// run or write anything (`find -exec`, `sed e`).
const NEVER: &[&str] = &[
    // shells
    "bash",
    "sh",
    "zsh",
    "dash",
    "ksh",
    "fish",
    "csh",
    "tcsh",
    "pwsh",
    "powershell",
    "powershell.exe",
    "cmd",
    "cmd.exe",
    // interpreters
    "python",
    "python2",
    "python3",
    "py",
    "pythonw",
    "pyw",
    "pypy",
    "pypy3",
    "node",
    "nodejs",
    "deno",
    "bun",
    "perl",
    "ruby",
    "irb",
    "php",
    "lua",
    "luajit",
    "tclsh",
    "wish",
    "osascript",
    "Rscript",
    "julia",
    "expect",
    "awk",
    "gawk",
    "mawk",
    "nawk",
    "sed",
    "find",
    // wrappers
    "env",
    "sudo",
    "doas",
    "su",
    "runuser",
    "pkexec",
    "xargs",
    "nice",
    "ionice",
    "renice",
    "timeout",
    "nohup",
    "exec",
    "command",
    "builtin",
    "time",
    "watch",
    "ssh",
    "strace",
    "ltrace",
    "chroot",
    "unshare",
    "nsenter",
    "setsid",
    "stdbuf",
    "taskset",
    "flock",
    "script",
    "parallel",
    "busybox",
    "eval",
    "source",
    ".",
    "fakeroot",
    "firejail",
    "bwrap",
    "systemd-run",
    "npx",
    "pnpx",
    "bunx",
    "uvx",
    "pipx",
];

/// Programs organised by subcommand: without one (or with a flag first,
/// such as `git -C dir`), no prefix is offered.
const SUBCOMMANDS: &[&str] = &[
    "git",
    "cargo",
    "npm",
    "pnpm",
    "yarn",
    "go",
    "docker",
    "podman",
    "kubectl",
    "gh",
    "uv",
    "pip",
    "pip3",
    "poetry",
    "rustup",
    "brew",
    "apt",
    "apt-get",
    "dnf",
    "systemctl",
    "terraform",
    "helm",
    "dotnet",
    "mvn",
    "gradle",
    "bundle",
    "mix",
    "stack",
    "cabal",
    "swift",
    "conda",
    "just",
    "make",
];

/// Subcommands that take a further subcommand (`npm run build`,
/// `gh pr list`, `go mod tidy`).
const NESTED: &[(&str, &[&str])] = &[
    ("npm", &["run", "run-script"]),
    ("pnpm", &["run"]),
    ("yarn", &["run"]),
    ("gh", &["*"]),
    ("go", &["mod", "work", "tool"]),
    ("uv", &["pip", "tool", "python"]),
    ("git", &["stash", "remote", "submodule", "worktree", "lfs"]),
    (
        "docker",
        &[
            "compose",
            "container",
            "image",
            "network",
            "volume",
            "buildx",
        ],
    ),
];

/// The prefix "always allow" saves for `argv`, or `None` when no prefix is
/// safe. `cargo test --all` → `cargo test`; `git commit -m x` →
/// `git commit`; `npm run build` → `npm run build`; `ls src/` → `ls`.
pub fn amendment_for(argv: &[String]) -> Option<Vec<String>> {
    let program = argv.first()?;
    let name = program.rsplit('/').next().unwrap_or(program);
    let banned = NEVER.contains(&name)
        || name.starts_with("python")
        || name.starts_with("pypy")
        || name.starts_with("lua");
    if banned || program.is_empty() {
        return None;
    }
    let mut prefix = vec![program.clone()];
    let Some(sub) = argv.get(1).filter(|word| is_subcommand(word)) else {
        return (!SUBCOMMANDS.contains(&name)).then_some(prefix);
    };
    prefix.push(sub.clone());
    let nested = NESTED
        .iter()
        .any(|(p, subs)| *p == name && (subs.contains(&"*") || subs.contains(&sub.as_str())));
    if nested && let Some(next) = argv.get(2).filter(|word| is_subcommand(word)) {
        prefix.push(next.clone());
    }
    Some(prefix)
}

/// A word that names a subcommand or target rather than a file or flag.
fn is_subcommand(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':'))
}

/// `$DUET_HOME/rules/default.rules`, where approvals are saved.
pub fn default_rules_file(duet_home: &Path) -> PathBuf {
    duet_home.join("rules").join("default.rules")
}

/// The rule line [`append_rule`] writes, without its newline.
pub fn rule_line(prefix: &[String], decision: Decision) -> String {
    let tokens: Vec<String> = prefix
        .iter()
        .map(|t| serde_json::to_string(t).expect("strings serialise"))
        .collect();
    format!(
        "prefix_rule(pattern=[{}], decision=\"{decision}\")",
        tokens.join(", ")
    )
}

/// Append `prefix_rule(pattern=[…], decision="…")` to `path`, creating it
/// and its folder. One `write` on a file opened with `O_APPEND`, so
/// concurrent sessions never interleave lines. Nothing is written when the
/// same line is already there.
pub fn append_rule(path: &Path, prefix: &[String], decision: Decision) -> std::io::Result<()> {
    if prefix.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "an empty prefix would match nothing",
        ));
    }
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)?;
    }
    let line = rule_line(prefix, decision);
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(error),
    };
    if existing.lines().any(|l| l.trim() == line) {
        return Ok(());
    }
    let mut record = String::new();
    if !existing.is_empty() && !existing.ends_with('\n') {
        record.push('\n');
    }
    record.push_str(&line);
    record.push('\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(record.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn amend(command: &str) -> Option<String> {
        amendment_for(&crate::words::split(command).unwrap()).map(|p| p.join(" "))
    }

    #[test]
    fn prefixes_generalise_to_program_and_subcommand() {
        let got: Vec<(&str, Option<String>)> = [
            "cargo test --all",
            "git commit -m x",
            "npm run build",
            "gh pr list --state open",
            "go mod tidy",
            "git stash pop",
            "ls src/",
            "cat README.md",
            "make build",
            "pytest tests/test_x.py",
            "git",
            "git -C dir status",
            "cargo +nightly test",
            "bash -lc ls",
            "python3 script.py",
            "python3.12 -c 1",
            "node -e 1",
            "env A=1 ls",
            "sudo ls",
            "xargs rm",
            "timeout 5 ls",
            "/usr/bin/git status",
        ]
        .into_iter()
        .map(|c| (c, amend(c)))
        .collect();
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(
            got,
            [
                ("cargo test --all", some("cargo test")),
                ("git commit -m x", some("git commit")),
                ("npm run build", some("npm run build")),
                ("gh pr list --state open", some("gh pr list")),
                ("go mod tidy", some("go mod tidy")),
                ("git stash pop", some("git stash pop")),
                ("ls src/", some("ls")),
                ("cat README.md", some("cat")),
                ("make build", some("make build")),
                ("pytest tests/test_x.py", some("pytest")),
                ("git", None),
                ("git -C dir status", None),
                ("cargo +nightly test", None),
                ("bash -lc ls", None),
                ("python3 script.py", None),
                ("python3.12 -c 1", None),
                ("node -e 1", None),
                ("env A=1 ls", None),
                ("sudo ls", None),
                ("xargs rm", None),
                ("timeout 5 ls", None),
                ("/usr/bin/git status", some("/usr/bin/git status")),
            ]
        );
    }

    #[test]
    fn appending_creates_the_file_and_skips_duplicates() {
        let home = tempfile::tempdir().unwrap();
        let path = default_rules_file(home.path());
        let prefix: Vec<String> = vec!["cargo".into(), "test".into()];
        append_rule(&path, &prefix, Decision::Allow).unwrap();
        append_rule(&path, &prefix, Decision::Allow).unwrap();
        append_rule(&path, &["say \"hi\"".to_owned()], Decision::Prompt).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "prefix_rule(pattern=[\"cargo\", \"test\"], decision=\"allow\")\n\
             prefix_rule(pattern=[\"say \\\"hi\\\"\"], decision=\"prompt\")\n"
        );
        // What was written loads back.
        let policy = crate::Policy::load(&[path]).unwrap();
        assert_eq!(policy.decide(&prefix, false), Some(Decision::Allow));
    }

    #[test]
    fn a_missing_final_newline_is_added_first() {
        let home = tempfile::tempdir().unwrap();
        let path = home.path().join("x.rules");
        std::fs::write(&path, "# mine").unwrap();
        append_rule(&path, &["ls".to_owned()], Decision::Allow).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "# mine\nprefix_rule(pattern=[\"ls\"], decision=\"allow\")\n"
        );
    }
}
