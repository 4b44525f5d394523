//! Bearer tokens for the mobile BFF: the negative suite of SECURITY.md ("Mobile BFF"), the JWKS
//! key store against a counting mock provider, and the axum extractors.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::IntoResponse as _;
use axum::routing::get;
use futures::future::BoxFuture;
use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::Jwk;
use serde_json::{Value, json};
use shared::auth::jwks::{
    JwksKeyStore, JwksSettings, KeyError, KeyStore, StaticKeyStore, VerificationKey,
};
use shared::auth::validator::{JwtSettings, TokenError, TokenValidator};
use shared::auth::{AuthUser, MaybeAuthUser, require_scope};
use shared::health::ProviderDiscovery as _;
use tower::ServiceExt as _;

use crate::auth_support::{JwksMode, MockProvider, Signer, TestKey, b64, forge, now, patched};

const ISSUER: &str = "https://idp.example";
const AUDIENCE: &str = "bff-mobile";

/// Counts lookups, to prove that a refused token never reached the key store.
#[derive(Debug)]
struct CountingKeys {
    inner: StaticKeyStore,
    lookups: AtomicUsize,
}

impl KeyStore for CountingKeys {
    fn key<'a>(&'a self, kid: &'a str) -> BoxFuture<'a, Result<Arc<VerificationKey>, KeyError>> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        self.inner.key(kid)
    }
}

struct Kit {
    es: TestKey,
    other_es: TestKey,
    rsa: TestKey,
    keys: Arc<CountingKeys>,
    validator: TokenValidator,
}

fn jwk_of(key: &TestKey) -> jsonwebtoken::DecodingKey {
    let jwk: Jwk = serde_json::from_value(key.public_jwk.clone()).unwrap();
    jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap()
}

fn kit() -> Kit {
    let es = TestKey::es256("es-1");
    let other_es = TestKey::es256("es-2");
    let rsa = TestKey::rs256("rsa-1");
    let store = StaticKeyStore::new()
        .with_key(&es.kid, jwk_of(&es), Algorithm::ES256)
        .with_key(&other_es.kid, jwk_of(&other_es), Algorithm::ES256)
        .with_key(&rsa.kid, jwk_of(&rsa), Algorithm::RS256);
    let keys = Arc::new(CountingKeys {
        inner: store,
        lookups: AtomicUsize::new(0),
    });
    let validator = TokenValidator::new(&JwtSettings::new(ISSUER, AUDIENCE), keys.clone()).unwrap();
    Kit {
        es,
        other_es,
        rsa,
        keys,
        validator,
    }
}

fn claims() -> Value {
    let now = now();
    json!({
        "iss": ISSUER,
        "sub": "demo-user-1",
        "aud": [AUDIENCE, "accounts"],
        "exp": now + 300,
        "iat": now,
        "nbf": now,
        "jti": "t-1",
        "client_id": "mobile-app",
        "scope": "openid orders:read",
    })
}

fn header(key: &TestKey) -> Value {
    json!({"alg": format!("{:?}", key.alg), "typ": "at+jwt", "kid": key.kid})
}

/// A token signed by `key` with the header and claims patched.
fn token(key: &TestKey, header_patch: Value, claims_patch: Value) -> String {
    forge(
        &patched(&header(key), &header_patch),
        &patched(&claims(), &claims_patch),
        Signer::Key(key),
    )
}

