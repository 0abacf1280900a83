//! Ctrl+G: the draft in `$VISUAL` (or `$EDITOR`). The text goes to a
//! private temporary file, the TUI lets go of the terminal (the terminal
//! reader pauses, raw mode and the other modes are undone), the editor runs
//! in the foreground, and the file's text comes back as the new draft.
//!
//! [`editor_command`] and [`edit_file`] are plain functions; [`Editor`] is
//! the IO edge the pump calls. The app's side (what is drawn meanwhile) is
//! in `app/extras.rs` and `event_loop.rs`.

use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::watch;

/// The editor to run, split into program and arguments: `$VISUAL`, else
/// `$EDITOR`; a message saying what to set when neither is.
pub fn editor_command(env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<String>, String> {
    let value = ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|name| env(name))
        .find(|value| !value.trim().is_empty())
        .ok_or_else(|| {
            "no editor to open: set `$VISUAL` or `$EDITOR` (for example `export EDITOR=vim`) and press ctrl+g again".to_owned()
        })?;
    Ok(value.split_whitespace().map(str::to_owned).collect())
}

/// Write `text` to `file`, run `command file`, and read the file back.
pub fn edit_file(command: &[String], file: &Path, text: &str) -> Result<String, String> {
    let (program, args) = command
        .split_first()
        .ok_or_else(|| "the editor command is empty: set `$VISUAL` or `$EDITOR`".to_owned())?;
    write_private(file, text)
        .map_err(|error| format!("cannot write `{}` for the editor: {error}", file.display()))?;
    let status = duet_sandbox::host_std_command(program)
        .args(args)
        .arg(file)
        .status()
        .map_err(|error| {
            format!("cannot run the editor `{program}`: {error}; check `$VISUAL` / `$EDITOR`")
        })?;
    let edited = std::fs::read_to_string(file)
        .map_err(|error| format!("cannot read back `{}`: {error}", file.display()));
    let _ = std::fs::remove_file(file);
    if !status.success() {
        return Err(format!(
            "the editor `{program}` exited with {status}; the draft is unchanged"
        ));
    }
    edited
}

/// Write `text` to a new file at `file`, readable by the user alone. What
/// is there already (a file left by an earlier run, or a symlink a
/// confined command planted where `$DUET_HOME/tmp` lies inside a writable
/// root) is removed first, and the file is created exclusively, so the
/// write never follows a link out of the folder.
fn write_private(file: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    match std::fs::remove_file(file) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.create_new(true).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(file)?.write_all(text.as_bytes())
}

/// What the pump needs to hand the terminal to the editor and take it back.
pub struct Editor {
    /// `true` pauses the terminal reader (so it does not eat the editor's
    /// keys); the reader task watches it.
    pub reader_paused: watch::Sender<bool>,
    pub alt_screen: bool,
    /// Where the temporary file goes (`$DUET_HOME/tmp`).
    pub dir: PathBuf,
}

impl Editor {
    /// Edit `text` in a file named after `what` (`prompt`, `compaction`).
    pub async fn edit(&self, text: String, what: &str) -> Result<String, String> {
        let command = editor_command(&|name| std::env::var(name).ok())?;
        let _ = std::fs::create_dir_all(&self.dir);
        let file = self
            .dir
            .join(format!("duet-{what}-{}.md", std::process::id()));
        let _ = self.reader_paused.send(true);
        // Let the reader drop its event stream before the editor reads keys.
        tokio::time::sleep(Duration::from_millis(50)).await;
        crate::terminal::hand_over(self.alt_screen);
        let result = tokio::task::spawn_blocking(move || edit_file(&command, &file, &text))
            .await
            .unwrap_or_else(|error| Err(format!("the editor task failed: {error}")));
        crate::terminal::take_back(self.alt_screen);
        let _ = self.reader_paused.send(false);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn visual_wins_over_editor_and_none_is_explained() {
        let env = |visual: Option<&str>, editor: Option<&str>| {
            let (visual, editor) = (visual.map(str::to_owned), editor.map(str::to_owned));
            editor_command(&move |name| match name {
                "VISUAL" => visual.clone(),
                "EDITOR" => editor.clone(),
                _ => None,
            })
        };
        assert_eq!(
            env(Some("code --wait"), Some("vim")),
            Ok(vec!["code".to_owned(), "--wait".to_owned()])
        );
        assert_eq!(env(Some(" "), Some("nano")), Ok(vec!["nano".to_owned()]));
        assert_eq!(
            env(None, None),
            Err("no editor to open: set `$VISUAL` or `$EDITOR` (for example `export EDITOR=vim`) and press ctrl+g again".to_owned())
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_symlink_is_replaced_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("bashrc");
        std::fs::write(&target, "keep me\n").unwrap();
        let file = dir.path().join("draft.md");
        std::os::unix::fs::symlink(&target, &file).unwrap();
        write_private(&file, "model text").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me\n");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "model text");
        assert!(
            !std::fs::symlink_metadata(&file)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    fn the_edited_file_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("draft.md");
        // `sed -i` stands in for a person editing the file.
        let command = ["sed", "-i", "s/draft/edited prompt/"].map(str::to_owned);
        assert_eq!(
            edit_file(&command, &file, "my draft\n"),
            Ok("my edited prompt\n".to_owned())
        );
        assert!(!file.exists());
        let failing = ["false".to_owned()];
        assert_eq!(
            edit_file(&failing, &file, "x"),
            Err("the editor `false` exited with exit status: 1; the draft is unchanged".to_owned())
        );
    }
}
