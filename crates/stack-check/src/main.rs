//! `stack-check`: end-to-end journeys against a running storefront stack, through its published
//! ports only, as a browser and a mobile app would use it. `scripts/compose-e2e.sh` runs them
//! against docker-compose; they work the same against a stack started with cargo.
//!
//! Each subcommand exits non-zero with a message naming the failed step.

// A command-line report: printing its findings is its job.
#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::{Parser, Subcommand};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use url::Url;

mod http;
mod pages;
use http::{Jar, ensure_status, is_unauthorized, location, query, random};
use pages::{attribute_after, first_button, hidden, hidden_inputs};

#[derive(Debug, Parser)]
#[command(about)]
struct Cli {
    /// The web BFF's public URL.
    #[arg(long, default_value = "http://localhost:8080")]
    web: String,
    /// The mobile BFF's public URL.
    #[arg(long, default_value = "http://localhost:8081")]
    mobile: String,
    /// The identity provider's public URL (its issuer).
    #[arg(long, default_value = "http://localhost:7000")]
    idp: String,
    /// The RFC 8707 resource the mobile app asks its token for (a provider that issues one
    /// audience per token needs it: `urn:storefront:bff-mobile` at oidc-provider). Default: none.
    #[arg(long)]
    mobile_resource: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Waits until both BFFs and the provider answer their health checks.
    Wait {
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 120)]
        seconds: u64,
    },
    /// Token from the provider (code + PKCE), home, product, cart add.
    MobileJourney,
    /// Login through the provider with a cookie jar, session, cart add and remove, logout.
    WebJourney,
    /// Both home screens answer 200 and name (or do not name) `recommendations` in `degraded`.
    Homes {
        /// Whether recommendations must be reported missing.
        #[arg(long)]
        degraded: bool,
        /// Keep trying for up to this many seconds (circuit breakers and caches take a moment).
        #[arg(long, default_value_t = 30)]
        within: u64,
    },
    /// Sends a steady stream of web home requests, each on a new connection, while the caller
    /// restarts bff-web (one instance, behind Docker's port proxy). Every failure must fall
    /// within one outage window of at most `--max-unavailable` seconds (the restart: the
    /// port proxy refuses or closes connections while the container is down), and the stream
    /// must end with the BFF answering 200 again. Zero loss through a restart is what
    /// `scripts/rolling-restart.sh` proves, with two instances behind nginx.
    Stream {
        /// How long to send.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Fail when the failures span more than this many seconds.
        #[arg(long, default_value_t = 10)]
        max_unavailable: u64,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let http = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()?;
    let stack = Stack {
        http,
        web: cli.web.trim_end_matches('/').to_owned(),
        mobile: cli.mobile.trim_end_matches('/').to_owned(),
        idp: cli.idp.trim_end_matches('/').to_owned(),
        mobile_resource: cli.mobile_resource,
    };
    match cli.command {
        Command::Wait { seconds } => stack.wait(Duration::from_secs(seconds)).await,
        Command::MobileJourney => stack.mobile_journey().await,
        Command::WebJourney => stack.web_journey().await,
        Command::Homes { degraded, within } => {
            stack.homes(degraded, Duration::from_secs(within)).await
        }
        Command::Stream {
            seconds,
            max_unavailable,
        } => {
            stack
                .stream(
                    Duration::from_secs(seconds),
                    Duration::from_secs(max_unavailable),
                )
                .await
        }
    }
}

struct Stack {
    http: Client,
    web: String,
    mobile: String,
    idp: String,
    mobile_resource: Option<String>,
}

/// The mobile app's registration at the dev provider.
const MOBILE_CLIENT: &str = "mobile-app";
const MOBILE_REDIRECT: &str = "http://127.0.0.1:8765/callback";
const PRODUCT: &str = "p00042";

impl Stack {
    async fn wait(&self, limit: Duration) -> anyhow::Result<()> {
        let started = Instant::now();
        for base in [&self.idp, &self.web, &self.mobile] {
            let url = format!("{base}/healthz");
            loop {
                match self.http.get(&url).send().await {
                    Ok(r) if r.status().is_success() => break,
                    _ if started.elapsed() > limit => bail!("{url} not healthy after {limit:?}"),
                    _ => tokio::time::sleep(Duration::from_millis(500)).await,
                }
            }
        }
        println!(
            "stack healthy after {:.1}s",
            started.elapsed().as_secs_f64()
        );
        Ok(())
    }

