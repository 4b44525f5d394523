//! `Debug` for types that hold a secret, a key or a live handle: [`debug_showing!`] names the
//! fields that may be shown, and the output ends in `..` for the rest. A derive would print them
//! all.

/// Implements `Debug` for the struct `$type`, showing only the fields listed, in that order, and
/// `..` for the others.
///
/// ```
/// struct Credentials {
///     id: String,
///     secret: String,
/// }
/// shared::debug_showing!(Credentials { id });
///
/// let credentials = Credentials { id: "bff-web".into(), secret: "s3cret".into() };
/// assert_eq!(format!("{credentials:?}"), r#"Credentials { id: "bff-web", .. }"#);
/// # let _ = credentials.secret;
/// ```
#[macro_export]
macro_rules! debug_showing {
    ($type:ident { $($field:ident),+ $(,)? }) => {
        impl ::std::fmt::Debug for $type {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(::std::stringify!($type))
                    $(.field(::std::stringify!($field), &self.$field))+
                    .finish_non_exhaustive()
            }
        }
    };
}
