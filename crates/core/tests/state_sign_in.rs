#![recursion_limit = "256"]
//! Signing in as the state's agents do (issue 16): an email address finds the agent's server
//! through the deployment's directory, and the administrator's policy decides which servers
//! may be used at all. Real Synapse, the kit's directory, the real Secret Service.

mod common;

use common::*;
use estafette_core::{AccountManager, Error, ErrorCode, SignIn, auth::AuthError, policy::Policy};
use estafette_testkit::IdentityServer;
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