    /// Code flow with PKCE for the public mobile client, as the app does it.
    async fn mobile_token(&self, user: &str) -> anyhow::Result<String> {
        let verifier = random();
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let state = random();
        let mut authorize = self.authorization_endpoint().await?;
        authorize
            .query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", MOBILE_CLIENT)
            .append_pair("redirect_uri", MOBILE_REDIRECT)
            .append_pair("scope", "openid profile email offline_access")
            .append_pair("state", &state)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("login_hint", user);
        if let Some(resource) = &self.mobile_resource {
            authorize
                .query_pairs_mut()
                .append_pair("resource", resource);
        }
        let response = self.http.get(authorize.clone()).send().await?;
        let location = match location(&response) {
            Some(location) if location.starts_with(MOBILE_REDIRECT) => location,
            // Another provider's sign-in: redirects, its own pages and cookies.
            Some(_) => {
                self.sign_in_through_pages(authorize.as_str(), MOBILE_REDIRECT, user)
                    .await?
            }
            // The provider does not honour login_hint (its default): sign in with the password
            // on its login page, as the app's user would.
            None => {
                let page = response.text().await?;
                self.sign_in_on_page(&page, user).await?
            }
        };
        let callback = Url::parse(&location)?;
        ensure!(
            query(&callback, "state").as_deref() == Some(&state),
            "state mismatch"
        );
        let code = query(&callback, "code").context("no code in the callback")?;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", MOBILE_REDIRECT),
            ("client_id", MOBILE_CLIENT),
            ("code_verifier", &verifier),
        ];
        if let Some(resource) = &self.mobile_resource {
            form.push(("resource", resource));
        }
        let token: Value = self
            .http
            .post(self.token_endpoint().await?)
            .form(&form)
            .send()
            .await?
            .error_for_status()
            .context("token request")?
            .json()
            .await?;
        token["access_token"]
            .as_str()
            .map(str::to_owned)
            .context("no access token")
    }

    async fn mobile_journey(&self) -> anyhow::Result<()> {
        let token = self.mobile_token("ada").await?;
        let me = self.mobile_get("/v1/me", Some(&token)).await?;
        ensure!(me.to_string().contains("Ada"), "/v1/me: {me}");
        let home = self.mobile_get("/v1/home", Some(&token)).await?;
        ensure!(
            home["featured"].as_array().is_some_and(|a| !a.is_empty()),
            "home has no featured cards: {home}"
        );
        let product = self
            .mobile_get(&format!("/v1/products/{PRODUCT}"), Some(&token))
            .await?;
        ensure!(product["id"] == PRODUCT, "product: {product}");
        let response = self
            .http
            .post(format!("{}/v1/cart/items", self.mobile))
            .bearer_auth(&token)
            .json(&json!({"product_id": PRODUCT, "quantity": 1}))
            .send()
            .await?;
        ensure_status(&response, StatusCode::is_success, "cart add")?;
        let cart = self.mobile_get("/v1/cart", Some(&token)).await?;
        ensure!(
            cart.to_string().contains(PRODUCT),
            "the cart lacks the product: {cart}"
        );
        let anonymous = self
            .http
            .get(format!("{}/v1/cart", self.mobile))
            .send()
            .await?;
        ensure_status(&anonymous, is_unauthorized, "anonymous cart")?;
        println!("mobile journey: token, me, home, product, cart add: ok");
        Ok(())
    }

    async fn mobile_get(&self, path: &str, token: Option<&str>) -> anyhow::Result<Value> {
        let mut request = self.http.get(format!("{}{path}", self.mobile));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await?;
        ensure_status(&response, StatusCode::is_success, &format!("GET {path}"))?;
        Ok(response.json().await?)
    }

    async fn web_journey(&self) -> anyhow::Result<()> {
        let mut jar = Jar::default();
        // 1. The page sends the browser to the BFF's login, which redirects to the provider.
        let login = jar
            .send(
                self.http
                    .get(format!("{}/auth/login?return_to=/", self.web)),
            )
            .await?;
        let to_provider = location(&login).context("login did not redirect")?;
        ensure!(
            to_provider.starts_with(&self.idp),
            "login redirected elsewhere: {to_provider}"
        );
        // 2. The provider's login page; submit its form as the user would.
        let page = self.http.get(&to_provider).send().await?;
        let callback = if page.status().is_redirection() {
            let back = format!("{}/auth/callback", self.web);
            self.sign_in_through_pages(&to_provider, &back, "ada")
                .await?
        } else {
            self.sign_in_on_page(&page.text().await?, "ada").await?
        };
        ensure!(
            callback.starts_with(&self.web),
            "callback elsewhere: {callback}"
        );
        // 3. The callback sets the session cookie and sends the browser home.
        let back = jar.send(self.http.get(&callback)).await?;
        ensure_status(&back, StatusCode::is_redirection, "callback")?;
        let session = self
            .web_json(&mut jar, reqwest::Method::GET, "/auth/session", None)
            .await?;
        ensure!(session.to_string().contains("Ada"), "session: {session}");
        let me = self
            .web_json(&mut jar, reqwest::Method::GET, "/api/me", None)
            .await?;
        ensure!(me.to_string().contains("Ada"), "/api/me: {me}");
        self.web_json(&mut jar, reqwest::Method::GET, "/api/cart", None)
            .await?;
        let cart = self
            .web_json(
                &mut jar,
                reqwest::Method::POST,
                "/api/cart/items",
                Some(json!({"product_id": PRODUCT, "quantity": 1})),
            )
            .await?;
        ensure!(cart.to_string().contains(PRODUCT), "cart after add: {cart}");
        let path = format!("/api/cart/items/{PRODUCT}");
        let cart = self
            .web_json(&mut jar, reqwest::Method::DELETE, &path, None)
            .await?;
        ensure!(
            !cart.to_string().contains(PRODUCT),
            "cart after remove: {cart}"
        );
        let logout = jar
            .send(self.web_request(reqwest::Method::POST, "/auth/logout"))
            .await?;
        ensure_status(&logout, StatusCode::is_success, "logout")?;
        let after = jar
            .send(self.web_request(reqwest::Method::GET, "/api/cart"))
            .await?;
        ensure_status(&after, is_unauthorized, "cart after logout")?;
        println!("web journey: login, session, me, cart, cart add and remove, logout: ok");
        Ok(())
    }

    /// Fills in the provider's login `page` as `user` (password `demo`, as every demo user's)
    /// and returns where the provider redirects back to.
    async fn sign_in_on_page(&self, page: &str, user: &str) -> anyhow::Result<String> {
        let request = hidden(page, "request").context("no login form")?;
        let form = [
            ("request", request.as_str()),
            ("username", user),
            ("password", "demo"),
            ("action", "login"),
        ];
        let login = format!("{}/login", self.idp);
        let signed_in = self.http.post(login).form(&form).send().await?;
        location(&signed_in).context("the provider did not redirect back")
    }

    /// Signs `user` in at a provider whose sign-in is a chain of redirects and pages with cookies
    /// of its own (oidc-provider): follows the redirects from `start`, fills in each page's form
    /// (the password when it asks for one, then its first button, e.g. consent's "allow"), and
    /// returns the first redirect that leads to `stop_at`, unfollowed.
    async fn sign_in_through_pages(
        &self,
        start: &str,
        stop_at: &str,
        user: &str,
    ) -> anyhow::Result<String> {
        let mut jar = Jar::default();
        let mut next = Url::parse(start)?;
        for _ in 0..20 {
            if next.as_str().starts_with(stop_at) {
                return Ok(next.into());
            }
            let response = jar.send(self.http.get(next.clone())).await?;
            if let Some(to) = location(&response) {
                next = next.join(&to)?;
                continue;
            }
            let status = response.status();
            let page = response.text().await?;
            let action = attribute_after(&page, "<form method=\"post\" action=\"")
                .with_context(|| format!("{status} without a form at {}", next.path()))?;
            let mut form: Vec<(String, String)> = hidden_inputs(&page);
            if page.contains("type=\"password\"") {
                form.push(("username".into(), user.into()));
                form.push(("password".into(), "demo".into()));
            }
            if let Some((name, value)) = first_button(&page) {
                form.push((name, value));
            }
            let target = next.join(&action)?;
            let answer = jar.send(self.http.post(target.clone()).form(&form)).await?;
            let to = location(&answer).with_context(|| {
                format!("the form at {} answered {}", target.path(), answer.status())
            })?;
            next = target.join(&to)?;
        }
        bail!("more than 20 redirects signing in")
    }

    /// The provider's authorization endpoint, from its discovery document.
    async fn authorization_endpoint(&self) -> anyhow::Result<Url> {
        Ok(Url::parse(
            &self.discovered("authorization_endpoint").await?,
        )?)
    }

    /// The provider's token endpoint, from its discovery document.
    async fn token_endpoint(&self) -> anyhow::Result<String> {
        self.discovered("token_endpoint").await
    }

    async fn discovered(&self, field: &str) -> anyhow::Result<String> {
        let url = format!("{}/.well-known/openid-configuration", self.idp);
        let document: Value = self
            .http
            .get(&url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        document[field]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("discovery has no {field}"))
    }

    /// A request to bff-web's `path`, with the `X-CSRF: 1` every API call carries.
    fn web_request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.web));
        request.header("x-csrf", "1")
    }

    async fn web_json(
        &self,
        jar: &mut Jar,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut request = self.web_request(method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = jar.send(request).await?;
        ensure_status(&response, StatusCode::is_success, path)?;
        Ok(response.json().await?)
    }

    async fn homes(&self, degraded: bool, within: Duration) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            let mut problems = Vec::new();
            for (name, request) in [
                ("web", self.web_request(reqwest::Method::GET, "/api/home")),
                ("mobile", self.http.get(format!("{}/v1/home", self.mobile))),
            ] {
                match request.send().await {
                    Ok(r) if r.status() == StatusCode::OK => {
                        let body: Value = r.json().await?;
                        let missing = body["degraded"]
                            .as_array()
                            .is_some_and(|d| d.iter().any(|s| s == "recommendations"));
                        if missing != degraded {
                            problems.push(format!("{name} home degraded = {}", body["degraded"]));
                        }
                    }
                    Ok(r) => problems.push(format!("{name} home answered {}", r.status())),
                    Err(e) => problems.push(format!("{name} home failed: {e}")),
                }
            }
            if problems.is_empty() {
                println!("both homes answer 200, recommendations degraded = {degraded}");
                return Ok(());
            }
            if started.elapsed() > within {
                bail!("{}", problems.join("; "));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn stream(&self, duration: Duration, max_unavailable: Duration) -> anyhow::Result<()> {
        // A new connection per request, as a client arriving during the restart would make.
        let http = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(0)
            .build()?;
        let started = Instant::now();
        let (mut sent, mut refused, mut failed) = (0u64, 0u64, 0u64);
        let mut outage: Option<(Instant, Instant)> = None;
        let mut answered_after_outage = false;
        while started.elapsed() < duration {
            sent += 1;
            let result = http
                .get(format!("{}/api/home", self.web))
                .header("x-csrf", "1")
                .send()
                .await;
            let failure = match result {
                Ok(response) if response.status() == StatusCode::OK => None,
                Ok(response) => Some(format!("status {}", response.status())),
                Err(error) if error.is_connect() => {
                    // Counted, not printed: refusals are the restart itself.
                    refused += 1;
                    Some(String::new())
                }
                Err(error) => Some(error.to_string()),
            };
            let now = Instant::now();
            match failure {
                None => answered_after_outage = outage.is_some(),
                Some(reason) => {
                    failed += 1;
                    if !reason.is_empty() {
                        eprintln!("stream: failed: {reason}");
                    }
                    let (first, _) = outage.unwrap_or((now, now));
                    outage = Some((first, now));
                    answered_after_outage = false;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let unavailable = outage.map_or(Duration::ZERO, |(first, last)| last - first);
        println!(
            "stream: {sent} requests, {failed} failed ({refused} refused connections), \
             all within {:.1} s",
            unavailable.as_secs_f64()
        );
        ensure!(sent > failed, "no request was answered");
        ensure!(
            unavailable <= max_unavailable,
            "failures spread over {:.1} s (more than one restart of {} s)",
            unavailable.as_secs_f64(),
            max_unavailable.as_secs()
        );
        ensure!(
            outage.is_none() || answered_after_outage,
            "the BFF did not answer again after the restart"
        );
        Ok(())
    }
}
