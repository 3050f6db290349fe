//! Remote images (client doc §1.3 `image_url` with an `http(s)` URL, §2.3 `source.type:"url"`; issue
//! 10 "remote http(s) images fetched with a timeout, size cap and type check, or a 400 when fetching
//! is disabled"). The upstream takes bytes only, so every [`Image::Url`] left by the parsers is
//! replaced by [`Image::Bytes`] here, before normalizing.
//!
//! Checks, in order: fetching enabled (`images.fetch_remote`), the destination is a public address
//! on every hop (`image_addr`, unless `images.allow_private_addresses`), status 2xx, declared length
//! and streamed length under `images.max_bytes`, whole fetch within `images.timeout_ms`, and the
//! real format sniffed from the bytes (the `content-type` header is not trusted). Every failure is
//! a 400 naming the message part, never a 500.
//!
//! The filtering client does not use the system proxy: a proxy would resolve and connect on our
//! behalf, out of reach of the address check.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures_util::StreamExt as _;
use translate::image::sniff;
use translate::ir::{ChatRequest, Image, Part, ToolResultPart};

use super::error::ApiError;
use super::image_addr;
use crate::config::ImagesConfig;

/// Redirects followed per image.
const MAX_REDIRECTS: usize = 3;

fn client(allow_private: bool) -> Result<&'static reqwest::Client, String> {
    static FILTERED: OnceLock<Option<reqwest::Client>> = OnceLock::new();
    static OPEN: OnceLock<Option<reqwest::Client>> = OnceLock::new();
    let build = || {
        amazonq::install_crypto_provider();
        let builder = reqwest::Client::builder();
        let builder = if allow_private {
            builder.redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
        } else {
            // Every hop: address literals checked here, names by the resolver.
            let policy = reqwest::redirect::Policy::custom(|attempt| {
                if attempt.previous().len() > MAX_REDIRECTS {
                    return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
                }
                match image_addr::check_url(attempt.url()) {
                    Ok(()) => attempt.follow(),
                    Err(refused) => attempt.error(refused),
                }
            });
            builder
                .redirect(policy)
                .dns_resolver(Arc::new(image_addr::PublicOnly))
                .no_proxy()
        };
        builder.build().ok()
    };
    let cell = if allow_private { &OPEN } else { &FILTERED };
    cell.get_or_init(build)
        .as_ref()
        .ok_or_else(|| "the image fetcher could not be set up".to_owned())
}

/// Replaces every remote image URL in `req` by the fetched bytes.
pub async fn resolve(req: &mut ChatRequest, cfg: &ImagesConfig) -> Result<(), ApiError> {
    for (mi, m) in req.messages.iter_mut().enumerate() {
        for (pi, part) in m.parts.iter_mut().enumerate() {
            // The path names the part in an error; it is built only for image parts (formatting
            // one per text part cost every request an allocation per part).
            let path = || format!("messages[{mi}].content[{pi}]");
            match part {
                Part::Image(img) => fetch_into(img, cfg, &path()).await?,
                Part::ToolResult { content, .. } => {
                    for (ci, c) in content.iter_mut().enumerate() {
                        if let ToolResultPart::Image(img) = c {
                            fetch_into(img, cfg, &format!("{}.content[{ci}]", path())).await?;
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
    let bytes = tokio::time::timeout(timeout, fetch(url, cfg))
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

async fn fetch(url: &str, cfg: &ImagesConfig) -> Result<Vec<u8>, String> {
    let max_bytes = cfg.max_bytes;
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("invalid image URL: {e}"))?;
    if !cfg.allow_private_addresses {
        image_addr::check_url(&parsed).map_err(|r| r.0)?;
    }
    let response = client(cfg.allow_private_addresses)?
        .get(parsed)
        .send()
        .await
        .map_err(|e| match refusal_in(&e) {
            Some(refused) => refused.0.clone(),
            None => format!("could not fetch the image: {e}"),
        })?;
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

/// The address refusal behind a fetch error (from the resolver or the redirect policy), if any.
fn refusal_in(err: &reqwest::Error) -> Option<&image_addr::Refused> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(r) = e.downcast_ref::<image_addr::Refused>() {
            return Some(r);
        }
        source = e.source();
    }
    None
}
