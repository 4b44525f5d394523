//! The core session tests, run against both session stores: the in-process memory store and a
//! real `redis-server` started for each test.

use std::time::Duration;

use crate::helpers::{Options, Store, cart_lines, spawn_with, spawn_with_store, unix_now};

/// Eight hours, the default absolute timeout, in seconds.
const EIGHT_HOURS: u64 = 8 * 3600;

mod suite {
    use super::*;

    pub async fn the_full_web_login_flow_signs_ada_in_and_out(store: Store) {
        let app = spawn_with_store(store).await;
        let browser = &app.browser;

        let anonymous = browser.get("/auth/session").await;
        anonymous.assert_problem(401);

        let callback = browser.login_to("/cart").await;
        assert_eq!(callback.status, 302, "{}", callback.body);
        assert_eq!(callback.location(), format!("{}/cart", app.address));
        let id = browser.session_id().expect("a session cookie");
        assert_eq!(
            callback.set_cookie("session"),
            Some(format!("session={id}; Path=/; HttpOnly; SameSite=Strict").as_str())
        );
        assert_eq!(
            callback.set_cookie("login"),
            Some("login=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
        );
        assert_eq!(browser.cookie("login"), None, "the login cookie is gone");
        let tokens = app.tokens_of(&id).await;

        let session = browser.get("/auth/session").await;
        assert_eq!(session.status, 200, "{}", session.body);
        assert_eq!(session.cache_control(), "no-store");
        let body = session.json();
        assert_eq!(
            body["user"],
            serde_json::json!({"sub": "demo-user-1", "name": "Ada Lovelace",
                "email": "ada@example.test"})
        );
        let expires_at = body["expires_at"].as_u64().unwrap();
        let now = unix_now();
        assert!(
            (now + EIGHT_HOURS - 5..=now + EIGHT_HOURS + 1).contains(&expires_at),
            "{expires_at}"
        );

        let added = browser.add_to_cart("p00001", 2).await;
        assert_eq!(added.status, 200, "{}", added.body);
        let added = browser.add_to_cart("p00002", 1).await;
        let lines = cart_lines(&added.json());
        assert_eq!(lines, [("p00001".to_owned(), 2), ("p00002".to_owned(), 1)]);
        let removed = browser.delete("/api/cart/items/p00001").await;
        assert_eq!(removed.status, 200, "{}", removed.body);
        assert_eq!(cart_lines(&removed.json()), [("p00002".to_owned(), 1)]);
        let cart = browser.get("/api/cart").await;
        assert_eq!(cart_lines(&cart.json()), [("p00002".to_owned(), 1)]);
        assert_eq!(cart.cache_control(), "private, no-store");

        let logout = browser.logout().await;
        assert_eq!(logout.status, 200, "{}", logout.body);
        assert_eq!(
            logout.set_cookie("session"),
            Some("session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
        );
        let logout_url = logout.json()["logout_url"].as_str().unwrap().to_owned();
        assert!(
            logout_url.starts_with(&format!("{}/end_session?", app.idp.url())),
            "{logout_url}"
        );

        browser.get("/auth/session").await.assert_problem(401);
        browser.get("/api/cart").await.assert_problem(401);
        // The old cookie, replayed, leads nowhere: the session is gone server-side.
        browser.plant_cookie(&format!("session={id}"));
        browser.get("/auth/session").await.assert_problem(401);
        browser.get("/api/cart").await.assert_problem(401);
        assert!(app.stored_session(&id).await.is_none());

        for reply in browser.seen() {
            let text = reply.text();
            for token in &tokens {
                assert!(!text.contains(token.as_str()), "a token in {text}");
            }
        }
        let authorizations = app.accounts_authorizations();
        assert_eq!(authorizations.len(), 4, "add, add, remove, cart");
        for authorization in authorizations {
            assert_eq!(authorization, format!("Bearer {}", tokens[0]));
        }
        for (name, service) in app.services() {
            for request in service.requests() {
                assert!(!request.headers.contains_key("cookie"), "{name}");
            }
        }
    }

    pub async fn a_login_gets_a_new_session_id_never_a_planted_or_previous_one(store: Store) {
        let app = spawn_with_store(store).await;
        let browser = &app.browser;
        let planted = "A".repeat(43);
        browser.plant_cookie(&format!("session={planted}"));

        let (login, callback) = browser.start_login("/").await;
        let sealed = login
            .set_cookie("login")
            .and_then(|c| c.strip_prefix("login="))
            .and_then(|c| c.split(';').next())
            .unwrap()
            .to_owned();
        let state = query_param(&callback, "state");
        assert_eq!(state.len(), 43);
        assert!(!sealed.contains(&state), "the login cookie is sealed");
        let done = browser.get(&callback).await;
        assert_eq!(done.status, 302, "{}", done.body);
        let first = browser.session_id().unwrap();
        assert_ne!(first, planted);
        assert_ne!(first, state, "the login state is not the session id");
        assert!(app.stored_session(&planted).await.is_none());
        assert!(app.stored_session(&first).await.is_some());

        // Signing in again replaces the session: a new id, and the previous one ends.
        let second = browser.login().await;
        assert_ne!(second, first);
        assert!(app.stored_session(&first).await.is_none());
        assert!(app.stored_session(&second).await.is_some());
    }

    pub async fn an_expired_access_token_is_refreshed_once_for_ten_concurrent_requests(
        store: Store,
    ) {
        let app = spawn_with_store(store).await;
        let browser = &app.browser;
        let id = browser.login().await;
        let old = app.tokens_of(&id).await;
        app.expire_access_token(&id).await;
        let token_requests = app.idp.token_requests();
        app.upstreams.accounts.reset_log();

        let replies = futures::future::join_all((0..10).map(|_| browser.get("/api/cart"))).await;

        for reply in &replies {
            assert_eq!(reply.status, 200, "{}", reply.body);
        }
        assert_eq!(app.idp.token_requests(), token_requests + 1, "one refresh");
        assert_eq!(app.state.auth.sessions.refresh_count(), 1);
        let new = app.tokens_of(&id).await;
        assert_ne!(new[0], old[0], "a new access token");
        assert_ne!(new[1], old[1], "the refresh token rotated");
        let authorizations = app.accounts_authorizations();
        assert_eq!(authorizations.len(), 10);
        for authorization in authorizations {
            assert_eq!(authorization, format!("Bearer {}", new[0]));
        }
    }

    pub async fn a_refresh_token_revoked_at_the_provider_ends_the_session(store: Store) {
        let app = spawn_with_store(store).await;
        let browser = &app.browser;
        let id = browser.login().await;
        let tokens = app.tokens_of(&id).await;
        app.revoke_at_provider(&tokens[1]).await;
        app.expire_access_token(&id).await;
        app.upstreams.accounts.reset_log();

        let cart = browser.get("/api/cart").await;

        cart.assert_problem(401);
        assert_eq!(
            cart.set_cookie("session"),
            Some("session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
        );
        assert!(
            app.stored_session(&id).await.is_none(),
            "the session is gone"
        );
        assert_eq!(app.upstreams.accounts.hits(), 0);
        browser.plant_cookie(&format!("session={id}"));
        browser.get("/auth/session").await.assert_problem(401);
        browser.get("/api/me").await.assert_problem(401);
    }

    pub async fn one_users_session_never_reads_another_users_cart(store: Store) {
        let app = spawn_with_store(store).await;
        let ada = &app.browser;
        let ada_id = ada.login().await;
        app.idp.set_auto_login(Some("demo-user-2"));
        let grace = app.new_browser();
        let grace_id = grace.login().await;
        assert_ne!(ada_id, grace_id);

        assert_eq!(ada.add_to_cart("p00001", 1).await.status, 200);
        assert_eq!(grace.add_to_cart("p00002", 3).await.status, 200);

        let ada_cart = ada.get("/api/cart").await.json();
        let grace_cart = grace.get("/api/cart").await.json();
        assert_eq!(cart_lines(&ada_cart), [("p00001".to_owned(), 1)]);
        assert_eq!(cart_lines(&grace_cart), [("p00002".to_owned(), 3)]);
        assert_eq!(
            grace.get("/auth/session").await.json()["user"]["sub"],
            "demo-user-2"
        );
        assert_eq!(grace.get("/api/me").await.json()["name"], "Grace Hopper");
        assert_eq!(ada.get("/api/me").await.json()["name"], "Ada Lovelace");
        // Each request went upstream with its own user's token.
        let ada_token = format!("Bearer {}", app.tokens_of(&ada_id).await[0]);
        let grace_token = format!("Bearer {}", app.tokens_of(&grace_id).await[0]);
        let authorizations = app.accounts_authorizations();
        assert_eq!(
            authorizations,
            [
                ada_token.clone(),
                grace_token.clone(),
                ada_token.clone(),
                grace_token.clone(),
                grace_token,
                ada_token,
            ]
        );
    }

    pub async fn an_idle_session_ends(store: Store) {
        let app = spawn_with(Options {
            store,
            idle_timeout: Some(Duration::from_millis(1000)),
            ..Options::default()
        })
        .await;
        let browser = &app.browser;
        let id = browser.login().await;
        // Requests keep it alive...
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_millis(400)).await;
            assert_eq!(browser.get("/auth/session").await.status, 200);
        }
        // ...a pause longer than the idle timeout ends it.
        tokio::time::sleep(Duration::from_millis(1300)).await;

        browser.get("/auth/session").await.assert_problem(401);
        browser.plant_cookie(&format!("session={id}"));
        browser.get("/api/cart").await.assert_problem(401);
        assert!(app.stored_session(&id).await.is_none());
    }

    pub async fn a_replayed_callback_is_refused_and_creates_no_session(store: Store) {
        let app = spawn_with_store(store).await;
        let browser = &app.browser;
        let (_, callback) = browser.start_login("/").await;
        let state = query_param(&callback, "state");
        let sealed = browser.cookie("login").expect("the login cookie");
        assert_eq!(browser.get(&callback).await.status, 302);
        let id = browser.session_id().unwrap();

        // The same browser, its sealed login cookie put back: the provider's code was used up.
        browser.plant_cookie(&format!("login={sealed}"));
        let replay = browser.get(&callback).await;
        replay.assert_problem(400);
        assert_eq!(replay.set_cookie("session"), None);
        assert_eq!(browser.session_id(), Some(id.clone()));

        // The bare state as the cookie (the old format): refused.
        browser.plant_cookie(&format!("login={state}"));
        browser.get(&callback).await.assert_problem(400);
        assert_eq!(browser.session_id(), Some(id.clone()));

        // Another browser replaying the callback with a copy of the login cookie: same answer.
        let thief = app.new_browser();
        thief.plant_cookie(&format!("login={sealed}"));
        let stolen = thief.get(&callback).await;
        stolen.assert_problem(400);
        assert_eq!(stolen.set_cookie("session"), None);
        thief.get("/auth/session").await.assert_problem(401);
        for reply in [replay, stolen] {
            let code = query_param(&callback, "code");
            assert!(!reply.body.contains(&code), "{}", reply.body);
        }
    }
}

/// A query parameter of a URL, decoded.
pub fn query_param(url: &str, name: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| panic!("no {name} in {url}"))
}

