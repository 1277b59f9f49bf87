//! Signing in where the server hands its accounts to an OAuth 2.0 authorization server
//! (Matrix's next-generation auth, MSC3861: the Matrix Authentication Service), through the
//! SDK's OAuth support: Estafette registers itself as a native application whose redirect is
//! the one-time loopback address of [`crate::sso`], the system browser shows the
//! authorization server's pages, and the code it sends back is exchanged for tokens that the
//! SDK refreshes. The `state` it carries is checked by the SDK against the one it sent.

use matrix_sdk::{
    Client,
    authentication::oauth::{
        ClientId, OAuthSession, UserSession,
        registration::{ApplicationType, ClientMetadata, Localized, OAuthGrantType},
    },
    ruma::serde::Raw,
    store::RoomLoadSettings,
    utils::UrlOrQuery,
};
use tracing::info;
use url::Url;

use crate::{
    Error,
    auth::AuthError,
    sso::{LoopbackRedirect, SIGN_IN_TIME},
};

/// Where people learn what Estafette is, as authorization servers show it when asking for
/// consent.
// The project has no public site yet: a documentation domain (RFC 2606) until it has one.
const CLIENT_URI: &str = "https://estafette.example/";

/// A session just obtained, whichever way.
pub(crate) struct NewSession {
    pub user_id: String,
    pub device_id: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// The client ID the authorization server gave Estafette, kept to refresh and restore.
    pub oauth_client_id: Option<String>,
}

/// Estafette as a native application whose only redirect is `redirect_uri`.
fn client_metadata(redirect_uri: &Url) -> Result<Raw<ClientMetadata>, AuthError> {
    let client_uri =
        Url::parse(CLIENT_URI).map_err(|error| AuthError::Server(error.to_string()))?;
    let mut metadata = ClientMetadata::new(
        ApplicationType::Native,
        vec![OAuthGrantType::AuthorizationCode {
            redirect_uris: vec![redirect_uri.clone()],
        }],
        Localized::new(client_uri, []),
    );
    metadata.client_name = Some(Localized::new("Estafette".to_owned(), []));
    Raw::new(&metadata).map_err(|error| AuthError::Server(error.to_string()))
}

/// Signs `client` in through the server's authorization server: `open_browser` gets the
/// address of its sign-in page; the answer comes back to a loopback address within
/// [`SIGN_IN_TIME`].
pub(crate) async fn sign_in(
    client: &Client,
    server: &str,
    open_browser: impl FnOnce(&str) -> Result<(), String>,
) -> Result<NewSession, Error> {
    let redirect = LoopbackRedirect::bind().await?;
    let redirect_uri =
        Url::parse(redirect.url()).map_err(|error| AuthError::Server(error.to_string()))?;
    let oauth = client.oauth();
    let authorization = oauth
        .login(
            redirect_uri.clone(),
            None,
            Some(client_metadata(&redirect_uri)?.into()),
            None,
        )
        .build()
        .await
        .map_err(|error| AuthError::Server(format!("{server}: {error}")))?;
    open_browser(authorization.url.as_str()).map_err(AuthError::BrowserFailed)?;
    let query = redirect.authorization_response(SIGN_IN_TIME).await?;
    if let Err(error) = oauth
        .finish_login(UrlOrQuery::Query(query.to_string()))
        .await
    {
        // A refusal at the authorization server, a code that does not redeem, a state that
        // is not ours: the sign-in did not happen.
        info!(%error, "the authorization server's answer was refused");
        return Err(match AuthError::from_sdk(&error, server) {
            AuthError::ServerUnreachable(server) => AuthError::ServerUnreachable(server),
            _ => AuthError::SsoRefused,
        }
        .into());
    }
    let session = oauth
        .full_session()
        .ok_or_else(|| AuthError::Server("no session after signing in".to_owned()))?;
    Ok(NewSession {
        user_id: session.user.meta.user_id.to_string(),
        device_id: session.user.meta.device_id.to_string(),
        access_token: session.user.tokens.access_token.clone(),
        refresh_token: session.user.tokens.refresh_token.clone(),
        oauth_client_id: Some(session.client_id.as_str().to_owned()),
    })
}

/// Restores a session signed in through OAuth 2.0, with the client ID it was given.
pub(crate) async fn restore(
    client: &Client,
    client_id: &str,
    user: UserSession,
) -> Result<(), matrix_sdk::Error> {
    client
        .oauth()
        .restore_session(
            OAuthSession {
                client_id: ClientId::new(client_id.to_owned()),
                user,
            },
            RoomLoadSettings::default(),
        )
        .await
}
