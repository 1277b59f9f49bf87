#![recursion_limit = "256"]
//! Signing in as the state's agents do (issue 16): an email address finds the agent's server
//! through the deployment's directory, the state's portal signs them in (single sign-on
//! through OpenID Connect), and the administrator's policy decides which servers may be used
//! at all. Real Synapse, the kit's directory and OpenID Connect provider, the real Secret
//! Service.

mod common;

use common::*;
use estafette_core::{
    AccountManager, Error, ErrorCode, SignIn, SsoSignIn,
    auth::{AuthError, SsoProvider},
    policy::Policy,
};
use estafette_testkit::{IdentityServer, OidcProvider, PORTAL_ID, PORTAL_NAME, PortalBrowser};
use zeroize::Zeroizing;

fn sign_in(homeserver: Option<String>, username: &str) -> SignIn {
    SignIn {
        homeserver,
        username: username.to_owned(),
        password: Zeroizing::new(PASSWORD.to_owned()),
    }
}

/// An installation whose sign-ins follow `policy`.
fn installation(policy: Policy) -> (AccountManager, tempfile::TempDir) {
    let Device { manager, data_dir } = Device::new();
    (manager.with_policy(policy), data_dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_signs_in_with_their_email_address_found_in_the_directory() {
    let hs = start_server().await;
    let admin = hs
        .register_user("admin", PASSWORD, true)
        .await
        .expect("an administrator");
    hs.register_user("jean.dupont", PASSWORD, false)
        .await
        .expect("registered");
    let email = "Jean.Dupont@interieur.gouv.fr";
    hs.add_email(&admin, &hs.user_id("jean.dupont"), &email.to_lowercase())
        .await
        .expect("email added");
    let directory = IdentityServer::start().await.expect("the directory");
    directory.map(email, &hs.server_name());
    // The first directory of the list is down: the next one answers.
    let policy = Policy {
        identity_servers: vec!["http://127.0.0.1:9".to_owned(), directory.base_url()],
        ..Policy::default()
    };
    let (manager, _data) = installation(policy);

    let account = manager
        .sign_in(sign_in(None, email))
        .await
        .expect("signed in by email");
    assert_eq!(account.user_id(), hs.user_id("jean.dupont"));
    assert_eq!(directory.asked(), vec![email.to_owned()]);

    // An address the directory does not know, and a wrong password, each say so.
    let error = manager
        .sign_in(sign_in(None, "personne@interieur.gouv.fr"))
        .await
        .expect_err("unknown address");
    assert!(
        matches!(error, Error::Auth(AuthError::EmailNotFound)),
        "{error:?}"
    );
    assert_eq!(error.code(), "auth.email_not_found");
    let error = manager
        .sign_in(SignIn {
            password: Zeroizing::new("wrong".to_owned()),
            ..sign_in(None, email)
        })
        .await
        .expect_err("wrong password");
    assert_eq!(error.code(), "auth.wrong_credentials", "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_out_of_reach_and_a_server_the_policy_forbids_are_refused_and_leave_nothing() {
    let hs = start_server().await;
    hs.register_user("alice", PASSWORD, false)
        .await
        .expect("registered");

    // Only unreachable directories: the address cannot be placed.
    let (manager, _data) = installation(Policy {
        identity_servers: vec!["http://127.0.0.1:9".to_owned()],
        ..Policy::default()
    });
    let error = manager
        .sign_in(sign_in(None, "alice@interieur.gouv.fr"))
        .await
        .expect_err("no directory");
    assert_eq!(error.code(), "auth.email_lookup_failed", "{error:?}");

    // Another ministry's server only: this one is refused before any password is sent.
    let (manager, _data) = installation(Policy {
        allowed_homeservers: vec!["agent.tchap.gouv.fr".to_owned()],
        ..Policy::default()
    });
    let error = manager
        .sign_in(sign_in(Some(hs.base_url()), "alice"))
        .await
        .expect_err("not allowed");
    assert!(
        matches!(&error, Error::Auth(AuthError::ServerNotAllowed(server)) if server == &hs.server_name()),
        "{error:?}"
    );
    let error = manager
        .sign_in(sign_in(None, &hs.user_id("alice")))
        .await
        .expect_err("not allowed either by a full ID");
    assert_eq!(error.code(), "auth.server_not_allowed");
    assert!(manager.restore_all().await.expect("index").is_empty());

    // The server itself allowed, and the default: the form may leave the server out.
    let (manager, _data) = installation(Policy {
        allowed_homeservers: vec![hs.base_url()],
        ..Policy::default()
    });
    let account = manager
        .sign_in(sign_in(None, "alice"))
        .await
        .expect("signed in to the only server allowed");
    assert_eq!(account.user_id(), hs.user_id("alice"));

    // Single sign-on only: no password goes anywhere.
    let (manager, _data) = installation(Policy {
        sso_only: true,
        ..Policy::default()
    });
    let error = manager
        .sign_in(sign_in(Some(hs.base_url()), "alice"))
        .await
        .expect_err("passwords refused");
    assert_eq!(error.code(), "auth.password_sign_in_disabled", "{error:?}");

    // A policy file with a typo blocks every sign-in rather than allowing everything.
    let dir = tempfile::tempdir().expect("a folder");
    let path = dir.path().join("policy.json");
    std::fs::write(
        &path,
        r#"{ "allowed_homeserver": ["agent.tchap.gouv.fr"] }"#,
    )
    .expect("written");
    let (manager, _data) = installation(Policy::load_from(&path));
    let error = manager
        .sign_in(sign_in(Some(hs.base_url()), "alice"))
        .await
        .expect_err("blocked");
    assert_eq!(error.code(), "auth.policy_unreadable", "{error:?}");
}

/// A server too old for Estafette is named as such, with what it lacks, before any password
/// is sent (the SDK's mock server: a Synapse without it cannot be made here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_simplified_sliding_sync_is_refused_naming_what_it_lacks() {
    init();
    let server = matrix_sdk::test_utils::mocks::MatrixMockServer::new().await;
    server.mock_versions().ok().mount().await;
    let (manager, _data) = installation(Policy::default());
    let error = manager
        .sign_in(sign_in(Some(server.uri()), "alice"))
        .await
        .expect_err("too old");
    assert!(
        matches!(error, Error::Auth(AuthError::NoSlidingSync)),
        "{error:?}"
    );
    assert!(error.to_string().contains("Simplified Sliding Sync"));
    let logins = server
        .server()
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|request| request.url.path().ends_with("/login"))
        .count();
    assert_eq!(logins, 0, "no password was sent");
    assert!(manager.restore_all().await.expect("index").is_empty());
}

/// The address the app would open in the browser, and the sign-in waiting for the browser to
/// come back: the sign-in runs in a task so that the test can play the browser.
fn start_sso(
    manager: &std::sync::Arc<AccountManager>,
    request: SsoSignIn,
) -> (
    tokio::sync::oneshot::Receiver<String>,
    tokio::task::JoinHandle<Result<std::sync::Arc<estafette_core::Account>, Error>>,
) {
    let (address_tx, address_rx) = tokio::sync::oneshot::channel();
    let manager = manager.clone();
    let signing_in = tokio::spawn(async move {
        manager
            .sign_in_with_sso(request, move |address| {
                address_tx
                    .send(address.to_owned())
                    .map_err(|_| "the test stopped listening".to_owned())
            })
            .await
    });
    (address_rx, signing_in)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_signs_in_through_the_portal_and_a_forged_return_is_refused() {
    init();
    let portal = OidcProvider::start().await.expect("the portal");
    let hs = Homeserver::start_with_sso(&portal)
        .await
        .expect("Synapse with single sign-on");
    let (manager, data) = installation(Policy {
        default_homeserver: Some(hs.server_name()),
        sso_only: true,
        ..Policy::default()
    });
    let manager = std::sync::Arc::new(manager);

    // The form learns the portal's name from the server, with nothing typed.
    let options = manager.probe_server(None, "").await.expect("probed");
    assert!(options.supports_sso && options.supports_password);
    assert_eq!(
        options.sso_providers,
        vec![SsoProvider {
            id: PORTAL_ID.to_owned(),
            name: PORTAL_NAME.to_owned(),
        }]
    );

    // The browser goes to the portal chosen, the agent signs in there, and comes back.
    let (address, signing_in) = start_sso(
        &manager,
        SsoSignIn {
            provider: Some(PORTAL_ID.to_owned()),
            ..SsoSignIn::default()
        },
    );
    let address = address.await.expect("the browser is opened");
    assert!(
        address.contains(&format!("/login/sso/redirect/{PORTAL_ID}")),
        "{address}"
    );
    let mut browser = PortalBrowser::new();
    let page = browser
        .sign_in(&address, "jeanne.martin")
        .await
        .expect("the portal's form and the way back");
    assert!(page.contains("Go back to Estafette"), "{page}");
    let account = signing_in
        .await
        .expect("joined")
        .expect("signed in through the portal");
    assert_eq!(account.user_id(), hs.user_id("jeanne.martin"));
    let profile = account.profile().get().await.expect("the session works");
    assert_eq!(profile.display_name.as_deref(), Some("jeanne.martin"));
    // Her password is the portal's: the settings say to change it there.
    let error = account
        .password()
        .change(
            Zeroizing::new("anything".to_owned()),
            Zeroizing::new("Nouveau-mot-de-passe-1".to_owned()),
            false,
        )
        .await
        .expect_err("no password here");
    assert_eq!(Error::from(error).code(), "password.not_available");

    // A restart restores the session from the keychain, as after a password sign-in.
    manager.shut_down().await;
    let reopened = AccountManager::new(manager.config().clone());
    let restored = reopened.restore_all().await.expect("index");
    assert_eq!(restored.len(), 1);
    let (info, result) = &restored[0];
    assert_eq!(info.user_id, hs.user_id("jeanne.martin"));
    assert!(result.is_ok(), "{result:?}");
    reopened.shut_down().await;

    // Another program of this machine that guesses nothing cannot bring a token; one that
    // brings a forged token to the real address gets a refusal, and nothing is kept.
    let (manager, other_data) = installation(Policy::default());
    let manager = std::sync::Arc::new(manager);
    let (address, signing_in) = start_sso(
        &manager,
        SsoSignIn {
            homeserver: Some(hs.base_url()),
            ..SsoSignIn::default()
        },
    );
    let address = url::Url::parse(&address.await.expect("the browser is opened")).expect("a URL");
    let back = address
        .query_pairs()
        .find(|(name, _)| name == "redirectUrl")
        .map(|(_, value)| value.into_owned())
        .expect("the way back to the app");
    assert!(back.starts_with("http://127.0.0.1:"), "{back}");
    let forged = reqwest::get(format!("{back}?loginToken=syl_forged_token"))
        .await
        .expect("the app's address answers");
    assert!(forged.status().is_success());
    let error = signing_in
        .await
        .expect("joined")
        .expect_err("a forged token is refused");
    assert!(
        matches!(error, Error::Auth(AuthError::SsoRefused)),
        "{error:?}"
    );
    assert_eq!(error.code(), "auth.sso_refused");
    assert!(manager.saved_accounts().await.expect("index").is_empty());
    assert!(
        manager.restore_all().await.expect("index").is_empty(),
        "nothing kept of the failed sign-in"
    );
    let left = std::fs::read_dir(other_data.path().join("accounts"))
        .map(|entries| entries.count())
        .unwrap_or(0);
    assert_eq!(left, 0, "no store kept of the refused sign-in");

    // A server without single sign-on says so before any browser opens.
    let plain = start_server().await;
    let error = manager
        .sign_in_with_sso(
            SsoSignIn {
                homeserver: Some(plain.base_url()),
                ..SsoSignIn::default()
            },
            |_| panic!("no browser for a server without single sign-on"),
        )
        .await
        .expect_err("no single sign-on there");
    assert_eq!(error.code(), "auth.sso_unsupported", "{error:?}");
    drop(data);
}

/// Where the server's accounts live at an OAuth 2.0 authorization server (next-generation
/// auth), the SDK's OAuth support signs in: Estafette registers itself, the browser goes to the
/// authorization server, and its answer comes back to the loopback address. The Matrix
/// Authentication Service cannot be installed here, so the SDK's mock server plays both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_with_next_generation_auth_signs_in_through_its_authorization_server() {
    use matrix_sdk::test_utils::mocks::MatrixMockServer;
    use wiremock::{Mock, ResponseTemplate, matchers};

    init();
    let server = MatrixMockServer::new().await;
    server
        .mock_versions()
        .with_simplified_sliding_sync()
        .ok()
        .mount()
        .await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/_matrix/client/v3/login"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({ "flows": [{ "type": "m.login.sso" }] })),
        )
        .mount(server.server())
        .await;
    let authorization_server = server.oauth();
    authorization_server
        .mock_server_metadata()
        .ok()
        .mount()
        .await;
    authorization_server.mock_registration().ok().mount().await;
    authorization_server.mock_token().ok().mount().await;
    server.mock_who_am_i().ok().mount().await;
    let (manager, data) = installation(Policy::default());
    let manager = std::sync::Arc::new(manager);

    let options = manager
        .probe_server(Some(&server.uri()), "")
        .await
        .expect("probed");
    assert!(options.supports_oauth);

    // The person consents at the authorization server, which sends the browser back.
    let request = SsoSignIn {
        homeserver: Some(server.uri()),
        ..SsoSignIn::default()
    };
    let (address, signing_in) = start_sso(&manager, request.clone());
    let (back, state) = authorization_request(&address.await.expect("the browser is opened"));
    let answer = reqwest::get(format!("{back}?code=the-code&state={state}"))
        .await
        .expect("the app's address answers");
    assert!(answer.status().is_success());
    let account = signing_in
        .await
        .expect("joined")
        .expect("signed in through the authorization server");
    assert_eq!(account.user_id(), "@joe:example.org");
    assert_eq!(
        account.info().oauth_client_id.as_deref(),
        Some("test_client_id")
    );
    manager.shut_down().await;
    let reopened = AccountManager::new(manager.config().clone());
    let restored = reopened.restore_all().await.expect("index");
    assert_eq!(restored.len(), 1);
    assert!(restored[0].1.is_ok(), "{:?}", restored[0].1);
    reopened.shut_down().await;

    // Refused at the authorization server, or answered with another sign-in's state: no
    // session, nothing kept.
    let (manager, other_data) = installation(Policy::default());
    let manager = std::sync::Arc::new(manager);
    for answer in [
        "error=access_denied&state={state}",
        "code=the-code&state=not-ours",
    ] {
        let (address, signing_in) = start_sso(&manager, request.clone());
        let (back, state) = authorization_request(&address.await.expect("the browser is opened"));
        reqwest::get(format!("{back}?{}", answer.replace("{state}", &state)))
            .await
            .expect("the app's address answers");
        let error = signing_in.await.expect("joined").expect_err("no sign-in");
        assert_eq!(error.code(), "auth.sso_refused", "{answer}: {error:?}");
    }
    assert!(manager.saved_accounts().await.expect("index").is_empty());

    // Given up while the browser is open: what was created for it goes too.
    let (address, signing_in) = start_sso(&manager, request);
    address.await.expect("the browser is opened");
    signing_in.abort();
    let accounts = other_data.path().join("accounts");
    eventually("the abandoned sign-in's data to be gone", || async {
        let left = std::fs::read_dir(&accounts)
            .map(|entries| entries.count())
            .unwrap_or(0);
        (left == 0).then_some(())
    })
    .await;
    drop(data);
}

/// Where the authorization server must send the browser back, and the state it must carry.
fn authorization_request(address: &str) -> (String, String) {
    let address = url::Url::parse(address).expect("a URL");
    let parameter = |name: &str| {
        address
            .query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
            .unwrap_or_else(|| panic!("{name} in {address}"))
    };
    let back = parameter("redirect_uri");
    assert!(back.starts_with("http://127.0.0.1:"), "{back}");
    (back, parameter("state"))
}
