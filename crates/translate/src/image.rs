//! Client image references → [`Image`] (client doc §1.3 `image_url`, §2.3 `image`; protocol R18).
//!
//! `data:` URLs and base64 sources are checked here (format png/jpeg/gif/webp, valid base64); remote
//! `http(s)` URLs are kept as [`Image::Url`] for the gateway to fetch (it owns the I/O, timeout and size
//! cap) before normalizing.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::{Result, TranslateError};
use crate::ir::{Image, ImageFormat};

/// Parses an OpenAI `image_url.url` / Anthropic `source.url`.
pub fn from_url(url: &str, path: &str) -> Result<Image> {
    let url = url.trim();
    if let Some(rest) = url.strip_prefix("data:") {
        let Some((meta, data)) = rest.split_once(',') else {
            return Err(TranslateError::invalid(
                path,
                format!("{path}: malformed data URL"),
            ));
        };
        let mut fields = meta.split(';');
        let media = fields.next().unwrap_or_default();
        if !fields.any(|f| f.eq_ignore_ascii_case("base64")) {
            return Err(TranslateError::invalid(
                path,
                format!("{path}: data URLs must be base64-encoded"),
            ));
        }
        return from_base64(media, data, path);
    }
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Ok(Image::Url(url.to_owned()));
    }
    Err(TranslateError::invalid(
        path,
        format!("{path}: expected a data: URL or an http(s) URL"),
    ))
}

/// Validates base64 image data with a declared media type.
pub fn from_base64(media_type: &str, data: &str, path: &str) -> Result<Image> {
    let format = ImageFormat::from_media_type(media_type).ok_or_else(|| {
        TranslateError::invalid(
            path,
            format!("{path}: unsupported image type `{media_type}`; use image/png, image/jpeg, image/gif or image/webp"),
        )
    })?;
    let data: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if data.is_empty() || STANDARD.decode(&data).is_err() {
        return Err(TranslateError::invalid(
            path,
            format!("{path}: image data is not valid base64"),
        ));
    }
    Ok(Image::Base64 { format, data })
}

/// Largest base64 image the upstream takes (kiro-2026-endpoints.md §7: "image exceeds 5 MB
/// maximum: 6714372 bytes > 5242880").
pub const MAX_IMAGE_BASE64_BYTES: usize = 5_242_880;

/// Length of the standard (padded) base64 encoding of `n` bytes.
pub fn base64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

/// Refuses an image whose base64 is over [`MAX_IMAGE_BASE64_BYTES`], naming the message part.
pub fn check_base64_len(len: usize, path: &str) -> Result<()> {
    if len > MAX_IMAGE_BASE64_BYTES {
        return Err(TranslateError::invalid(
            path,
            format!("{path}: image exceeds 5 MB maximum: {len} bytes > {MAX_IMAGE_BASE64_BYTES}"),
        ));
    }
    Ok(())
}

/// Sniffs the format of fetched bytes (the gateway uses it to check a remote image's real type).
pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(ImageFormat::Gif)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(ImageFormat::Webp)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_url_png() {
        let img = from_url("data:image/png;base64,iVBORw0KGgo=", "x").unwrap();
        assert_eq!(
            img,
            Image::Base64 {
                format: ImageFormat::Png,
                data: "iVBORw0KGgo=".into()
            }
        );
    }

    #[test]
    fn rejects_svg_and_bad_base64() {
        let e = from_url(
            "data:image/svg+xml;base64,PHN2Zz4=",
            "messages[0].content[1].image_url.url",
        )
        .unwrap_err();
        assert_eq!(e.param(), Some("messages[0].content[1].image_url.url"));
        assert!(from_base64("image/png", "@@@", "p").is_err());
        assert!(from_url("ftp://x/y.png", "p").is_err());
    }

    #[test]
    fn http_url_kept_for_gateway() {
        assert_eq!(
            from_url("https://e.x/a.png", "p").unwrap(),
            Image::Url("https://e.x/a.png".into())
        );
    }

    #[test]
    fn sniffs_magic_numbers() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(ImageFormat::Png));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(ImageFormat::Webp));
        assert_eq!(sniff(b"<svg"), None);
    }

    /// A request whose `index`-th user part is an image of `len` base64 bytes ("A" repeated).
    fn normalize_image(b64_len: usize) -> crate::Result<()> {
        use crate::ir::{ChatRequest, Dialect, Message, Part, Role};
        let img = Image::Base64 {
            format: ImageFormat::Png,
            data: "A".repeat(b64_len),
        };
        let req = ChatRequest {
            dialect: Dialect::Anthropic,
            model: "claude-sonnet-4-5".into(),
            system: Vec::new(),
            messages: vec![
                Message::text(Role::User, "first"),
                Message::text(Role::Assistant, "ok"),
                Message::new(
                    Role::User,
                    vec![Part::Text("look".into()), Part::Image(img)],
                ),
            ],
            tools: Vec::new(),
            tool_choice: crate::ir::ToolChoice::Auto,
            thinking: None,
            max_tokens: Some(10),
            stop: Vec::new(),
            response_format: crate::ir::ResponseFormat::Text,
            stream: false,
            include_usage: false,
            metadata: crate::ir::Metadata::default(),
        };
        let model = crate::models::ModelTable::default().resolve(&req.model)?;
        let opts = crate::normalize::UpstreamOptions {
            // The decoded-size cap of R18 must not be what refuses it.
            image_limits: crate::normalize::ImageLimits {
                max_bytes: usize::MAX,
                ..Default::default()
            },
            ..Default::default()
        };
        crate::normalize::normalize(&req, &model, &opts).map(|_| ())
    }

    #[test]
    fn images_over_5_mib_of_base64_are_refused_naming_the_part() {
        assert!(normalize_image(MAX_IMAGE_BASE64_BYTES).is_ok());
        let e = normalize_image(MAX_IMAGE_BASE64_BYTES + 4).unwrap_err();
        assert_eq!(e.param(), Some("messages[2].content[1]"));
        assert_eq!(
            e.to_string(),
            "messages[2].content[1]: image exceeds 5 MB maximum: 5242884 bytes > 5242880"
        );
        assert_eq!(base64_len(3), 4);
        assert_eq!(base64_len(4), 8);
        assert!(check_base64_len(base64_len(3_932_160), "p").is_ok());
        assert!(check_base64_len(base64_len(3_932_161), "p").is_err());
    }
}
