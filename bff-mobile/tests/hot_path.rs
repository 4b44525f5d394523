//! The hot path's budgets, deterministic (no clock): heap allocations per screen request and
//! upstream calls per screen, cold (every cache off) and cached (every upstream answer fresh).
//! A change that copies upstream answers again, allocates per call or loses the screen cache
//! fails here; the time these cost is measured in `bench/` (see bench/README.md).
//!
//! Its own test binary: `allocation-counter` replaces the binary's global allocator.

use bff_mobile::Settings;
use demo_upstreams::testing::TestUpstreams;
use shared::hot_path::{ScreenBudget, check_budgets, serve, set_caches};

#[test]
fn screens_stay_within_their_allocation_and_upstream_call_budgets() {
    // The upstreams on their own thread: their allocations are not the BFF's.
    let (_upstream_runtime, upstreams) = TestUpstreams::spawn_on_own_runtime();
    // Budgets: measured when set (in the comment), plus room for library updates, not for a new
    // copy per call.
    let budgets = [
        ScreenBudget {
            name: "product",
            path: |n| format!("/v1/products/p{n:05}"),
            json: None,
            // The product, its offer, rating, reviews and related ids; then the related cards,
            // offers and ratings.
            cold_calls: 8.0,
            // 447.4 and 87.0 (446.5 before the screen was built in a boxed future of its own after
            // the screen cache's lookup; 511.6 before a call's headers were built in one map and
            // the answer's checks ran in one layer; 570.1 before plain-HTTP upstreams had a pool of
            // their own, `shared::upstream::pool`; 649.0 before the traceparent and prices were
            // each built in one string; 721.0 before the product was decoded as its summary and a
            // body in one frame was kept without a copy; 1031.3 before the screen calls left
            // reqwest)
            cold_allocations: 515.0,
            cached_allocations: 100.0,
        },
        ScreenBudget {
            name: "home",
            path: |_| "/v1/home".to_owned(),
            json: None,
            // The featured cards and popular ids; then the popular cards, offers and ratings.
            cold_calls: 5.0,
            // 528.3 and 81.0 (527.3 before the screen was built in a boxed future of its own; 571.4
            // before a call's headers were built in one map and the answer's checks ran in one
            // layer; 609.3 before plain-HTTP upstreams had a pool of their own, 694.3 before the
            // traceparent and prices were each built in one string, 888.4 before the screen calls
            // left reqwest)
            cold_allocations: 605.0,
            cached_allocations: 93.0,
        },
    ];
    check_budgets(
        &budgets,
        "",
        |cached| {
            let mut settings = Settings::defaults().expect("the defaults are valid");
            upstreams.point(&mut settings.upstreams);
            set_caches(&mut settings.upstreams, &mut settings.screen_cache, cached);
            // No token is sent: the provider is never needed (its discovery fails quietly).
            settings.auth.jwt.issuer = "http://127.0.0.1:9".into();
            serve(bff_mobile::build, settings)
        },
        |run| allocation_counter::measure(run).count_total,
        || upstreams.take_hits(),
    );
}
