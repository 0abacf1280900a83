//! What the user asks for: the prompt (argument and/or stdin), the output
//! schema, the images, and the git-repository guard.
//!
//! The functions here take their inputs as values (the stdin text, whether
//! stdin is a terminal) so tests drive them without a process around them.
//! They do not talk to the session.

use anyhow::{Context, bail};
use duet_protocol::{UserInput, UserTurn};
use std::path::{Path, PathBuf};

/// Where the prompt comes from, decided before stdin is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptSource {
    /// The argument alone; stdin is a terminal and is not read.
    Argument(String),
    /// The argument, plus whatever is piped on stdin as a `<stdin>` block.
    ArgumentAndStdin(String),
    /// stdin is the whole prompt (no argument, or `-`).
    Stdin,
}

impl PromptSource {
    /// Decide from the argument and whether stdin is a terminal.
    pub fn decide(argument: Option<&str>, stdin_is_terminal: bool) -> anyhow::Result<Self> {
        match argument {
            None | Some("-") if stdin_is_terminal => {
                bail!("no prompt provided: pass it as an argument, or pipe it on stdin with `-`")
            }
            None | Some("-") => Ok(PromptSource::Stdin),
            Some(text) if stdin_is_terminal => Ok(PromptSource::Argument(text.to_owned())),
            Some(text) => Ok(PromptSource::ArgumentAndStdin(text.to_owned())),
        }
    }

    /// The notice printed on stderr before stdin is read, if it is read.
    pub fn stdin_notice(&self) -> Option<&'static str> {
        match self {
            PromptSource::Argument(_) => None,
            PromptSource::ArgumentAndStdin(_) => Some("Reading additional input from stdin..."),
            PromptSource::Stdin => Some("Reading prompt from stdin..."),
        }
    }

    /// The user text, given what stdin held (ignored for [`PromptSource::Argument`]).
    pub fn assemble(self, stdin_text: &str) -> anyhow::Result<String> {
        match self {
            PromptSource::Argument(text) => Ok(text),
            PromptSource::ArgumentAndStdin(text) if stdin_text.trim().is_empty() => Ok(text),
            PromptSource::ArgumentAndStdin(text) => {
                // A line break before `</stdin>` only when the input lacks
                // its own, as the reference does.
                let end = if stdin_text.ends_with('\n') { "" } else { "\n" };
                Ok(format!("{text}\n\n<stdin>\n{stdin_text}{end}</stdin>"))
            }
            // The trailing newline is kept, as the reference does.
            PromptSource::Stdin if stdin_text.trim().is_empty() => {
                bail!(
                    "no prompt provided via stdin: pipe a non-empty prompt or pass it as an argument"
                )
            }
            PromptSource::Stdin => Ok(stdin_text.to_owned()),
        }
    }
}

/// The nearest directory at or above `start` that holds a git repository
/// (as git recognises one: an empty `.git` does not count).
pub fn find_git_root(start: &Path) -> Option<PathBuf> {
    duet_core::config::git_root(start)
}

/// Refuse to run outside a git repository unless told to.
pub fn check_git_repo(cwd: &Path, skip_git_repo_check: bool) -> anyhow::Result<()> {
    if skip_git_repo_check || find_git_root(cwd).is_some() {
        return Ok(());
    }
    bail!("not inside a git repository: run duet in a repository or pass --skip-git-repo-check")
}

/// Read and parse the `--output-schema` file.
pub fn read_output_schema(path: &Path) -> anyhow::Result<serde_json::Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the output schema file `{}`", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "the output schema file `{}` is not valid JSON: fix it or drop --output-schema",
            path.display()
        )
    })
}

/// Check that every `-i` file exists and make its path absolute, so `-C`
/// cannot change what it refers to (`duet_core::image_paths`).
pub fn resolve_images(images: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    duet_core::image_paths(images).map_err(anyhow::Error::msg)
}

