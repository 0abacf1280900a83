//! Images attached by path: a pasted (or typed) path to an existing PNG,
//! JPEG, GIF or WebP file becomes an image of the next user turn
//! (`UserInput::LocalImage`), shown in the draft as `[image: name.png]`.
//!
//! The placeholder is ordinary text: deleting it drops the image. This
//! module only recognises paths and builds the turn's inputs; reading the
//! file is core's job when the turn is sent.

use duet_protocol::UserInput;
use std::path::{Path, PathBuf};

const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "gif", "webp"];

/// An image in the draft: its placeholder and its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub placeholder: String,
    pub path: PathBuf,
}

/// The image file `text` names, if it is one path (as terminals paste a
/// dragged file: maybe quoted, maybe `file://`, maybe with `\ ` escapes)
/// to an existing image, relative paths taken from `cwd`.
pub fn image_path(text: &str, cwd: &Path) -> Option<PathBuf> {
    let trimmed = text.trim();
    let unquoted = trimmed
        .strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .or_else(|| trimmed.strip_prefix('"').and_then(|t| t.strip_suffix('"')))
        .unwrap_or(trimmed);
    let unprefixed = unquoted.strip_prefix("file://").unwrap_or(unquoted);
    if unprefixed.is_empty() || unprefixed.contains('\n') {
        return None;
    }
    let unescaped = unprefixed.replace("\\ ", " ");
    let path = cwd.join(unescaped);
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    (IMAGE_EXTENSIONS.contains(&extension.as_str()) && path.is_file()).then_some(path)
}

/// The placeholder for `path`, numbered when `taken` already has that name.
pub fn placeholder(path: &Path, taken: &[Attachment]) -> String {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let base = format!("[image: {name}]");
    let mut candidate = base.clone();
    let mut n = 2;
    while taken.iter().any(|a| a.placeholder == candidate) {
        candidate = format!("[image: {name} #{n}]");
        n += 1;
    }
    candidate
}

/// The inputs of a turn: the text, then each attached image whose
/// placeholder is still in it, then images named by a bare path typed in
/// the text.
pub fn turn_inputs(text: &str, attachments: &[Attachment], cwd: &Path) -> Vec<UserInput> {
    let mut images: Vec<PathBuf> = attachments
        .iter()
        .filter(|a| text.contains(&a.placeholder))
        .map(|a| a.path.clone())
        .collect();
    for word in text.split_whitespace() {
        if let Some(path) = image_path(word, cwd)
            && !images.contains(&path)
        {
            images.push(path);
        }
    }
    std::iter::once(UserInput::Text {
        text: text.to_owned(),
    })
    .chain(
        images
            .into_iter()
            .map(|path| UserInput::LocalImage { path }),
    )
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn pasted_paths_to_images_are_recognised() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("shot one.PNG"), b"png").unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"txt").unwrap();
        let image = dir.path().join("shot one.PNG");
        let check = |text: &str| image_path(text, dir.path());
        assert_eq!(check("'shot one.PNG'\n"), Some(image.clone()));
        assert_eq!(check("shot\\ one.PNG"), Some(image.clone()));
        assert_eq!(
            check(&format!("file://{}", image.display())),
            Some(image.clone())
        );
        assert_eq!(check("notes.txt"), None);
        assert_eq!(check("missing.png"), None);
        assert_eq!(check("look at shot one.PNG please"), None);
    }

    #[test]
    fn the_turn_takes_the_images_still_in_the_draft() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.png"), b"png").unwrap();
        std::fs::write(dir.path().join("b.gif"), b"gif").unwrap();
        let a = Attachment {
            placeholder: placeholder(&dir.path().join("a.png"), &[]),
            path: dir.path().join("a.png"),
        };
        let gone = Attachment {
            placeholder: placeholder(&dir.path().join("a.png"), std::slice::from_ref(&a)),
            path: dir.path().join("old.png"),
        };
        assert_eq!(gone.placeholder, "[image: a.png #2]");
        let text = "see [image: a.png] and b.gif";
        assert_eq!(
            turn_inputs(text, &[a, gone], dir.path()),
            vec![
                UserInput::Text {
                    text: text.to_owned()
                },
                UserInput::LocalImage {
                    path: dir.path().join("a.png")
                },
                UserInput::LocalImage {
                    path: dir.path().join("b.gif")
                },
            ]
        );
    }
}
