use std::sync::Arc;

use demo_upstreams::accounts::{InvalidToken, TokenVerifier};
use demo_upstreams::config::DemoConfig;
use demo_upstreams::testing::RunningService;
use demo_upstreams::{Service, ServiceContext};
use futures::future::BoxFuture;
use serde_json::json;

use crate::helpers::{Reply, TestApp, cart_lines};

impl TestApp {
    async fn add_to_cart(&self, token: &str, body: serde_json::Value) -> Reply {
        self.send(
            self.http
                .post(format!("{}/cart/items", self.up.accounts.url()))
                .bearer_auth(token)
                .json(&body),
        )
        .await
    }

    async fn remove_from_cart(&self, token: &str, product_id: &str) -> Reply {
        self.send(
            self.http
                .delete(format!(
                    "{}/cart/items/{product_id}",
                    self.up.accounts.url()
                ))
                .bearer_auth(token),
        )
        .await
    }

    async fn me_with_authorization(&self, authorization: &str) -> Reply {
        self.get_with_header(&self.up.accounts, "/me", "authorization", authorization)
            .await
    }

    /// Adds `quantity` of `product_id` to `user`'s cart, which must succeed; the lines after.
    async fn lines_after_adding(
        &self,
        user: &str,
        product_id: &str,
        quantity: u32,
    ) -> Vec<(String, u64)> {
        let body = json!({"product_id": product_id, "quantity": quantity});
        let reply = self.add_to_cart(user, body).await;
        assert_eq!(reply.status, 200);
        cart_lines(&reply.json())
    }

    /// Removes `product_id` from `user`'s cart, which must succeed; the lines after.
    async fn lines_after_removing(&self, user: &str, product_id: &str) -> Vec<(String, u64)> {
        let reply = self.remove_from_cart(user, product_id).await;
        assert_eq!(reply.status, 200);
        cart_lines(&reply.json())
    }

    /// `user`'s cart.
    async fn cart(&self, user: &str) -> serde_json::Value {
        self.get_with_token(&self.up.accounts, "/cart", user)
            .await
            .json()
    }
}

#[tokio::test]
async fn requests_without_a_bearer_token_are_unauthorised() {
    let app = TestApp::spawn().await;
    for path in ["/me", "/cart", "/orders"] {
        let reply = app.get(&app.up.accounts, path).await;
        reply.problem(401);
        assert!(reply.header("www-authenticate").starts_with("Bearer"));
    }
    let basic = app
        .send(
            app.http
                .get(format!("{}/me", app.up.accounts.url()))
                .basic_auth("demo-user-1", Some("secret")),
        )
        .await;
    basic.problem(401);
    for token in ["", "has space", "sl/ash", &"x".repeat(65)] {
        let reply = app.me_with_authorization(&format!("Bearer {token}")).await;
        reply.problem(401);
        if !token.is_empty() {
            assert!(!reply.text.contains(token), "echoed: {}", reply.text);
        }
    }
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive_and_demo_users_are_known() {
    let app = TestApp::spawn().await;
    let reply = app.me_with_authorization("bearer demo-user-1").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("cache-control"), "private, no-store");
    assert_eq!(
        reply.json(),
        json!({"id":"demo-user-1","name":"Ada Lovelace","email":"ada@example.test","member_since":"2024-01-15"})
    );
    let grace = app
        .get_with_token(&app.up.accounts, "/me", "demo-user-2")
        .await
        .json();
    assert_eq!(grace["name"], "Grace Hopper");
    let alan = app
        .get_with_token(&app.up.accounts, "/me", "demo-user-3")
        .await
        .json();
    assert_eq!(alan["name"], "Alan Turing");
    let someone = app
        .get_with_token(&app.up.accounts, "/me", "Someone_42")
        .await
        .json();
    assert_eq!(someone["id"], "Someone_42");
    assert_eq!(someone["email"], "someone_42@example.test");
    assert!(someone["name"].as_str().unwrap().contains(' '));
}

