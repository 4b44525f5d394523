use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_family_and_the_access_tokens_issued_with_it() {
    let app = spawn().await;
    let (_, second) = app.mobile_tokens_refreshed_once("ada").await;
    let response = app
        .revoke_as_mobile(
            &second.refresh_token,
            &[("token_type_hint", "refresh_token")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    app.assert_refresh_refused(&second.refresh_token).await;
    app.assert_access_refused(&second.access_token).await;
}

#[tokio::test]
async fn revoking_an_access_token_makes_userinfo_refuse_it() {
    let app = spawn().await;
    let tokens = app.idp.mobile_tokens("ada").await;
    let response = app.revoke_as_mobile(&tokens.access_token, &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    app.assert_access_refused(&tokens.access_token).await;
}

#[tokio::test]
async fn revoking_an_unknown_token_or_another_clients_token_answers_200_and_changes_nothing() {
    let app = spawn().await;
    let mobile = app.idp.mobile_tokens("ada").await;
    let unknown = app.revoke_as_web("no-such-token").await;
    assert_eq!(unknown.status(), StatusCode::OK);
    let foreign = app.revoke_as_web(&mobile.refresh_token).await;
    assert_eq!(foreign.status(), StatusCode::OK);
    app.refreshed_mobile(&mobile.refresh_token).await;
}

#[tokio::test]
async fn revocation_requires_client_authentication() {
    let app = spawn().await;
    let response = app
        .post_form("/revoke", &[("token", "x")], Some((WEB, "wrong")))
        .await;
    assert_eq!(
        error_code(response).await,
        (StatusCode::UNAUTHORIZED, "invalid_client".to_owned())
    );
    let response = app.post_form("/revoke", &[("token", "x")], None).await;
    assert_eq!(error_code(response).await.0, StatusCode::UNAUTHORIZED);
}
