//! Images from the system clipboard (Ctrl+V): read with the platform's own
//! tool (`wl-paste` on Wayland, `xclip` on X11, `osascript` on macOS),
//! saved as a file under `$DUET_HOME/tmp/clipboard/`, then attached like a
//! pasted image path (`attachments.rs`).
//!
//! The tools run unconfined through `duet_sandbox::host_std_command`: they
//! are the user's own, run at the user's keypress, and only read the
//! clipboard. Each gets a few seconds before it is killed (a clipboard
//! owner that never answers must not freeze the terminal).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// How long a clipboard tool may take.
const TOOL_TIMEOUT: Duration = Duration::from_secs(3);

/// Saved images older than this are removed when the next one is saved
/// (a sent image lives on in the session, which stores its bytes).
const KEEP_SAVED: Duration = Duration::from_secs(24 * 60 * 60);

/// Image types we attach, most preferred first, with their file extension.
const IMAGE_TYPES: &[(&str, &str)] = &[
    ("image/png", "png"),
    ("image/jpeg", "jpg"),
    ("image/gif", "gif"),
    ("image/webp", "webp"),
];

/// Where the clipboard is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `wl-paste` (wl-clipboard).
    Wayland(PathBuf),
    /// `xclip`.
    X11(PathBuf),
    /// `osascript`.
    MacOs(PathBuf),
}

/// The clipboard of this session, from its environment: Wayland when
/// `WAYLAND_DISPLAY` is set, else X11 when `DISPLAY` is; on macOS always.
/// The error says why there is none.
pub fn source(env: &dyn Fn(&str) -> Option<String>) -> Result<Source, String> {
    if cfg!(target_os = "macos") {
        return Ok(Source::MacOs(PathBuf::from("osascript")));
    }
    let set = |name: &str| env(name).is_some_and(|value| !value.is_empty());
    if set("WAYLAND_DISPLAY") {
        Ok(Source::Wayland(PathBuf::from("wl-paste")))
    } else if set("DISPLAY") {
        Ok(Source::X11(PathBuf::from("xclip")))
    } else {
        Err(
            "no clipboard to paste from: neither WAYLAND_DISPLAY nor DISPLAY is set \
             (over SSH, drop or paste the image's path instead)"
                .to_owned(),
        )
    }
}

/// Read the clipboard's image and save it in `dir` (created if need be) as
/// `clipboard-<millis>.<ext>`; the file's path, or why there is none.
/// Images saved there more than a day ago are removed.
pub fn save_image(source: &Source, dir: &Path) -> Result<PathBuf, String> {
    let (bytes, extension) = read_image(source)?;
    std::fs::create_dir_all(dir)
        .map_err(|error| format!("cannot create {}: {error}", dir.display()))?;
    remove_old(dir);
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis());
    let path = dir.join(format!("clipboard-{millis}.{extension}"));
    std::fs::write(&path, bytes)
        .map_err(|error| format!("cannot save the image to {}: {error}", path.display()))?;
    Ok(path)
}

/// Remove `clipboard-*` files in `dir` last modified before
/// [`KEEP_SAVED`] ago; failures only leave a file behind.
fn remove_old(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|metadata| metadata.modified())
            .is_ok_and(|modified| modified.elapsed().is_ok_and(|age| age > KEEP_SAVED));
        if old
            && entry
                .file_name()
                .to_string_lossy()
                .starts_with("clipboard-")
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The clipboard's image bytes and their file extension.
fn read_image(source: &Source) -> Result<(Vec<u8>, &'static str), String> {
    let no_image = || "the clipboard holds no image (PNG, JPEG, GIF or WebP)".to_owned();
    match source {
        Source::Wayland(tool) => {
            let types = run(tool, &["--list-types"])?;
            let (mime, extension) =
                pick_type(&String::from_utf8_lossy(&types)).ok_or_else(no_image)?;
            let bytes = run(tool, &["--no-newline", "--type", mime])?;
            Ok((bytes, extension))
        }
        Source::X11(tool) => {
            let targets = run(tool, &["-selection", "clipboard", "-t", "TARGETS", "-o"]).map_err(
                |error| {
                    if error.contains("exited") {
                        no_image()
                    } else {
                        error
                    }
                },
            )?;
            let (mime, extension) =
                pick_type(&String::from_utf8_lossy(&targets)).ok_or_else(no_image)?;
            let bytes = run(tool, &["-selection", "clipboard", "-t", mime, "-o"])?;
            Ok((bytes, extension))
        }
        Source::MacOs(tool) => {
            let output =
                run(tool, &["-e", "the clipboard as «class PNGf»"]).map_err(|_| no_image())?;
            let bytes = applescript_data(&String::from_utf8_lossy(&output)).ok_or_else(no_image)?;
            Ok((bytes, "png"))
        }
    }
    .and_then(|(bytes, extension)| {
        if bytes.is_empty() {
            Err(no_image())
        } else {
            Ok((bytes, extension))
        }
    })
}

