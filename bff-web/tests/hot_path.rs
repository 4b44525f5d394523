//! The hot path's budgets, deterministic (no clock): heap allocations per screen request and
//! upstream calls per screen, cold (every cache off) and cached (every upstream answer fresh).
//! A change that copies upstream answers again, allocates per call or loses the screen cache
//! fails here; the time these cost is measured in `bench/` (see bench/README.md).
//!
//! Its own test binary: `allocation-counter` replaces the binary's global allocator.

use bff_web::Settings;
use demo_upstreams::testing::TestUpstreams;
use shared::hot_path::{ScreenBudget, check_budgets, serve, set_caches};

#[test]
fn pages_stay_within_their_allocation_and_upstream_call_budgets() {
    // The upstreams on their own thread: their allocations are not the BFF's.
    let (_upstream_runtime, upstreams) = TestUpstreams::spawn_on_own_runtime();
    // Budgets: measured when set (in the comment), plus room for library updates, not for a new
    // copy per call.
    #[cfg_attr(not(feature = "graphql"), allow(unused_mut))]
    let mut budgets = vec![
        ScreenBudget {
            name: "product page",
            path: |n| format!("/api/products/p{n:05}"),
            json: None,
            // The product, its offer, rating, reviews, related ids and the categories; then the
            // related cards, offers and ratings.
            cold_calls: 9.0,
            // 802.3 and 82.0 (801.4 before the page was built in a boxed future of its own after
            // the screen cache's lookup; 872.2 before a call's headers were built in one map and
            // the answer's checks ran in one layer; 942.5 before plain-HTTP upstreams had a pool of
            // their own, 1201.3 before srcset, traceparent and prices were each built in one
            // string, 1607.4 before the screen calls left reqwest)
            cold_allocations: 920.0,
            cached_allocations: 94.0,
        },
        ScreenBudget {
            name: "home page",
            path: |_| "/api/home".to_owned(),
            json: None,
            // The featured cards, popular ids and categories; then the popular cards and the
            // offers and ratings of both shelves.
            cold_calls: 6.0,
            // 1204.5 and 74.0 (1203.5 before the page was built in a boxed future of its own;
            // 1254.3 before a call's headers were built in one map and the answer's checks ran in
            // one layer; 1303.2 before plain-HTTP upstreams had a pool of their own, 1770.8 before
            // srcset, traceparent and prices were each built in one string, 2040.5 before the
            // screen calls left reqwest)
            cold_allocations: 1385.0,
            cached_allocations: 85.0,
        },
    ];
    #[cfg(feature = "graphql")]
    budgets.push(ScreenBudget {
        name: "product page as one GraphQL query",
        path: |_| "/graphql".to_owned(),
        json: Some(product_page_query),
        // The same calls as the REST page, batched by the loaders.
        cold_calls: 9.0,
        // 2211.2 and 1805.0 (2283.3 before a call's headers were built in one map and the answer's
        // checks ran in one layer; 2349.7 before plain-HTTP upstreams had a pool of their own;
        // 2425.9 and 1978.0 before prices in one string and products shared out of the upstream
        // cache). async-graphql's own (a boxed future and a map entry per field, a map per object)
        // are about 1,000 of the cold ones; cached, no screen cache serves a query, and most
        // upstream answers are copied out of the upstream cache.
        cold_allocations: 2540.0,
        cached_allocations: 2100.0,
    });
    check_budgets(
        &budgets,
        "X-CSRF: 1\r\n",
        |cached| {
            let mut settings = Settings::defaults().expect("the defaults are valid");
            upstreams.point(&mut settings.upstreams);
            set_caches(&mut settings.upstreams, &mut settings.screen_cache, cached);
            // Nobody signs in: the provider is never needed (its discovery fails quietly).
            settings.oidc.client.issuer = "http://127.0.0.1:9".into();
            serve(bff_web::build, settings)
        },
        |run| allocation_counter::measure(run).count_total,
        || upstreams.take_hits(),
    );
}

/// The storefront's `ProductPage` operation for product `n`, as the page sends it.
#[cfg(feature = "graphql")]
fn product_page_query(n: u32) -> String {
    // Read from the committed manifest once, not per request.
    static QUERY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        bff_web::graphql::persisted::manifest_body("ProductPage").unwrap()
    });
    let query = QUERY.as_str();
    let variables = serde_json::json!({ "id": format!("p{n:05}") });
    serde_json::json!({ "query": query, "variables": variables }).to_string()
}
