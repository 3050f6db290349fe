//! Remote images (client doc §1.3 `image_url` with an `http(s)` URL, §2.3 `source.type:"url"`; issue
//! 10 "remote http(s) images fetched with a timeout, size cap and type check, or a 400 when fetching
//! is disabled"). The upstream takes bytes only, so every [`Image::Url`] left by the parsers is
//! replaced by [`Image::Bytes`] here, before normalizing.
//!
//! Checks, in order: fetching enabled (`images.fetch_remote`), status 2xx, declared length and
//! streamed length under `images.max_bytes`, whole fetch within `images.timeout_ms`, and the real
//! format sniffed from the bytes (the `content-type` header is not trusted). Every failure is a
//! 400 naming the message part, never a 500.

use std::sync::OnceLock;
use std::time::Duration;

use futures_util::StreamExt as _;
use translate::image::sniff;
use translate::ir::{ChatRequest, Image, Part, ToolResultPart};

use super::error::ApiError;
use crate::config::ImagesConfig;

fn client() -> Result<&'static reqwest::Client, String> {
    static CLIENT: OnceLock<Option<reqwest::Client>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            amazonq::install_crypto_provider();
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::limited(3))
                .build()
                .ok()
        })
        .as_ref()
        .ok_or_else(|| "the image fetcher could not be set up".to_owned())
}

/// Replaces every remote image URL in `req` by the fetched bytes.
pub async fn resolve(req: &mut ChatRequest, cfg: &ImagesConfig) -> Result<(), ApiError> {
    for (mi, m) in req.messages.iter_mut().enumerate() {
        for (pi, part) in m.parts.iter_mut().enumerate() {
            let path = format!("messages[{mi}].content[{pi}]");
            match part {
                Part::Image(img) => fetch_into(img, cfg, &path).await?,
                Part::ToolResult { content, .. } => {
                    for (ci, c) in content.iter_mut().enumerate() {
                        if let ToolResultPart::Image(img) = c {
                            fetch_into(img, cfg, &format!("{path}.content[{ci}]")).await?;
                        }
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

async fn fetch_into(img: &mut Image, cfg: &ImagesConfig, path: &str) -> Result<(), ApiError> {
    let Image::Url(url) = img else {
        return Ok(());
    };
    if !cfg.fetch_remote {
        return Err(ApiError::invalid(
            Some(path.to_owned()),
            format!("{path}: image URLs are not supported; send the image as base64 data"),
        ));
    }
    let timeout = Duration::from_millis(cfg.timeout_ms);
    let bytes = tokio::time::timeout(timeout, fetch(url, cfg.max_bytes))
        .await
        .map_err(|_| {
            ApiError::invalid(
                Some(path.to_owned()),
                format!("{path}: fetching the image timed out after {timeout:?}"),
            )
        })?
        .map_err(|m| ApiError::invalid(Some(path.to_owned()), format!("{path}: {m}")))?;
    let Some(format) = sniff(&bytes) else {
        return Err(ApiError::invalid(
            Some(path.to_owned()),
            format!("{path}: the URL did not return a png, jpeg, gif or webp image"),
        ));
    };
    *img = Image::Bytes { format, bytes };
    Ok(())
}

async fn fetch(url: &str, max_bytes: u64) -> Result<Vec<u8>, String> {
    let response = client()?
        .get(url)
        .send()
        .await
        .map_err(|e| format!("could not fetch the image: {e}"))?;
    if !response.status().is_success() {
        return Err(format!(
            "fetching the image returned HTTP {}",
            response.status().as_u16()
        ));
    }
    let too_big = || format!("the image is larger than {max_bytes} bytes");
    if response.content_length().is_some_and(|n| n > max_bytes) {
        return Err(too_big());
    }
    let mut out = Vec::new();
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| format!("could not read the image: {e}"))?;
        if (out.len() + chunk.len()) as u64 > max_bytes {
            return Err(too_big());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}