/// The preferred image type among the clipboard's types (one per line).
fn pick_type(types: &str) -> Option<(&'static str, &'static str)> {
    let offered: Vec<&str> = types.lines().map(str::trim).collect();
    IMAGE_TYPES
        .iter()
        .find(|(mime, _)| offered.contains(mime))
        .copied()
}

/// The bytes of AppleScript's `«data PNGf89504E47…»`.
fn applescript_data(output: &str) -> Option<Vec<u8>> {
    let hex = output
        .trim()
        .strip_prefix("«data PNGf")?
        .strip_suffix('»')?;
    if hex.len() % 2 != 0 {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(hex.get(at..at + 2)?, 16).ok())
        .collect()
}

/// Run `tool args…` and return its stdout; an error names the tool and
/// says what to install when it is missing.
fn run(tool: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let name = tool.display();
    let mut child = duet_sandbox::host_std_command(tool)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => format!(
                "`{name}` is not installed: it reads images from the clipboard ({})",
                match tool.file_name().and_then(|n| n.to_str()) {
                    Some("wl-paste") => "package wl-clipboard",
                    Some("xclip") => "package xclip",
                    _ => "part of the system",
                }
            ),
            _ => format!("cannot run `{name}`: {error}"),
        })?;
    // Read on a thread so a full pipe cannot stall the wait below.
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        stdout.read_to_end(&mut bytes).map(|_| bytes)
    });
    let deadline = Instant::now() + TOOL_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`{name}` did not answer within {} s",
                    TOOL_TIMEOUT.as_secs()
                ));
            }
            Err(error) => return Err(format!("cannot wait for `{name}`: {error}")),
        }
    };
    let bytes = reader
        .join()
        .map_err(|_| format!("reading `{name}`'s output failed"))?
        .map_err(|error| format!("reading `{name}`'s output failed: {error}"))?;
    if !status.success() {
        return Err(format!("`{name}` exited with {status}"));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use std::os::unix::fs::PermissionsExt;

    /// A fake clipboard tool: a shell script answering its arguments.
    fn tool(dir: &Path, name: &str, script: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\nfake";

    #[test]
    fn the_source_follows_the_session() {
        if cfg!(target_os = "macos") {
            return;
        }
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_owned())
            }
        };
        assert_eq!(
            source(&env(&[("WAYLAND_DISPLAY", "wayland-0"), ("DISPLAY", ":0")])),
            Ok(Source::Wayland(PathBuf::from("wl-paste")))
        );
        assert_eq!(
            source(&env(&[("WAYLAND_DISPLAY", ""), ("DISPLAY", ":0")])),
            Ok(Source::X11(PathBuf::from("xclip")))
        );
        assert!(
            source(&env(&[]))
                .unwrap_err()
                .contains("neither WAYLAND_DISPLAY nor DISPLAY")
        );
    }

    /// A fake `wl-paste` in `dir` offering text, JPEG and PNG, and giving
    /// [`PNG`] for the PNG (anything else fails).
    fn wl_paste(dir: &Path) -> PathBuf {
        let png = dir.join("image.bin");
        std::fs::write(&png, PNG).unwrap();
        tool(
            dir,
            "wl-paste",
            &format!(
                "case \"$*\" in\n  --list-types) printf 'text/plain\\nimage/jpeg\\nimage/png\\n' ;;\n  \"--no-newline --type image/png\") cat {} ;;\n  *) exit 9 ;;\nesac",
                png.display()
            ),
        )
    }

    #[test]
    fn a_wayland_image_is_saved_with_its_type() {
        let dir = tempfile::tempdir().unwrap();
        let wl_paste = wl_paste(dir.path());
        let saved = save_image(&Source::Wayland(wl_paste), &dir.path().join("out")).unwrap();
        assert_eq!(
            (
                saved.extension().and_then(|e| e.to_str()),
                saved.parent() == Some(&dir.path().join("out")),
                std::fs::read(&saved).unwrap()
            ),
            (Some("png"), true, PNG.to_vec())
        );
    }

    #[test]
    fn images_saved_more_than_a_day_ago_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let wl_paste = wl_paste(dir.path());
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let aged = |name: &str, age: Duration| {
            let path = out.join(name);
            let file = std::fs::File::create(&path).unwrap();
            file.set_modified(std::time::SystemTime::now() - age)
                .unwrap();
            path
        };
        let stale = aged("clipboard-1.png", Duration::from_secs(2 * 24 * 60 * 60));
        let recent = aged("clipboard-2.png", Duration::from_secs(60 * 60));
        let other = aged("notes.txt", Duration::from_secs(2 * 24 * 60 * 60));
        let saved = save_image(&Source::Wayland(wl_paste), &out).unwrap();
        let mut left: Vec<PathBuf> = std::fs::read_dir(&out)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        left.sort();
        let mut expected = vec![recent, other, saved];
        expected.sort();
        assert_eq!(left, expected);
        assert!(!stale.exists());
    }

    #[test]
    fn x11_without_an_image_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let xclip = tool(
            dir.path(),
            "xclip",
            "case \"$*\" in\n  *TARGETS*) printf 'TARGETS\\nUTF8_STRING\\n' ;;\n  *) exit 1 ;;\nesac",
        );
        assert_eq!(
            save_image(&Source::X11(xclip), dir.path()),
            Err("the clipboard holds no image (PNG, JPEG, GIF or WebP)".to_owned())
        );
        // xclip fails outright when the clipboard is empty.
        let empty = tool(dir.path(), "xclip-empty", "exit 1");
        assert_eq!(
            save_image(&Source::X11(empty), dir.path()),
            Err("the clipboard holds no image (PNG, JPEG, GIF or WebP)".to_owned())
        );
    }

    #[test]
    fn a_missing_tool_says_what_to_install() {
        let error = save_image(
            &Source::Wayland(PathBuf::from("/nonexistent/wl-paste")),
            Path::new("/nonexistent"),
        )
        .unwrap_err();
        assert_eq!(
            error,
            "`/nonexistent/wl-paste` is not installed: it reads images from the clipboard \
             (package wl-clipboard)"
        );
    }

    #[test]
    fn a_tool_that_hangs_is_killed() {
        let dir = tempfile::tempdir().unwrap();
        let hang = tool(dir.path(), "wl-paste", "exec sleep 60");
        let started = Instant::now();
        let error = save_image(&Source::Wayland(hang.clone()), dir.path()).unwrap_err();
        assert_eq!(
            error,
            format!("`{}` did not answer within 3 s", hang.display())
        );
        assert!(started.elapsed() < Duration::from_secs(30));
    }

    #[test]
    fn applescript_png_data_is_decoded() {
        assert_eq!(
            applescript_data("«data PNGf89504E470D0A1A0A»\n"),
            Some(b"\x89PNG\r\n\x1a\n".to_vec())
        );
        assert_eq!(applescript_data("«data PNGf8950»"), Some(vec![0x89, 0x50]));
        assert_eq!(applescript_data("«data TIFF4D4D»"), None);
        assert_eq!(applescript_data("«data PNGf895»"), None);
        assert_eq!(applescript_data("«data PNGfZZ»"), None);
    }
}
