//! `view_image` and user image attachments: a local file sent as a data URL.

use crate::services::ToolContext;
use base64::Engine;
use duet_model::{ContentItem, FunctionCallOutput};
use serde::Deserialize;
use std::path::Path;

/// Larger images are refused rather than sent: the API rejects them anyway.
const MAX_IMAGE_BYTES: u64 = 20 * 1024 * 1024;

#[derive(Debug, Deserialize)]
struct ViewImageArgs {
    path: String,
}

pub(super) fn view_image(context: ToolContext<'_>, arguments: &str) -> FunctionCallOutput {
    let args: ViewImageArgs = match super::call::parse_arguments("view_image", arguments) {
        Ok(args) => args,
        Err(message) => return FunctionCallOutput::Text(message),
    };
    let path = context.settings.config.cwd.join(&args.path);
    match image_data_url(&path) {
        Ok(image_url) => FunctionCallOutput::Content(vec![ContentItem::InputImage { image_url }]),
        Err(error) => FunctionCallOutput::Text(format!("could not attach the image: {error}")),
    }
}

/// Read an image file into a `data:` URL; the error says what was wrong.
pub(crate) fn image_data_url(path: &Path) -> Result<String, String> {
    let metadata = std::fs::metadata(path)
        .map_err(|error| format!("cannot read `{}`: {error}", path.display()))?;
    if !metadata.is_file() {
        return Err(format!("`{}` is not a file", path.display()));
    }
    if metadata.len() > MAX_IMAGE_BYTES {
        return Err(format!(
            "`{}` is {} bytes; images larger than {MAX_IMAGE_BYTES} bytes are not sent",
            path.display(),
            metadata.len()
        ));
    }
    let bytes = std::fs::read(path)
        .map_err(|error| format!("cannot read `{}`: {error}", path.display()))?;
    let mime = image_mime(&bytes)
        .ok_or_else(|| format!("`{}` is not a PNG, JPEG, GIF or WebP image", path.display()))?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
    Ok(format!("data:{mime};base64,{encoded}"))
}

/// The type of an image from its first bytes (extensions lie).
fn image_mime(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_images_by_content() {
        assert_eq!(image_mime(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(image_mime(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(image_mime(b"GIF89a..."), Some("image/gif"));
        assert_eq!(image_mime(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(image_mime(b"hello"), None);
    }

    #[test]
    fn missing_file_is_a_clear_error() {
        let error = image_data_url(Path::new("/nonexistent/pic.png")).unwrap_err();
        assert_eq!(
            error,
            "cannot read `/nonexistent/pic.png`: No such file or directory (os error 2)"
        );
    }
}