// The suite against each kind of store.
shared::tests_per_backend! {
    suite: suite,
    backends: [memory_store => Store::Memory, redis_store => Store::Redis],
    tests: [
        the_full_web_login_flow_signs_ada_in_and_out,
        a_login_gets_a_new_session_id_never_a_planted_or_previous_one,
        an_expired_access_token_is_refreshed_once_for_ten_concurrent_requests,
        a_refresh_token_revoked_at_the_provider_ends_the_session,
        one_users_session_never_reads_another_users_cart,
        an_idle_session_ends,
        a_replayed_callback_is_refused_and_creates_no_session,
    ],
}

#[tokio::test]
async fn two_instances_sharing_redis_refresh_an_expired_session_once_and_keep_it() {
    let app = spawn_with_store(Store::Redis).await;
    let (sibling, sibling_state) = app.spawn_sibling().await;
    let browser = &app.browser;
    let id = browser.login().await;
    let old = app.tokens_of(&id).await;
    app.expire_access_token(&id).await;
    let token_requests = app.idp.token_requests();

    // Half the requests reach each instance, at once.
    let sibling_cart = format!("{sibling}/api/cart");
    let replies = futures::future::join_all((0..10).map(|i| {
        browser.get(if i % 2 == 0 {
            "/api/cart"
        } else {
            &sibling_cart
        })
    }))
    .await;

    for reply in &replies {
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    assert_eq!(
        app.idp.token_requests(),
        token_requests + 1,
        "one refresh for both instances"
    );
    assert_eq!(
        app.state.auth.sessions.refresh_count() + sibling_state.auth.sessions.refresh_count(),
        1
    );
    let new = app.tokens_of(&id).await;
    assert_ne!(new[0], old[0], "a new access token");
    assert_ne!(new[1], old[1], "the refresh token rotated");
    assert_eq!(
        browser.get(&sibling_cart).await.status,
        200,
        "the session lives on"
    );
}

/// Issue 18: against a provider that grants `offline_access` only with `prompt=consent` (OpenID
/// Connect Core §11), a session still gets a refresh token and outlives its access token.
#[tokio::test]
async fn a_provider_that_needs_consent_for_offline_access_still_gives_sessions_a_refresh_token() {
    let app = crate::helpers::spawn_with(crate::helpers::Options {
        idp: Some(dev_idp::IdpConfig {
            allow_login_hint: true,
            offline_access_needs_consent: true,
            ..dev_idp::IdpConfig::default()
        }),
        ..crate::helpers::Options::default()
    })
    .await;
    let id = app.browser.login().await;
    let old = app.tokens_of(&id).await;
    app.expire_access_token(&id).await;
    let reply = app.browser.get("/api/me").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(app.state.auth.sessions.refresh_count(), 1);
    assert_ne!(app.tokens_of(&id).await[0], old[0], "refreshed");
}