#[tokio::test]
async fn the_negative_suite_refuses_every_forged_or_misused_token_for_its_own_reason() {
    let kit = kit();
    let es = &kit.es;
    let now = now();
    let public_secret = es.public_bytes();
    let cases: Vec<(&str, String, Result<(), TokenError>)> = vec![
        (
            "a valid ES256 token passes",
            token(es, json!({}), json!({})),
            Ok(()),
        ),
        (
            "a valid RS256 token passes",
            token(&kit.rsa, json!({}), json!({})),
            Ok(()),
        ),
        (
            "typ application/at+jwt in any case passes",
            token(es, json!({"typ": "Application/AT+JWT"}), json!({})),
            Ok(()),
        ),
        (
            "a single-string aud passes",
            token(es, json!({}), json!({"aud": AUDIENCE})),
            Ok(()),
        ),
        (
            "an exp just inside the leeway passes",
            token(es, json!({}), json!({"exp": now - 10})),
            Ok(()),
        ),
        (
            "alg none without signature is refused",
            forge(
                &json!({"alg": "none", "typ": "at+jwt", "kid": es.kid}),
                &claims(),
                Signer::Empty,
            ),
            Err(TokenError::Malformed("not base64url")),
        ),
        (
            "alg none with a signature part is refused",
            forge(
                &json!({"alg": "none", "typ": "at+jwt", "kid": es.kid}),
                &claims(),
                Signer::Garbage,
            ),
            Err(TokenError::AlgorithmNotAllowed("none".into())),
        ),
        (
            "alg None spelt otherwise is refused",
            forge(
                &json!({"alg": "None", "typ": "at+jwt", "kid": es.kid}),
                &claims(),
                Signer::Garbage,
            ),
            Err(TokenError::AlgorithmNotAllowed("None".into())),
        ),
        (
            "HS256 signed with the public key as secret (alg confusion) is refused",
            forge(
                &json!({"alg": "HS256", "typ": "at+jwt", "kid": es.kid}),
                &claims(),
                Signer::Hmac(public_secret, Algorithm::HS256),
            ),
            Err(TokenError::AlgorithmNotAllowed("HS256".into())),
        ),
        (
            "an algorithm outside the allow-list (ES384) is refused",
            forge(
                &json!({"alg": "ES384", "typ": "at+jwt", "kid": es.kid}),
                &claims(),
                Signer::Garbage,
            ),
            Err(TokenError::AlgorithmNotAllowed("ES384".into())),
        ),
        (
            "an algorithm outside the allow-list (PS256) is refused",
            forge(
                &json!({"alg": "PS256", "typ": "at+jwt", "kid": kit.rsa.kid}),
                &claims(),
                Signer::Garbage,
            ),
            Err(TokenError::AlgorithmNotAllowed("PS256".into())),
        ),
        (
            "RS256 claimed for an EC key is refused",
            forge(
                &json!({"alg": "RS256", "typ": "at+jwt", "kid": es.kid}),
                &claims(),
                Signer::Key(&kit.rsa),
            ),
            Err(TokenError::KeyMismatch),
        ),
        (
            "the kid of another known key is refused",
            token(es, json!({"kid": kit.other_es.kid}), json!({})),
            Err(TokenError::BadSignature),
        ),
        (
            "an unknown kid is refused",
            token(es, json!({"kid": "who-knows"}), json!({})),
            Err(TokenError::UnknownKey),
        ),
        (
            "a missing kid is refused",
            token(es, json!({"kid": null}), json!({})),
            Err(TokenError::MissingKid),
        ),
        (
            "an expired token is refused",
            token(es, json!({}), json!({"exp": now - 120})),
            Err(TokenError::Expired),
        ),
        (
            "nbf in the future is refused",
            token(es, json!({}), json!({"nbf": now + 120})),
            Err(TokenError::NotYetValid),
        ),
        (
            "iat in the future is refused",
            token(es, json!({}), json!({"iat": now + 120})),
            Err(TokenError::IssuedInFuture),
        ),
        (
            "a missing exp is refused",
            token(es, json!({}), json!({"exp": null})),
            Err(TokenError::MissingClaim("exp".into())),
        ),
        (
            "a missing sub is refused",
            token(es, json!({}), json!({"sub": null})),
            Err(TokenError::MissingClaim("sub".into())),
        ),
        (
            "a missing iss is refused",
            token(es, json!({}), json!({"iss": null})),
            Err(TokenError::MissingClaim("iss".into())),
        ),
        (
            "a missing aud is refused",
            token(es, json!({}), json!({"aud": null})),
            Err(TokenError::MissingClaim("aud".into())),
        ),
        (
            "a missing iat is refused",
            token(es, json!({}), json!({"iat": null})),
            Err(TokenError::MissingClaim("iat".into())),
        ),
        (
            "a wrong iss is refused",
            token(es, json!({}), json!({"iss": "https://evil.example"})),
            Err(TokenError::WrongIssuer),
        ),
        (
            "the issuer with a trailing slash is refused",
            token(es, json!({}), json!({"iss": format!("{ISSUER}/")})),
            Err(TokenError::WrongIssuer),
        ),
        (
            "an iss array containing the issuer is refused",
            token(
                es,
                json!({}),
                json!({"iss": [ISSUER, "https://evil.example"]}),
            ),
            Err(TokenError::WrongIssuer),
        ),
        (
            "a wrong aud is refused",
            token(es, json!({}), json!({"aud": "accounts"})),
            Err(TokenError::WrongAudience),
        ),
        (
            "an aud array without this service is refused",
            token(es, json!({}), json!({"aud": ["accounts", "bff-web"]})),
            Err(TokenError::WrongAudience),
        ),
        (
            "an ID token (typ JWT) is refused",
            token(es, json!({"typ": "JWT"}), json!({"nonce": "n"})),
            Err(TokenError::WrongType(Some("JWT".into()))),
        ),
        (
            "a token without typ is refused",
            token(es, json!({"typ": null}), json!({})),
            Err(TokenError::WrongType(None)),
        ),
        (
            "an unknown crit header is refused",
            token(es, json!({"crit": ["exp"], "exp": 1}), json!({})),
            Err(TokenError::CriticalHeader),
        ),
        (
            "an empty crit header is refused",
            token(es, json!({"crit": []}), json!({})),
            Err(TokenError::CriticalHeader),
        ),
        (
            "a null crit header is refused (found by fuzzing)",
            {
                let mut header = header(es);
                header["crit"] = Value::Null;
                forge(&header, &claims(), Signer::Key(es))
            },
            Err(TokenError::CriticalHeader),
        ),
        (
            "exp as a string is refused",
            token(es, json!({}), json!({"exp": (now + 300).to_string()})),
            Err(TokenError::MissingClaim("exp".into())),
        ),
        (
            "a payload that is not JSON is refused",
            format!(
                "{}.{}.{}",
                b64(header(es).to_string().as_bytes()),
                b64(b"not json"),
                b64(b"sig")
            ),
            Err(TokenError::BadSignature),
        ),
        (
            "two parts are refused",
            "abc.def".to_owned(),
            Err(TokenError::Malformed("not three parts")),
        ),
        (
            "four parts are refused",
            format!("{}.x", token(es, json!({}), json!({}))),
            Err(TokenError::Malformed("not three parts")),
        ),
        (
            "an empty token is refused",
            String::new(),
            Err(TokenError::Malformed("not three parts")),
        ),
    ];
    let mut failures = Vec::new();
    for (name, token, expected) in cases {
        let outcome = kit.validator.validate(&token).await.map(|_| ());
        if outcome != expected {
            failures.push(format!("{name}: expected {expected:?}, got {outcome:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[tokio::test]
async fn a_valid_token_yields_its_subject_scopes_and_client() {
    let kit = kit();
    let claims = kit
        .validator
        .validate(&token(&kit.es, json!({}), json!({"role": "admin"})))
        .await
        .unwrap();
    assert_eq!(claims.sub, "demo-user-1");
    assert_eq!(claims.scope, ["openid", "orders:read"]);
    assert_eq!(claims.client_id.as_deref(), Some("mobile-app"));
    assert_eq!(claims.aud, [AUDIENCE, "accounts"]);
    assert_eq!(claims.extra["role"], "admin");
}

#[tokio::test]
async fn an_oversized_token_is_refused_before_any_decoding_or_key_lookup() {
    let kit = kit();
    let big = token(
        &kit.es,
        json!({"kid": "unknown"}),
        json!({"padding": "x".repeat(9000)}),
    );
    assert_eq!(
        kit.validator.validate(&big).await,
        Err(TokenError::TooLarge { max: 8192 })
    );
    assert_eq!(kit.keys.lookups.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn changing_any_single_character_of_a_valid_token_makes_it_invalid() {
    let kit = kit();
    let valid = token(&kit.es, json!({}), json!({}));
    assert!(kit.validator.validate(&valid).await.is_ok());
    let positions: Vec<usize> = (0..valid.len())
        .step_by(7)
        .chain([valid.len() - 1])
        .collect();
    for position in positions {
        let mut bytes = valid.clone().into_bytes();
        if bytes[position] == b'.' {
            continue;
        }
        bytes[position] = if bytes[position] == b'A' { b'B' } else { b'A' };
        let mutated = String::from_utf8(bytes).unwrap();
        assert!(
            kit.validator.validate(&mutated).await.is_err(),
            "a token mutated at byte {position} was accepted"
        );
    }
}

/// A validator of the tokens `provider` issues for this service, over a JWKS key store (built
/// now: it fetches the keys once) with `settings`.
async fn jwks_validator(provider: &MockProvider, settings: JwksSettings) -> Arc<TokenValidator> {
    let store = JwksKeyStore::new(
        provider.jwks_uri(),
        &settings,
        &[Algorithm::ES256, Algorithm::RS256],
    )
    .await
    .unwrap();
    let validator =
        TokenValidator::new(&JwtSettings::new(&provider.url, AUDIENCE), Arc::new(store)).unwrap();
    Arc::new(validator)
}

fn provider_token(provider: &MockProvider, key: &TestKey, header_patch: Value) -> String {
    forge(
        &patched(&header(key), &header_patch),
        &patched(&claims(), &json!({"iss": provider.url})),
        Signer::Key(key),
    )
}

/// What `validator` makes of a fresh token from `provider` signed by `key`.
async fn outcome(
    validator: &TokenValidator,
    provider: &MockProvider,
    key: &TestKey,
) -> Result<(), TokenError> {
    let token = provider_token(provider, key, json!({}));
    validator.validate(&token).await.map(|_| ())
}

/// Validates `tokens` all at once, each in a task of its own: the outcomes, in order.
async fn validate_at_once(
    validator: &Arc<TokenValidator>,
    tokens: impl Iterator<Item = String>,
) -> Vec<Result<(), TokenError>> {
    let tasks: Vec<_> = tokens
        .map(|token| {
            let validator = validator.clone();
            tokio::spawn(async move { validator.validate(&token).await.map(|_| ()) })
        })
        .collect();
    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    outcomes
}

/// Tokens from `provider` signed by `key`, naming the unknown kids `{prefix}-0`, `{prefix}-1`, …
fn unknown_kids<'a>(
    provider: &'a MockProvider,
    key: &'a TestKey,
    prefix: &'a str,
    count: usize,
) -> impl Iterator<Item = String> + 'a {
    (0..count).map(move |i| provider_token(provider, key, json!({"kid": format!("{prefix}-{i}")})))
}

#[tokio::test]
async fn keys_named_by_jku_x5u_jwk_or_x5c_headers_are_never_fetched_or_used() {
    let good = TestKey::es256("good");
    let attacker = TestKey::es256("attacker");
    let provider = MockProvider::spawn(&[&good]).await;
    let attacker_site = MockProvider::spawn(&[&attacker]).await;
    let validator = jwks_validator(&provider, JwksSettings::default()).await;
    let evil = format!("{}/keys.json", attacker_site.url);
    let cases = [
        (json!({"jku": evil}), TokenError::UnknownKey),
        (json!({"x5u": evil}), TokenError::UnknownKey),
        (json!({"jwk": attacker.public_jwk}), TokenError::UnknownKey),
        (
            json!({"x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]}),
            TokenError::UnknownKey,
        ),
        // The attacker names the provider's kid and brings their own key: the signature fails.
        (
            json!({"kid": "good", "jku": evil, "jwk": attacker.public_jwk}),
            TokenError::BadSignature,
        ),
    ];
    for (patch, expected) in cases {
        let forged = provider_token(&provider, &attacker, patch.clone());
        assert_eq!(validator.validate(&forged).await, Err(expected), "{patch}");
    }
    assert_eq!(
        attacker_site.other_hits(),
        0,
        "the attacker's URL was fetched"
    );
    assert_eq!(attacker_site.jwks_hits(), 0);
}

#[tokio::test]
async fn a_storm_of_random_unknown_kids_causes_at_most_one_jwks_fetch_per_cooldown() {
    let key = TestKey::es256("k1");
    let provider = MockProvider::spawn(&[&key]).await;
    let settings = JwksSettings {
        refresh_cooldown: Duration::from_secs(30),
        ..JwksSettings::default()
    };
    let validator = jwks_validator(&provider, settings).await;
    assert_eq!(provider.jwks_hits(), 1, "the store fetches once at start");
    let storm = unknown_kids(&provider, &key, "random", 200);
    for outcome in validate_at_once(&validator, storm).await {
        assert_eq!(outcome, Err(TokenError::UnknownKey));
    }
    // The fetch at start-up opened the cooldown: the storm adds nothing.
    assert_eq!(provider.jwks_hits(), 1);
    // The known key still works, from the cache.
    assert_eq!(outcome(&validator, &provider, &key).await, Ok(()));
    assert_eq!(provider.jwks_hits(), 1);
}

#[tokio::test]
async fn a_key_that_signs_the_moment_it_is_published_is_accepted_and_a_flood_stays_bounded() {
    let old = TestKey::es256("old");
    let provider = MockProvider::spawn(&[&old]).await;
    // The defaults: the store has just fetched, so the cooldown is running.
    let validator = jwks_validator(&provider, JwksSettings::default()).await;
    assert_eq!(provider.jwks_hits(), 1);
    let new = TestKey::es256("new");
    provider.publish(&new);
    let started = Instant::now();
    assert_eq!(
        outcome(&validator, &provider, &new).await,
        Ok(()),
        "the new key is refused"
    );
    let waited = started.elapsed();
    assert!(waited < Duration::from_millis(1500), "{waited:?}");
    assert_eq!(provider.jwks_hits(), 2);

    // 100 garbage kids, twice, right after that fetch: one fetch per cooldown at most.
    let started = Instant::now();
    for _ in 0..2 {
        let flood = unknown_kids(&provider, &new, "junk", 100);
        for outcome in validate_at_once(&validator, flood).await {
            assert_eq!(outcome, Err(TokenError::UnknownKey));
        }
    }
    let fetches = provider.jwks_hits() - 2;
    let cooldowns = started.elapsed().as_secs_f64().ceil() as usize + 1;
    assert!(
        fetches >= 1 && fetches <= cooldowns,
        "{fetches} fetches in {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn after_the_cooldown_a_storm_shares_a_single_fetch() {
    let key = TestKey::es256("k1");
    let provider = MockProvider::spawn(&[&key]).await;
    let settings = JwksSettings {
        refresh_cooldown: Duration::from_millis(300),
        ..JwksSettings::default()
    };
    let validator = jwks_validator(&provider, settings).await;
    tokio::time::sleep(Duration::from_millis(350)).await;
    let storm = unknown_kids(&provider, &key, "random", 200);
    for outcome in validate_at_once(&validator, storm).await {
        assert_eq!(outcome, Err(TokenError::UnknownKey));
    }
    assert_eq!(
        provider.jwks_hits(),
        2,
        "one fetch at start, one for the whole storm"
    );
}

#[tokio::test]
async fn a_rotated_key_is_accepted_after_one_refresh_without_a_restart() {
    let old = TestKey::es256("old");
    let provider = MockProvider::spawn(&[&old]).await;
    let settings = JwksSettings {
        refresh_cooldown: Duration::from_millis(100),
        ..JwksSettings::default()
    };
    let validator = jwks_validator(&provider, settings).await;
    assert_eq!(outcome(&validator, &provider, &old).await, Ok(()));

    let new = TestKey::es256("new");
    provider.publish(&new);
    tokio::time::sleep(Duration::from_millis(150)).await;
    // Ten concurrent requests with the new kid share the one fetch.
    let fresh = (0..10).map(|_| provider_token(&provider, &new, json!({})));
    for outcome in validate_at_once(&validator, fresh).await {
        assert_eq!(outcome, Ok(()));
    }
    assert_eq!(provider.jwks_hits(), 2);
    assert_eq!(outcome(&validator, &provider, &old).await, Ok(()));
}

#[tokio::test]
async fn the_background_refresh_picks_up_new_keys_before_any_token_asks() {
    let old = TestKey::es256("old");
    let provider = MockProvider::spawn(&[&old]).await;
    let settings = JwksSettings {
        refresh_interval: Duration::from_millis(150),
        refresh_cooldown: Duration::from_secs(60),
        ..JwksSettings::default()
    };
    let validator = jwks_validator(&provider, settings).await;
    let new = TestKey::es256("new");
    provider.publish(&new);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let hits = provider.jwks_hits();
    assert!(hits >= 2, "background refreshes: {hits}");
    assert_eq!(outcome(&validator, &provider, &new).await, Ok(()));
}

#[tokio::test]
async fn when_the_provider_is_down_cached_keys_work_for_stale_for_then_stop_then_recover() {
    let key = TestKey::es256("k1");
    let provider = MockProvider::spawn(&[&key]).await;
    let settings = JwksSettings {
        refresh_interval: Duration::from_millis(200),
        refresh_cooldown: Duration::from_millis(50),
        stale_for: Duration::from_millis(800),
        ..JwksSettings::default()
    };
    let validator = jwks_validator(&provider, settings).await;
    // The keys were fetched before this instant: they expire before `started + 1s`.
    let started = Instant::now();
    let token = provider_token(&provider, &key, json!({}));
    provider.set_mode(JwksMode::Down);

    tokio::time::sleep(Duration::from_millis(500).saturating_sub(started.elapsed())).await;
    assert!(
        validator.validate(&token).await.is_ok(),
        "stale keys must keep working for stale_for"
    );
    let failures_so_far = provider.jwks_hits();
    assert!(
        failures_so_far >= 2,
        "refreshes were attempted: {failures_so_far}"
    );

    tokio::time::sleep(Duration::from_millis(1300).saturating_sub(started.elapsed())).await;
    assert!(matches!(
        validator.validate(&token).await,
        Err(TokenError::KeysUnavailable(_))
    ));

    provider.set_mode(JwksMode::Normal);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        validator.validate(&token).await.is_ok(),
        "keys come back with the provider"
    );
}

/// What a validator makes of a valid token when the provider's JWKS answers in `mode`: its keys
/// fetched with `settings`.
async fn outcome_with_jwks(mode: JwksMode, settings: JwksSettings) -> Result<(), TokenError> {
    let key = TestKey::es256("k1");
    let provider = MockProvider::spawn(&[&key]).await;
    provider.set_mode(mode);
    let validator = jwks_validator(&provider, settings).await;
    outcome(&validator, &provider, &key).await
}

#[tokio::test]
async fn an_oversized_jwks_is_refused() {
    let mode = JwksMode::Oversized(100 * 1024);
    let outcome = outcome_with_jwks(mode, JwksSettings::default()).await;
    assert!(
        matches!(outcome, Err(TokenError::KeysUnavailable(_))),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_slow_jwks_times_out() {
    let started = Instant::now();
    let settings = JwksSettings {
        timeout: Duration::from_millis(200),
        ..JwksSettings::default()
    };
    let outcome = outcome_with_jwks(JwksMode::Slow(Duration::from_secs(5)), settings).await;
    assert!(
        matches!(outcome, Err(TokenError::KeysUnavailable(_))),
        "{outcome:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_provider_down_at_start_up_is_discovered_when_a_token_arrives_and_meanwhile_tokens_get_503()
 {
    const COOLDOWN: Duration = Duration::from_millis(200);
    let key = TestKey::es256("k1");
    let provider = MockProvider::spawn(&[&key]).await;
    provider.set_discovery_down(true);
    let mut settings = JwtSettings::new(&provider.url, AUDIENCE);
    settings.jwks.refresh_cooldown = COOLDOWN;
    let validator = TokenValidator::from_settings(&settings)
        .await
        .expect("a provider answering 503 does not stop the start-up");
    assert_eq!(provider.discovery_hits(), 1);
    assert!(
        !validator.is_discovered(),
        "/readyz reports the provider missing"
    );
    let token = provider_token(&provider, &key, json!({}));

    let refused = validator.validate(&token).await.unwrap_err();
    assert!(
        matches!(refused, TokenError::KeysUnavailable(_)),
        "{refused:?}"
    );
    let problem = refused.to_problem().into_response();
    assert_eq!(problem.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(problem.headers().contains_key(header::RETRY_AFTER));
    assert!(!problem.headers().contains_key(header::WWW_AUTHENTICATE));
    assert_eq!(
        provider.discovery_hits(),
        2,
        "the first token retried discovery"
    );

    // A burst within the cooldown costs the provider nothing.
    provider.set_discovery_down(false);
    for _ in 0..20 {
        assert!(matches!(
            validator.validate(&token).await,
            Err(TokenError::KeysUnavailable(_))
        ));
    }
    assert_eq!(provider.discovery_hits(), 2);

    tokio::time::sleep(COOLDOWN + Duration::from_millis(50)).await;
    validator
        .validate(&token)
        .await
        .expect("discovered once the provider answers");
    assert_eq!(provider.discovery_hits(), 3);
    assert!(validator.is_discovered());
    validator.validate(&token).await.unwrap();
    assert_eq!(provider.discovery_hits(), 3, "discovered once for good");
}

#[tokio::test]
async fn discovery_finds_the_jwks_and_refuses_a_document_naming_another_issuer() {
    let key = TestKey::es256("k1");
    let provider = MockProvider::spawn(&[&key]).await;
    let validator = TokenValidator::from_settings(&JwtSettings::new(&provider.url, AUDIENCE))
        .await
        .unwrap();
    assert!(
        validator
            .validate(&provider_token(&provider, &key, json!({})))
            .await
            .is_ok()
    );

    provider.claim_issuer(&format!("{}/", provider.url));
    let error =
        JwksKeyStore::discover(&provider.url, &JwksSettings::default(), &[Algorithm::ES256])
            .await
            .unwrap_err();
    assert!(
        error.to_string().contains("discovery names issuer"),
        "{error}"
    );
}

// --- Extractors -------------------------------------------------------------------------------

fn app(validator: TokenValidator) -> Router {
    async fn me(user: AuthUser) -> String {
        user.subject
    }
    async fn maybe(MaybeAuthUser(user): MaybeAuthUser) -> String {
        user.map_or_else(|| "anonymous".to_owned(), |u| u.subject)
    }
    async fn write_orders(user: AuthUser) -> Result<&'static str, shared::problem::Problem> {
        require_scope(&user, "orders:write")?;
        Ok("written")
    }
    async fn read_orders(user: AuthUser) -> Result<&'static str, shared::problem::Problem> {
        user.require_scope("orders:read")?;
        Ok("read")
    }
    Router::new()
        .route("/me", get(me))
        .route("/maybe", get(maybe))
        .route("/orders/write", get(write_orders))
        .route("/orders/read", get(read_orders))
        .with_state(Arc::new(validator))
}

struct Answer {
    status: StatusCode,
    challenge: Option<String>,
    content_type: Option<String>,
    body: String,
}

async fn call(app: &Router, uri: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let text = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &header::HeaderValue| v.to_str().unwrap().to_owned())
    };
    let challenge = text(header::WWW_AUTHENTICATE);
    let content_type = text(header::CONTENT_TYPE);
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    Answer {
        status,
        challenge,
        content_type,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

impl Answer {
    /// The status and the body, to compare at once.
    fn outcome(&self) -> (StatusCode, &str) {
        (self.status, &self.body)
    }
}

/// GETs `uri` with `Authorization: Bearer <token>`.
async fn call_with_bearer(app: &Router, uri: &str, token: &str) -> Answer {
    call(app, uri, &[("authorization", &format!("Bearer {token}"))]).await
}

/// The extractors' app over the kit's validator, and a token it accepts.
fn app_and_valid_token() -> (Router, String) {
    let kit = kit();
    let valid = token(&kit.es, json!({}), json!({}));
    (app(kit.validator), valid)
}

#[tokio::test]
async fn a_request_without_a_token_gets_401_with_a_bare_bearer_challenge() {
    let kit = kit();
    let app = app(kit.validator);
    let answer = call(&app, "/me", &[]).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.challenge.as_deref(), Some("Bearer"));
    assert_eq!(
        answer.content_type.as_deref(),
        Some("application/problem+json")
    );
}

#[tokio::test]
async fn a_valid_bearer_token_authenticates_whatever_the_scheme_case() {
    let (app, valid) = app_and_valid_token();
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let answer = call(
            &app,
            "/me",
            &[("authorization", &format!("{scheme} {valid}"))],
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{scheme}");
        assert_eq!(answer.body, "demo-user-1");
    }
}

#[tokio::test]
async fn every_unusable_authorization_header_gets_401_invalid_token_without_details() {
    let kit = kit();
    let valid = token(&kit.es, json!({}), json!({}));
    let expired = token(&kit.es, json!({}), json!({"exp": now() - 3600}));
    let oversized = format!("Bearer {}", "a".repeat(10_000));
    let app = app(kit.validator);
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        (
            "an expired token",
            vec![("authorization", format!("Bearer {expired}"))],
        ),
        (
            "garbage",
            vec![("authorization", "Bearer not.a.jwt".to_owned())],
        ),
        (
            "another scheme",
            vec![("authorization", format!("Basic {valid}"))],
        ),
        (
            "two spaces",
            vec![("authorization", format!("Bearer  {valid}"))],
        ),
        ("an oversized header", vec![("authorization", oversized)]),
        (
            "two Authorization headers",
            vec![
                ("authorization", format!("Bearer {valid}")),
                ("authorization", format!("Bearer {valid}")),
            ],
        ),
    ];
    let mut bodies = std::collections::BTreeSet::new();
    for (name, headers) in cases {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        for path in ["/me", "/maybe"] {
            let answer = call(&app, path, &headers).await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{name} on {path}");
            assert_eq!(
                answer.challenge.as_deref(),
                Some(r#"Bearer error="invalid_token""#),
                "{name} on {path}"
            );
            assert!(
                !answer.body.contains(&valid[..20]),
                "{name} echoes the token"
            );
            bodies.insert(answer.body);
        }
    }
    assert_eq!(
        bodies.len(),
        1,
        "the body says nothing about the cause: {bodies:?}"
    );
    assert_eq!(
        kit.keys.lookups.load(Ordering::SeqCst),
        2,
        "only the expired token was looked up (once per path)"
    );
}

#[tokio::test]
async fn a_token_in_the_query_string_or_a_cookie_is_ignored() {
    let (app, valid) = app_and_valid_token();
    let answer = call(&app, &format!("/me?access_token={valid}"), &[]).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.challenge.as_deref(), Some("Bearer"));
    let cookie = format!("access_token={valid}");
    let answer = call(&app, "/me", &[("cookie", &cookie)]).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let answer = call(
        &app,
        &format!("/maybe?access_token={valid}"),
        &[("cookie", &cookie)],
    )
    .await;
    assert_eq!(answer.outcome(), (StatusCode::OK, "anonymous"));
}

#[tokio::test]
async fn maybe_auth_user_is_anonymous_without_a_header_and_the_user_with_a_valid_token() {
    let (app, valid) = app_and_valid_token();
    let answer = call(&app, "/maybe", &[]).await;
    assert_eq!(answer.outcome(), (StatusCode::OK, "anonymous"));
    let answer = call_with_bearer(&app, "/maybe", &valid).await;
    assert_eq!(answer.outcome(), (StatusCode::OK, "demo-user-1"));
}

#[tokio::test]
async fn a_missing_scope_is_403_insufficient_scope_and_a_granted_one_passes() {
    let (app, valid) = app_and_valid_token();
    let answer = call_with_bearer(&app, "/orders/write", &valid).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        answer.challenge.as_deref(),
        Some(r#"Bearer error="insufficient_scope", scope="orders:write""#)
    );
    assert_eq!(
        answer.content_type.as_deref(),
        Some("application/problem+json")
    );
    let answer = call_with_bearer(&app, "/orders/read", &valid).await;
    assert_eq!(answer.outcome(), (StatusCode::OK, "read"));
}

#[tokio::test]
async fn the_auth_user_carries_the_raw_token_but_never_prints_it() {
    let kit = kit();
    let valid = token(&kit.es, json!({}), json!({}));
    let request = Request::get("/")
        .header("authorization", format!("Bearer {valid}"))
        .body(())
        .unwrap();
    let (mut parts, ()) = request.into_parts();
    let state = Arc::new(kit.validator);
    let user =
        <AuthUser as axum::extract::FromRequestParts<_>>::from_request_parts(&mut parts, &state)
            .await
            .unwrap();
    assert_eq!(user.token.expose(), valid);
    let debug = format!("{user:?}");
    assert!(!debug.contains(&valid), "{debug}");
    assert!(!debug.contains(valid.split('.').nth(2).unwrap()));
}
