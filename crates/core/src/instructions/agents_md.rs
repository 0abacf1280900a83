//! AGENTS.md discovery: the global file in `$DUET_HOME`, then one file per
//! directory from the project root down to the cwd, rendered as the text
//! part of the user message that precedes the first prompt.
//!
//! The rendering is byte-compatible with the reference. The budget is not:
//! when the project files exceed `project_doc_max_bytes` we keep the files
//! nearest the cwd (the most specific rules) and drop from the root side,
//! and we say so in a warning instead of truncating silently.
//!
//! Files are read once, when asked; nothing here watches for edits.

use crate::config::Config;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Names tried in every directory before `project_doc_fallback_filenames`.
const OVERRIDE_FILENAME: &str = "AGENTS.override.md";
const DEFAULT_FILENAME: &str = "AGENTS.md";
const PROJECT_DOC_SEPARATOR: &str = "\n\n--- project-doc ---\n\n";

/// The instructions found for a session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AgentsDoc {
    /// The whole text part of the user message, `None` when no file was found.
    pub text: Option<String>,
    /// The files whose text is in `text` (whole or cut), global first, then
    /// from the project root down.
    pub files: Vec<PathBuf>,
    /// Budget cuts and unreadable files, for the user.
    pub warnings: Vec<String>,
}

pub(crate) fn load_agents_md(config: &Config) -> AgentsDoc {
    let mut doc = AgentsDoc::default();
    let global = first_non_empty(
        &config.duet_home,
        &[OVERRIDE_FILENAME, DEFAULT_FILENAME],
        &mut doc.warnings,
    );

    let mut project = Vec::new();
    // A zero budget switches project docs off, as in the reference.
    if config.project_doc_max_bytes > 0 {
        let mut names = vec![OVERRIDE_FILENAME, DEFAULT_FILENAME];
        for name in &config.project_doc_fallback_filenames {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
        for dir in project_dirs(&config.cwd, &config.project_root_markers) {
            if let Some(file) = first_non_empty(&dir, &names, &mut doc.warnings) {
                project.push(file);
            }
        }
        let (kept, warning) = fit_budget(project, config.project_doc_max_bytes);
        doc.warnings.extend(warning);
        project = kept;
    }

    let global_text = global.as_ref().map(|file| file.text.trim());
    let project_text = (!project.is_empty()).then(|| {
        project
            .iter()
            .map(|file| file.text.as_str())
            .collect::<Vec<_>>()
            .join("\n\n")
    });
    let contents = match (global_text, project_text) {
        (Some(global), Some(project)) => format!("{global}{PROJECT_DOC_SEPARATOR}{project}"),
        (Some(global), None) => global.to_string(),
        (None, Some(project)) => project,
        (None, None) => return doc,
    };
    doc.text = Some(format!(
        "# AGENTS.md instructions for {}\n\n<INSTRUCTIONS>\n{contents}\n</INSTRUCTIONS>",
        config.cwd.display()
    ));
    doc.files = global
        .into_iter()
        .chain(project)
        .map(|file| file.path)
        .collect();
    doc
}

#[derive(Debug)]
struct DocFile {
    path: PathBuf,
    text: String,
}

/// The first of `names` in `dir` that is a file with non-blank text.
fn first_non_empty(dir: &Path, names: &[&str], warnings: &mut Vec<String>) -> Option<DocFile> {
    for name in names {
        let path = dir.join(name);
        if !path.is_file() {
            continue;
        }
        match fs::read(&path) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                if !text.trim().is_empty() {
                    return Some(DocFile { path, text });
                }
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => warnings.push(format!(
                "cannot read `{}`: {error}; it is left out of the instructions",
                path.display()
            )),
        }
    }
    None
}

/// The directories from the project root down to `cwd`. The root is the
/// nearest ancestor (or `cwd` itself) holding one of `markers`; with none,
/// only `cwd`.
fn project_dirs(cwd: &Path, markers: &[String]) -> Vec<PathBuf> {
    let mut chain = Vec::new();
    for dir in cwd.ancestors() {
        chain.push(dir.to_path_buf());
        if markers.iter().any(|marker| is_marker(dir, marker)) {
            chain.reverse();
            return chain;
        }
    }
    vec![cwd.to_path_buf()]
}