#[tokio::test]
async fn carts_add_up_quantities_and_remove_lines_per_user() {
    let app = TestApp::spawn().await;
    let user = "demo-user-1";
    let empty = app.cart(user).await;
    assert_eq!(cart_lines(&empty), []);
    assert!(empty["updated_at"].as_str().unwrap().ends_with('Z'));

    let added = app.lines_after_adding(user, "p00001", 2).await;
    assert_eq!(added, [("p00001".to_owned(), 2)]);
    app.lines_after_adding(user, "p00007", 1).await;
    let more = app.lines_after_adding(user, "p00001", 3).await;
    assert_eq!(more, [("p00001".to_owned(), 5), ("p00007".to_owned(), 1)]);

    let other = app.cart("demo-user-2").await;
    assert_eq!(cart_lines(&other), [], "carts are per user");

    let removed = app.lines_after_removing(user, "p00001").await;
    assert_eq!(removed, [("p00007".to_owned(), 1)]);
    let absent = app.lines_after_removing(user, "p00001").await;
    assert_eq!(absent, [("p00007".to_owned(), 1)]);
    let fetched = app.cart(user).await;
    assert_eq!(cart_lines(&fetched), [("p00007".to_owned(), 1)]);

    app.lines_after_adding("demo-user-3", "p00002", 99).await;
    let capped = app.lines_after_adding("demo-user-3", "p00002", 5).await;
    assert_eq!(capped, [("p00002".to_owned(), 99)]);
}

#[tokio::test]
async fn cart_changes_are_validated() {
    let app = TestApp::spawn().await;
    let user = "validator";
    for (body, status) in [
        (json!({"product_id":"p09999","quantity":1}), 404),
        (json!({"product_id":"p9","quantity":1}), 400),
        (json!({"product_id":"p00001","quantity":0}), 400),
        (json!({"product_id":"p00001","quantity":100}), 400),
        (json!({"product_id":"p00001","quantity":-1}), 400),
        (json!({"product_id":"p00001"}), 400),
        (json!({"quantity":1}), 400),
        (json!(["p00001"]), 400),
    ] {
        app.add_to_cart(user, body.clone()).await.problem(status);
    }
    let not_json = app
        .send(
            app.http
                .post(format!("{}/cart/items", app.up.accounts.url()))
                .bearer_auth(user)
                .header("content-type", "application/json")
                .body("{not json"),
        )
        .await;
    not_json.problem(400);
    let no_token = app
        .send(
            app.http
                .post(format!("{}/cart/items", app.up.accounts.url()))
                .json(&json!({"product_id":"p00001","quantity":1})),
        )
        .await;
    no_token.problem(401);
    app.remove_from_cart(user, "p09999").await.problem(404);
    app.remove_from_cart(user, "nope").await.problem(400);
    let cart = app.cart(user).await;
    assert_eq!(cart_lines(&cart), []);
}

#[tokio::test]
async fn orders_are_a_deterministic_history_per_user() {
    let app = TestApp::spawn().await;
    let orders = app
        .get_with_token(&app.up.accounts, "/orders", "demo-user-1")
        .await;
    assert_eq!(orders.header("cache-control"), "private, no-store");
    let orders = orders.json();
    let items = orders["items"].as_array().unwrap();
    assert!((3..=5).contains(&items.len()));
    let placed: Vec<&str> = items
        .iter()
        .map(|o| o["placed_at"].as_str().unwrap())
        .collect();
    assert!(placed.windows(2).all(|w| w[0] > w[1]), "newest first");
    for order in items {
        assert!(order["id"].as_str().unwrap().starts_with("o-"));
        assert_eq!(order["currency"], "EUR");
        assert!(order["status"].is_string());
        let total: u64 = order["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["price_cents"].as_u64().unwrap() * l["quantity"].as_u64().unwrap())
            .sum();
        assert_eq!(order["total_cents"], total);
    }
    let again = app
        .get_with_token(&app.up.accounts, "/orders", "demo-user-1")
        .await
        .json();
    assert_eq!(orders, again);
}

/// Accepts one token only, standing for `verified-user`.
struct OneToken;

impl TokenVerifier for OneToken {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<String, InvalidToken>> {
        Box::pin(async move {
            if token == "good-token" {
                Ok("verified-user".to_owned())
            } else {
                Err(InvalidToken)
            }
        })
    }
}

#[tokio::test]
async fn a_token_verifier_can_be_plugged_in() {
    let config = Arc::new(DemoConfig::default().without_injection());
    let ctx = ServiceContext::new(config).with_token_verifier(Arc::new(OneToken));
    let accounts = RunningService::spawn_context(Service::Accounts, ctx).await;
    let app = TestApp::spawn().await;
    let me = app
        .get_with_token(&accounts, "/me", "good-token")
        .await
        .json();
    assert_eq!(me["id"], "verified-user");
    app.get_with_token(&accounts, "/me", "demo-user-1")
        .await
        .problem(401);
}
