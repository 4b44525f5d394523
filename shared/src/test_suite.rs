//! One async test suite run against several backends (feature `test-helpers`), each case its
//! own `#[tokio::test]` so a failure names the case and the backend (`redis_store::…`).

/// Declares, for each `module => backend`, a module holding one `#[tokio::test]` per case that
/// awaits `suite::case(backend)`. `backend` is evaluated inside each test (it may `.await`).
///
/// ```ignore
/// shared::tests_per_backend! {
///     suite: suite,
///     backends: [memory_store => Store::Memory, redis_store => Store::Redis],
///     tests: [a_login_gets_a_new_session_id, an_idle_session_ends],
/// }
/// ```
#[macro_export]
macro_rules! tests_per_backend {
    (
        suite: $suite:ident,
        backends: [$($module:ident => $backend:expr),+ $(,)?],
        tests: $tests:tt $(,)?
    ) => {
        $( $crate::tests_per_backend!(@module $suite, $module, $backend, $tests); )+
    };
    (@module $suite:ident, $module:ident, $backend:expr, [$($test:ident),+ $(,)?]) => {
        mod $module {
            use super::*;
            $(
                #[tokio::test]
                async fn $test() {
                    $suite::$test($backend).await;
                }
            )+
        }
    };
}