/// Whether `dir` holds `marker`; `.git` counts only as a repository git
/// would recognise (an empty `.git` left in `/tmp` must not make every
/// folder below it one project).
fn is_marker(dir: &Path, marker: &str) -> bool {
    if marker == ".git" {
        return crate::git_info::holds_repository(dir);
    }
    dir.join(marker).exists()
}

/// Keeps the files nearest the cwd within `max_bytes`, dropping whole files
/// from the root side; the nearest file alone too big keeps its head, cut
/// at a line (or character) boundary. Returns the kept files, root first,
/// and a warning when anything was dropped or cut.
fn fit_budget(files: Vec<DocFile>, max_bytes: usize) -> (Vec<DocFile>, Option<String>) {
    let total: usize = files.iter().map(|file| file.text.len()).sum();
    if total <= max_bytes {
        return (files, None);
    }
    let mut remaining = max_bytes;
    let mut kept = Vec::new();
    let mut lost = Vec::new();
    let mut over = false;
    for mut file in files.into_iter().rev() {
        let size = file.text.len();
        if !over && size <= remaining {
            remaining -= size;
            kept.push(file);
            continue;
        }
        if !over && kept.is_empty() {
            let head_len = head_boundary(&file.text, remaining);
            if head_len > 0 {
                file.text.truncate(head_len);
                lost.push(format!(
                    "cut `{}` to its first {head_len} of {size} bytes",
                    file.path.display()
                ));
                kept.push(file);
                over = true;
                continue;
            }
        }
        over = true;
        lost.push(format!("dropped `{}` ({size} bytes)", file.path.display()));
    }
    kept.reverse();
    // Report root first, like the files appear in the prompt.
    lost.reverse();
    let warning = format!(
        "project AGENTS.md files total {total} bytes, over the `project_doc_max_bytes` budget of {max_bytes}: {}; \
the files nearest the working directory were kept; to load them all, set `project_doc_max_bytes = {total}` in config.toml or pass `-c project_doc_max_bytes={total}`",
        lost.join(", ")
    );
    (kept, Some(warning))
}

