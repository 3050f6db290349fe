//! Admin password hashing: argon2id PHC strings (argon2 0.5 defaults, m=19456 KiB, t=2, p=1).
//! Hashing and verification run on the blocking pool: they take tens of milliseconds of CPU on
//! purpose and must not stall the async workers.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use subtle::ConstantTimeEq as _;

use crate::error::Error;

/// The seed password of the original design; valid until changed, reported as must-change.
pub const DEFAULT_ADMIN_PASSWORD: &str = "admin";

/// Shortest accepted new password.
pub const MIN_PASSWORD_LEN: usize = 8;

/// Hashes `password` into a PHC string.
pub async fn hash(password: String) -> Result<String, Error> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng))
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| Error::Internal(format!("password hashing task failed: {e}")))?
}

/// Checks `password` against the stored hash (`None` = the seed default is in force).
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, Error> {
    let Some(stored) = stored else {
        return Ok(bool::from(
            password.as_bytes().ct_eq(DEFAULT_ADMIN_PASSWORD.as_bytes()),
        ));
    };
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&stored)
            .map_err(|e| Error::Internal(format!("stored admin password hash is invalid: {e}")))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|e| Error::Internal(format!("password check task failed: {e}")))?
}

/// Rules for a new admin password.
pub fn validate_new(old: &str, new: &str) -> Result<(), Error> {
    if new.chars().count() < MIN_PASSWORD_LEN {
        return Err(Error::field(
            "new_password",
            format!("must be at least {MIN_PASSWORD_LEN} characters"),
        ));
    }
    if new == DEFAULT_ADMIN_PASSWORD || new == old {
        return Err(Error::field(
            "new_password",
            "must differ from the old and the default password",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let h = hash("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify("correct horse".into(), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("wrong".into(), Some(h)).await.unwrap());
        assert!(verify("admin".into(), None).await.unwrap());
        assert!(!verify("admin2".into(), None).await.unwrap());
    }

    #[test]
    fn new_password_rules() {
        assert!(validate_new("admin", "short").is_err());
        assert!(validate_new("admin", "admin").is_err());
        assert!(validate_new("longenough1", "longenough1").is_err());
        assert!(validate_new("admin", "longenough1").is_ok());
    }
}
