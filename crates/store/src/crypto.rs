//! Encryption at rest for account credentials (issue 7, Storage: "refresh tokens, access tokens and
//! client secrets encrypted at rest").
//!
//! XChaCha20-Poly1305 with a 32-byte key and a fresh random 24-byte nonce per value, so the same
//! token stored twice never yields the same ciphertext. Stored text is `v1:` + base64url(nonce ‖
//! ciphertext ‖ tag); the version prefix lets a later build change algorithm or key without
//! guessing. The column name and row id are bound as associated data, so a ciphertext copied into
//! another row or column fails to decrypt instead of silently swapping credentials.

use std::fmt;
use std::io::Write as _;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::StoreError;

const PREFIX_V1: &str = "v1:";
const NONCE_LEN: usize = 24;
/// Length of the encryption key in bytes.
pub const KEY_LEN: usize = 32;

/// A credential in memory or in configuration. `Debug` never shows the value (`[redacted]`, or
/// `""` when empty, so a log still tells set from unset); read it with [`Secret::expose`]. Serialized
/// as the plain string (configuration files and the encrypted store columns hold the value).
#[derive(Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The plaintext. Named loudly so every use is easy to find in review.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() {
            "\"\""
        } else {
            "[redacted]"
        })
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

/// Anyone who can read the key file can decrypt every stored credential.
fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode();
            if mode & 0o077 != 0 {
                tracing::warn!(
                    path = %path.display(),
                    mode = format!("{:o}", mode & 0o777),
                    "encryption key file is readable by group/others; run chmod 600 on it"
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// The AEAD used for credentials. Cheap to clone; `Debug` does not print the key.
#[derive(Clone)]
pub struct Cipher {
    aead: XChaCha20Poly1305,
}

impl fmt::Debug for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cipher(XChaCha20Poly1305, key=***)")
    }
}

impl Cipher {
    /// A cipher from exactly 32 key bytes.
    pub fn from_key_bytes(key: &[u8]) -> Result<Self, StoreError> {
        if key.len() != KEY_LEN {
            return Err(StoreError::Crypto(format!(
                "encryption key must be {KEY_LEN} bytes, got {}",
                key.len()
            )));
        }
        let aead = XChaCha20Poly1305::new_from_slice(key)
            .map_err(|_| StoreError::Crypto("invalid key length".into()))?;
        Ok(Self { aead })
    }