/// The length of the longest head of `text` within `max_bytes` that ends
/// after a newline, or, when the first line alone is too long, at a
/// character boundary.
fn head_boundary(text: &str, max_bytes: usize) -> usize {
    let mut end = max_bytes.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    match text[..end].rfind('\n') {
        Some(newline) => newline + 1,
        None => end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use tempfile::TempDir;

    /// A fake `$DUET_HOME` and a repository `repo/` (with `.git`) in a temp dir.
    struct Tree {
        _temp: TempDir,
        base: PathBuf,
    }

    impl Tree {
        /// `files` are paths relative to the temp dir: `home/...` is the
        /// duet home, `repo/...` the project.
        fn new(files: &[(&str, &str)]) -> Tree {
            let temp = TempDir::new().unwrap();
            let base = temp.path().canonicalize().unwrap();
            fs::create_dir_all(base.join("home")).unwrap();
            fs::create_dir_all(base.join("repo/.git")).unwrap();
            fs::write(base.join("repo/.git/HEAD"), "ref: refs/heads/main\n").unwrap();
            for (path, text) in files {
                let path = base.join(path);
                fs::create_dir_all(path.parent().unwrap()).unwrap();
                fs::write(path, text).unwrap();
            }
            Tree { _temp: temp, base }
        }

        fn config(&self, cwd: &str) -> Config {
            let cwd = self.base.join(cwd);
            fs::create_dir_all(&cwd).unwrap();
            Config::defaults(self.base.join("home"), cwd)
        }

        fn path(&self, relative: &str) -> PathBuf {
            self.base.join(relative)
        }

        /// The doc with the temp dir shown as `<tmp>`.
        fn load(&self, config: &Config) -> AgentsDoc {
            let doc = load_agents_md(config);
            let base = self.base.display().to_string();
            AgentsDoc {
                text: doc.text.map(|text| text.replace(&base, "<tmp>")),
                files: doc.files,
                warnings: doc
                    .warnings
                    .into_iter()
                    .map(|w| w.replace(&base, "<tmp>"))
                    .collect(),
            }
        }
    }

    const ROOT: &str = "# Root rules\nROOT-AGENTS-MARKER: always run tests.\n";
    const SUB: &str = "# Sub rules\nSUB-AGENTS-MARKER: use tabs in sub/.\n";
    const GLOBAL: &str = "GLOBAL-AGENTS-MARKER from CODEX_HOME\n";

    #[test]
    fn reference_example_byte_for_byte() {
        let tree = Tree::new(&[
            ("home/AGENTS.md", GLOBAL),
            ("repo/AGENTS.md", ROOT),
            ("repo/sub/AGENTS.md", SUB),
        ]);
        let doc = tree.load(&tree.config("repo/sub/deeper"));
        let expected = "# AGENTS.md instructions for <tmp>/repo/sub/deeper

<INSTRUCTIONS>
GLOBAL-AGENTS-MARKER from CODEX_HOME

--- project-doc ---

# Root rules
ROOT-AGENTS-MARKER: always run tests.


# Sub rules
SUB-AGENTS-MARKER: use tabs in sub/.

</INSTRUCTIONS>";
        assert_eq!(
            doc,
            AgentsDoc {
                text: Some(expected.to_string()),
                files: vec![
                    tree.path("home/AGENTS.md"),
                    tree.path("repo/AGENTS.md"),
                    tree.path("repo/sub/AGENTS.md"),
                ],
                warnings: vec![],
            }
        );
    }

    #[test]
    fn without_a_global_file_there_is_no_separator() {
        let tree = Tree::new(&[("repo/AGENTS.md", ROOT)]);
        let doc = tree.load(&tree.config("repo"));
        assert_eq!(
            doc.text.as_deref(),
            Some(
                "# AGENTS.md instructions for <tmp>/repo\n\n<INSTRUCTIONS>\n# Root rules\nROOT-AGENTS-MARKER: always run tests.\n\n</INSTRUCTIONS>"
            )
        );
        assert_eq!(doc.files, vec![tree.path("repo/AGENTS.md")]);
    }

    #[test]
    fn global_only_is_trimmed() {
        let tree = Tree::new(&[("home/AGENTS.md", "\n  be kind \n\n")]);
        let doc = tree.load(&tree.config("repo"));
        assert_eq!(
            doc,
            AgentsDoc {
                text: Some(
                    "# AGENTS.md instructions for <tmp>/repo\n\n<INSTRUCTIONS>\nbe kind\n</INSTRUCTIONS>"
                        .to_string()
                ),
                files: vec![tree.path("home/AGENTS.md")],
                warnings: vec![],
            }
        );
    }

    #[test]
    fn nothing_found_gives_no_text() {
        let tree = Tree::new(&[("home/AGENTS.md", "  \n")]);
        assert_eq!(tree.load(&tree.config("repo")), AgentsDoc::default());
    }

    #[test]
    fn override_files_win_and_blank_ones_do_not() {
        let tree = Tree::new(&[
            ("home/AGENTS.md", "global"),
            ("home/AGENTS.override.md", "global override"),
            ("repo/AGENTS.md", "root"),
            ("repo/AGENTS.override.md", "root override"),
            ("repo/sub/AGENTS.md", "sub"),
            ("repo/sub/AGENTS.override.md", "\n\n"),
        ]);
        let doc = tree.load(&tree.config("repo/sub"));
        assert_eq!(
            doc.text.as_deref(),
            Some(
                "# AGENTS.md instructions for <tmp>/repo/sub\n\n<INSTRUCTIONS>\nglobal override\n\n--- project-doc ---\n\nroot override\n\nsub\n</INSTRUCTIONS>"
            )
        );
        assert_eq!(
            doc.files,
            vec![
                tree.path("home/AGENTS.override.md"),
                tree.path("repo/AGENTS.override.md"),
                tree.path("repo/sub/AGENTS.md"),
            ]
        );
    }

    #[test]
    fn fallback_filenames_come_after_agents_md() {
        let tree = Tree::new(&[
            ("repo/CLAUDE.md", "root claude"),
            ("repo/sub/AGENTS.md", "sub agents"),
            ("repo/sub/CLAUDE.md", "sub claude"),
        ]);
        let mut config = tree.config("repo/sub");
        assert_eq!(
            tree.load(&config).files,
            vec![tree.path("repo/sub/AGENTS.md")]
        );
        config.project_doc_fallback_filenames = vec!["CLAUDE.md".to_string()];
        assert_eq!(
            tree.load(&config).files,
            vec![tree.path("repo/CLAUDE.md"), tree.path("repo/sub/AGENTS.md")]
        );
    }

    #[test]
    fn files_below_the_cwd_are_not_read() {
        let tree = Tree::new(&[("repo/AGENTS.md", "root"), ("repo/sub/AGENTS.md", "sub")]);
        assert_eq!(
            tree.load(&tree.config("repo")).files,
            vec![tree.path("repo/AGENTS.md")]
        );
    }

    #[test]
    fn without_a_marker_only_the_cwd_counts() {
        let tree = Tree::new(&[
            ("plain/AGENTS.md", "parent"),
            ("plain/pyproject.toml", ""),
            ("plain/inner/AGENTS.md", "inner"),
        ]);
        let doc = tree.load(&tree.config("plain/inner"));
        assert_eq!(doc.files, vec![tree.path("plain/inner/AGENTS.md")]);
        // Another marker makes `plain` the root.
        let mut config = tree.config("plain/inner");
        config.project_root_markers = vec![".git".to_string(), "pyproject.toml".to_string()];
        let doc = tree.load(&config);
        assert_eq!(
            doc.files,
            vec![
                tree.path("plain/AGENTS.md"),
                tree.path("plain/inner/AGENTS.md")
            ]
        );
    }

    #[test]
    fn over_budget_drops_root_side_files_whole() {
        let tree = Tree::new(&[
            ("home/AGENTS.md", "global stays outside the budget"),
            ("repo/AGENTS.md", "root: 20 bytes long\n"),
            ("repo/a/AGENTS.md", "a: 10 b.\n\n"),
            ("repo/a/b/AGENTS.md", "b: 10 b..\n"),
        ]);
        let mut config = tree.config("repo/a/b");
        config.project_doc_max_bytes = 25;
        assert_eq!(
            tree.load(&config),
            AgentsDoc {
                text: Some(
                    "# AGENTS.md instructions for <tmp>/repo/a/b\n\n<INSTRUCTIONS>\nglobal stays outside the budget\n\n--- project-doc ---\n\na: 10 b.\n\n\n\nb: 10 b..\n\n</INSTRUCTIONS>"
                        .to_string()
                ),
                files: vec![
                    tree.path("home/AGENTS.md"),
                    tree.path("repo/a/AGENTS.md"),
                    tree.path("repo/a/b/AGENTS.md"),
                ],
                warnings: vec![
                    "project AGENTS.md files total 40 bytes, over the `project_doc_max_bytes` budget of 25: dropped `<tmp>/repo/AGENTS.md` (20 bytes); \
the files nearest the working directory were kept; to load them all, set `project_doc_max_bytes = 40` in config.toml or pass `-c project_doc_max_bytes=40`"
                        .to_string()
                ],
            }
        );
    }

    #[test]
    fn a_nearest_file_too_big_alone_keeps_its_head_to_a_line() {
        let tree = Tree::new(&[
            ("repo/AGENTS.md", "root\n"),
            ("repo/sub/AGENTS.md", "line one\nline two\nline three\n"),
        ]);
        let mut config = tree.config("repo/sub");
        config.project_doc_max_bytes = 22;
        let doc = tree.load(&config);
        assert_eq!(
            doc,
            AgentsDoc {
                text: Some(
                    "# AGENTS.md instructions for <tmp>/repo/sub\n\n<INSTRUCTIONS>\nline one\nline two\n\n</INSTRUCTIONS>"
                        .to_string()
                ),
                files: vec![tree.path("repo/sub/AGENTS.md")],
                warnings: vec![
                    "project AGENTS.md files total 34 bytes, over the `project_doc_max_bytes` budget of 22: dropped `<tmp>/repo/AGENTS.md` (5 bytes), \
cut `<tmp>/repo/sub/AGENTS.md` to its first 18 of 29 bytes; the files nearest the working directory were kept; \
to load them all, set `project_doc_max_bytes = 34` in config.toml or pass `-c project_doc_max_bytes=34`"
                        .to_string()
                ],
            }
        );
    }

    #[test]
    fn head_boundary_prefers_lines_then_characters() {
        assert_eq!(head_boundary("ab\ncd\nef", 7), 6);
        assert_eq!(head_boundary("abcdef", 4), 4);
        // "é" is two bytes: never split it.
        assert_eq!(head_boundary("aé", 2), 1);
        assert_eq!(head_boundary("short", 100), 5);
    }

    #[test]
    fn a_zero_budget_switches_project_docs_off() {
        let tree = Tree::new(&[("repo/AGENTS.md", "root")]);
        let mut config = tree.config("repo");
        config.project_doc_max_bytes = 0;
        assert_eq!(tree.load(&config), AgentsDoc::default());
    }
}
