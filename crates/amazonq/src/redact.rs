//! `Debug` impls that hide secrets (tokens, client secrets), so logging a
//! credential-bearing value never leaks it.

/// Implements `Debug` for a struct, printing `secret` fields as `"***"` (or
/// `None`) and the `plain` fields normally.
macro_rules! redacted_debug {
    ($ty:ty { $($plain:ident),* } secret { $($secret:ident),* }) => {
        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                let mut s = f.debug_struct(stringify!($ty));
                $( s.field(stringify!($plain), &self.$plain); )*
                $( s.field(stringify!($secret), &$crate::redact::Redacted(&self.$secret)); )*
                s.finish()
            }
        }
    };
}
pub(crate) use redacted_debug;

/// Renders any secret as `***`, keeping `None`/empty visible (useful when
/// debugging "token missing" problems).
pub(crate) struct Redacted<'a, T: ?Sized>(pub &'a T);

pub(crate) trait SecretShape {
    fn is_absent(&self) -> bool;
}

impl SecretShape for String {
    fn is_absent(&self) -> bool {
        self.is_empty()
    }
}

impl SecretShape for Option<String> {
    fn is_absent(&self) -> bool {
        self.as_deref().is_none_or(str::is_empty)
    }
}

impl<T: SecretShape + ?Sized> std::fmt::Debug for Redacted<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_absent() { "<none>" } else { "***" })
    }
}

/// `text` with every occurrence of the given secret values, and any `Bearer <credential>`, replaced
/// by `***`: for upstream messages shown to an operator (`claude-server doctor`), which may echo
/// what was sent. Secrets shorter than 8 characters are ignored (they would blank ordinary words).
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for s in secrets.iter().filter(|s| s.len() >= 8) {
        out = out.replace(s, "***");
    }
    let mut result = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(i) = rest.to_ascii_lowercase().find("bearer ") {
        let (head, tail) = rest.split_at(i + "bearer ".len());
        result.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';'))
            .unwrap_or(tail.len());
        // "bearer token included in the request" is the service's wording, not a credential.
        if end >= 16 {
            result.push_str("***");
        } else {
            result.push_str(&tail[..end]);
        }
        rest = &tail[end..];
    }
    result.push_str(rest);
    result
}

#[cfg(test)]
mod tests {
    use super::scrub;

    #[test]
    fn scrub_blanks_known_secrets_and_bearer_credentials_but_keeps_wording() {
        let text = "token aoaAAAA-secret-1234 refused; header Bearer eyJhbGciOiJIUzI1NiJ9.abc; \
                    The bearer token included in the request is invalid.";
        let out = scrub(text, &["aoaAAAA-secret-1234", "short"]);
        assert_eq!(
            out,
            "token *** refused; header Bearer ***; \
                    The bearer token included in the request is invalid."
        );
    }
}