/// The one turn `duet exec` submits.
pub fn user_turn(
    prompt: String,
    images: Vec<PathBuf>,
    output_schema: Option<serde_json::Value>,
) -> UserTurn {
    let mut items = vec![UserInput::Text { text: prompt }];
    items.extend(
        images
            .into_iter()
            .map(|path| UserInput::LocalImage { path }),
    );
    UserTurn {
        items,
        output_schema,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    /// Decide, then assemble with `stdin`; errors become their message.
    fn check(argument: Option<&str>, terminal: bool, stdin: &str, expected: Result<&str, &str>) {
        let got = PromptSource::decide(argument, terminal)
            .and_then(|source| source.assemble(stdin))
            .map_err(|error| format!("{error:#}"));
        assert_eq!(got, expected.map(str::to_owned).map_err(str::to_owned));
    }

    #[test]
    fn argument_with_a_terminal_ignores_stdin() {
        check(Some("fix it"), true, "unused", Ok("fix it"));
    }

    #[test]
    fn argument_with_piped_stdin_appends_a_block() {
        check(
            Some("summarise"),
            false,
            "line 1\nline 2\n",
            Ok("summarise\n\n<stdin>\nline 1\nline 2\n</stdin>"),
        );
        // Issue 16, item 19: a newline is added only when the input lacks one.
        check(
            Some("summarise"),
            false,
            "no final newline",
            Ok("summarise\n\n<stdin>\nno final newline\n</stdin>"),
        );
    }

    #[test]
    fn argument_with_empty_piped_stdin_is_the_argument() {
        check(Some("fix it"), false, "", Ok("fix it"));
    }

    #[test]
    fn stdin_prompt_keeps_its_trailing_newline() {
        check(None, false, "fix it\n", Ok("fix it\n"));
        check(Some("-"), false, "fix it\n", Ok("fix it\n"));
    }

    #[test]
    fn empty_stdin_is_an_error() {
        check(
            None,
            false,
            " \n",
            Err("no prompt provided via stdin: pipe a non-empty prompt or pass it as an argument"),
        );
    }

    #[test]
    fn no_prompt_with_a_terminal_is_an_error() {
        check(
            None,
            true,
            "",
            Err("no prompt provided: pass it as an argument, or pipe it on stdin with `-`"),
        );
    }

    #[test]
    fn notices_name_what_is_read() {
        let notices: Vec<_> = [
            PromptSource::Argument("a".into()),
            PromptSource::ArgumentAndStdin("a".into()),
            PromptSource::Stdin,
        ]
        .iter()
        .map(PromptSource::stdin_notice)
        .collect();
        assert_eq!(
            notices,
            [
                None,
                Some("Reading additional input from stdin..."),
                Some("Reading prompt from stdin...")
            ]
        );
    }

    #[test]
    fn git_root_is_found_from_a_subdirectory_and_a_git_file_counts() {
        let temp = tempfile::tempdir().unwrap();
        let repo = temp.path().join("repo");
        std::fs::create_dir_all(repo.join("a/b")).unwrap();
        // A worktree's `.git` is a file.
        std::fs::write(repo.join(".git"), "gitdir: elsewhere\n").unwrap();
        assert_eq!(find_git_root(&repo.join("a/b")), Some(repo.clone()));
        assert_eq!(
            check_git_repo(&repo.join("a"), false).map_err(|e| e.to_string()),
            Ok(())
        );
    }

    #[test]
    fn outside_a_repo_is_refused_unless_skipped() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("plain");
        std::fs::create_dir(&dir).unwrap();
        // The temp dir itself may sit inside a repository on some machines.
        if find_git_root(temp.path()).is_some() {
            eprintln!("skipping: the temp dir is inside a git repository");
            return;
        }
        assert_eq!(
            check_git_repo(&dir, false).map_err(|e| e.to_string()),
            Err("not inside a git repository: run duet in a repository or pass --skip-git-repo-check"
                .to_owned())
        );
        assert_eq!(
            check_git_repo(&dir, true).map_err(|e| e.to_string()),
            Ok(())
        );
    }

    #[test]
    fn output_schema_errors_name_the_file() {
        let temp = tempfile::tempdir().unwrap();
        let missing = temp.path().join("missing.json");
        let bad = temp.path().join("bad.json");
        std::fs::write(&bad, "{ nope").unwrap();
        let good = temp.path().join("good.json");
        std::fs::write(&good, r#"{"type":"object"}"#).unwrap();

        let missing_error = format!("{:#}", read_output_schema(&missing).unwrap_err());
        assert!(
            missing_error.starts_with(&format!(
                "cannot read the output schema file `{}`: ",
                missing.display()
            )),
            "{missing_error}"
        );
        let bad_error = read_output_schema(&bad).unwrap_err().to_string();
        assert_eq!(
            bad_error,
            format!(
                "the output schema file `{}` is not valid JSON: fix it or drop --output-schema",
                bad.display()
            )
        );
        assert_eq!(
            read_output_schema(&good).unwrap(),
            serde_json::json!({"type": "object"})
        );
    }

    #[test]
    fn images_must_exist_and_become_absolute() {
        let temp = tempfile::tempdir().unwrap();
        let image = temp.path().join("a.png");
        std::fs::write(&image, b"png").unwrap();
        assert_eq!(
            resolve_images(std::slice::from_ref(&image)).unwrap(),
            vec![image.clone()]
        );

        let missing = temp.path().join("b.png");
        assert_eq!(
            resolve_images(&[image, missing.clone()])
                .unwrap_err()
                .to_string(),
            format!(
                "image file `{}` does not exist or is not a file: check the -i path",
                missing.display()
            )
        );
    }

    #[test]
    fn user_turn_puts_text_first_then_images() {
        let turn = user_turn(
            "hi".into(),
            vec!["/a.png".into()],
            Some(serde_json::json!({})),
        );
        assert_eq!(
            turn,
            UserTurn {
                items: vec![
                    UserInput::Text { text: "hi".into() },
                    UserInput::LocalImage {
                        path: "/a.png".into()
                    },
                ],
                output_schema: Some(serde_json::json!({})),
            }
        );
    }
}