    /// A cipher from the text form used in config/env and key files: standard base64 of 32 bytes
    /// (whitespace around it ignored).
    pub fn from_base64(text: &str) -> Result<Self, StoreError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|e| StoreError::Crypto(format!("encryption key is not base64: {e}")))?;
        Self::from_key_bytes(&bytes)
    }

    /// A fresh random key in its base64 text form (for `config.example.yaml` and key files).
    pub fn generate_key_base64() -> String {
        STANDARD.encode(XChaCha20Poly1305::generate_key(&mut OsRng))
    }

    /// Loads the key file at `path`, or creates it (mode 0600, parent directories included) with a
    /// new random key when it does not exist. Returns `true` as the second value when the key was
    /// generated now, so the caller can warn loudly that the file must be backed up: without it the
    /// stored credentials cannot be decrypted.
    pub fn load_or_generate(path: &Path) -> Result<(Self, bool), StoreError> {
        match std::fs::read(path) {
            Ok(bytes) => {
                warn_if_readable_by_others(path);
                Ok((Self::from_file_bytes(&bytes)?, false))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate_key_base64();
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent)?;
                }
                let mut options = std::fs::OpenOptions::new();
                // create_new: two processes racing on first start must not overwrite each other's key.
                options.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt as _;
                    options.mode(0o600);
                }
                match options.open(path) {
                    Ok(mut file) => {
                        file.write_all(key.as_bytes())?;
                        file.write_all(b"\n")?;
                        file.sync_all()?;
                        Ok((Self::from_base64(&key)?, true))
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        Ok((Self::from_file_bytes(&std::fs::read(path)?)?, false))
                    }
                    Err(e) => Err(e.into()),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Key files hold base64 text; 32 raw bytes are accepted too.
    fn from_file_bytes(bytes: &[u8]) -> Result<Self, StoreError> {
        if bytes.len() == KEY_LEN {
            return Self::from_key_bytes(bytes);
        }
        let text = std::str::from_utf8(bytes).map_err(|_| {
            StoreError::Crypto("key file is neither 32 raw bytes nor base64".into())
        })?;
        Self::from_base64(text)
    }

    /// Encrypts `plaintext`, binding it to `context` (e.g. `"accounts.refresh_token:<id>"`).
    pub fn encrypt(&self, context: &str, plaintext: &str) -> Result<String, StoreError> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .aead
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Crypto("encryption failed".into()))?;
        let mut blob = Vec::with_capacity(NONCE_LEN + sealed.len());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&sealed);
        Ok(format!("{PREFIX_V1}{}", URL_SAFE_NO_PAD.encode(blob)))
    }

    /// Decrypts a value produced by [`Cipher::encrypt`] with the same `context`.
    pub fn decrypt(&self, context: &str, stored: &str) -> Result<Secret, StoreError> {
        let body = stored
            .strip_prefix(PREFIX_V1)
            .ok_or_else(|| StoreError::Crypto(format!("{context}: unknown ciphertext version")))?;
        let blob = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| StoreError::Crypto(format!("{context}: ciphertext is not base64")))?;
        if blob.len() < NONCE_LEN + 16 {
            return Err(StoreError::Crypto(format!(
                "{context}: ciphertext too short"
            )));
        }
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let plain = self
            .aead
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| {
                StoreError::Crypto(format!(
                    "{context}: cannot decrypt (wrong encryption key or tampered value)"
                ))
            })?;
        String::from_utf8(plain)
            .map(Secret)
            .map_err(|_| StoreError::Crypto(format!("{context}: plaintext is not UTF-8")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher() -> Cipher {
        Cipher::from_key_bytes(&[7u8; KEY_LEN]).unwrap()
    }

    #[test]
    fn round_trip_and_random_nonce() {
        let c = cipher();
        let a = c.encrypt("ctx", "refresh-token-123").unwrap();
        let b = c.encrypt("ctx", "refresh-token-123").unwrap();
        assert_ne!(a, b, "nonce must be random per value");
        assert!(a.starts_with("v1:"));
        assert!(!a.contains("refresh-token-123"));
        assert_eq!(c.decrypt("ctx", &a).unwrap().expose(), "refresh-token-123");
    }

    #[test]
    fn wrong_context_wrong_key_and_tampering_fail() {
        let c = cipher();
        let a = c.encrypt("accounts.refresh_token:1", "tok").unwrap();
        assert!(c.decrypt("accounts.refresh_token:2", &a).is_err());
        let other = Cipher::from_key_bytes(&[8u8; KEY_LEN]).unwrap();
        assert!(other.decrypt("accounts.refresh_token:1", &a).is_err());
        let mut tampered = a.clone();
        tampered.pop();
        tampered.push(if a.ends_with('A') { 'B' } else { 'A' });
        assert!(c.decrypt("accounts.refresh_token:1", &tampered).is_err());
        assert!(c.decrypt("x", "plain").is_err());
    }

    #[test]
    fn bad_key_lengths_rejected() {
        assert!(Cipher::from_key_bytes(&[0u8; 16]).is_err());
        assert!(Cipher::from_base64("not base64!!").is_err());
        assert!(Cipher::from_base64(&Cipher::generate_key_base64()).is_ok());
    }

    #[test]
    fn debug_never_prints_secrets() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(format!("{:?}", Secret::default()), "\"\"");
        assert!(!format!("{:?}", cipher()).contains('7'));
    }

    #[test]
    fn key_file_generated_once_with_private_mode() {
        let dir = std::env::temp_dir().join(format!("store-key-{}", uuid::Uuid::new_v4()));
        let path = dir.join("sub").join("secret.key");
        let (c1, generated) = Cipher::load_or_generate(&path).unwrap();
        assert!(generated);
        let (c2, generated_again) = Cipher::load_or_generate(&path).unwrap();
        assert!(!generated_again);
        let sealed = c1.encrypt("k", "v").unwrap();
        assert_eq!(c2.decrypt("k", &sealed).unwrap().expose(), "v");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
