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
