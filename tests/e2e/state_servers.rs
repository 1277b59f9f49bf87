//! The administrator's policy and the state's email directory in the app (issue 16): the
//! server the policy names is filled in, a server it does not allow is refused with words
//! that say so, and alice signs in with her work email address alone, her server found by
//! the directory. Where only single sign-on is allowed, no password form is shown. An account
//! that expires says so, and comes back once renewed from the email's link.

use estafette_e2e::{Installation, Key, PASSWORD, TauriDriver, VirtualDisplay, eventually};
use estafette_testkit::{Homeserver, IdentityServer, MailSink};

use super::{World, postpone_recovery};

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_signs_in_by_email_and_a_server_the_policy_forbids_is_refused() {
    let world = World::new("en").await;
    let admin = world
        .server
        .register_user("admin", PASSWORD, true)
        .await
        .expect("an administrator");
    let email = "alice.martin@interieur.gouv.fr";
    world
        .server
        .add_email(&admin, &world.server.user_id("alice"), email)
        .await
        .expect("alice's email");
    let directory = IdentityServer::start().await.expect("the directory");
    directory.map(email, &world.server.server_name());
    let policy = world.alice.data_dir.path().join("policy.json");
    std::fs::write(
        &policy,
        serde_json::json!({
            "default_homeserver": world.server.server_name(),
            "allowed_homeservers": [world.server.server_name(), "agent.tchap.gouv.fr"],
            "identity_servers": [directory.base_url()],
        })
        .to_string(),
    )
    .expect("policy written");
    let mut environment = world.alice.environment(&world.display);
    environment.push(("ESTAFETTE_POLICY".into(), policy.display().to_string()));
    let driver = TauriDriver::start(&environment);
    let app = driver
        .launch("an_agent_signs_in_by_email_and_a_server_the_policy_forbids_is_refused")
        .await;

    // The policy's server is filled in, and the form asks for a work email address.
    let homeserver = app.find("textbox", "Homeserver").await;
    assert_eq!(app.value(&homeserver).await, world.server.server_name());
    app.wait_for_text("Your work email address, or your username")
        .await;

    // Another server: refused before any password leaves, in words.
    app.clear(&homeserver).await;
    app.submit_sign_in("127.0.0.1:9", "alice", PASSWORD).await;
    app.find_containing(
        "alert",
        "Your administrator does not allow signing in to this server",
    )
    .await;
    assert!(directory.asked().is_empty());

    // The email address alone: the directory names alice's server. The server is erased key
    // by key, as a person does (WebDriver's clear tells the page nothing).
    let erase: String = std::iter::once(Key::End.code())
        .chain(std::iter::repeat_n(Key::Backspace.code(), 20))
        .collect();
    app.type_into(&homeserver, &erase).await;
    let username = app.find("textbox", "Username").await;
    app.type_into(&username, &erase).await;
    app.type_into(&username, email).await;
    let password = app.find("textbox", "Password").await;
    let erase_password: String = std::iter::once(Key::End.code())
        .chain(std::iter::repeat_n(
            Key::Backspace.code(),
            PASSWORD.len() + 5,
        ))
        .collect();
    app.type_into(&password, &erase_password).await;
    app.type_into(&password, &format!("{PASSWORD}{}", Key::Enter.code()))
        .await;
    app.find("navigation", "Conversations").await;
    postpone_recovery(&app, "Protect your encrypted messages", "Later").await;
    assert_eq!(directory.asked(), vec![email.to_owned()]);
    app.close().await;
    drop(driver);

    // Single sign-on only, on another workstation: no password form at all, and words saying
    // why.
    let workstation = Installation::new("en");
    let policy = workstation.data_dir.path().join("policy.json");
    std::fs::write(&policy, r#"{ "sso_only": true }"#).expect("policy written");
    let mut environment = workstation.environment(&world.display);
    environment.push(("ESTAFETTE_POLICY".into(), policy.display().to_string()));
    let driver = TauriDriver::start(&environment);
    let app = driver.launch("sso_only_hides_the_password_form").await;
    app.wait_for_text("allows signing in only through your organisation's portal")
        .await;
    assert_eq!(app.count("textbox", "Password").await, 0);
    assert_eq!(app.count("button", "Sign in").await, 0);
    app.close().await;
}

/// An agent whose account expires sees why, has the renewal email sent, follows its link, and
/// is back in her conversations without signing in again.
#[tokio::test(flavor = "multi_thread")]
async fn an_expired_account_shows_the_renewal_screen_and_comes_back_once_renewed() {
    let mail = MailSink::start().await.expect("a mail sink");
    let mut server = Homeserver::start_with_account_validity(&mail)
        .await
        .expect("Synapse with account validity");
    let admin = server
        .register_user("admin", PASSWORD, true)
        .await
        .expect("an administrator");
    server
        .register_user("alice", PASSWORD, false)
        .await
        .expect("alice registered");
    let alice_id = server.user_id("alice");
    server
        .add_email(&admin, &alice_id, "alice.martin@interieur.gouv.fr")
        .await
        .expect("alice's email");
    let display = VirtualDisplay::start();
    let alice = Installation::new("en");
    let driver = TauriDriver::start(&alice.environment(&display));
    let app = driver
        .launch("an_expired_account_shows_the_renewal_screen_and_comes_back_once_renewed")
        .await;
    app.submit_sign_in(&server.base_url(), "alice", PASSWORD)
        .await;
    app.find("navigation", "Conversations").await;
    postpone_recovery(&app, "Protect your encrypted messages", "Later").await;

    let yesterday = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| since.as_millis() as u64)
        .unwrap_or(0)
        - 86_400_000;
    server
        .set_account_expiry(&admin, &alice_id, yesterday)
        .await
        .expect("alice's account expires");
    // The restart cuts the sync request in flight; the next one meets the expiry.
    server.restart().await.expect("Synapse restarts");

    app.find("region", "Your account has expired").await;
    assert_eq!(
        app.count("status", "Offline: showing saved messages. Reconnecting…")
            .await,
        0
    );
    app.click_named("button", "Send me a renewal email").await;
    app.wait_for_text("The email is on its way").await;
    let link = eventually("the renewal email to arrive", || async {
        mail.links()
            .into_iter()
            .find(|link| link.contains("/account_validity/renew?token="))
    })
    .await;
    let renewed = reqwest::get(&link).await.expect("the link answers");
    assert!(renewed.status().is_success(), "{}", renewed.status());

    app.click_named("button", "I renewed it, try again").await;
    app.wait_until_gone("region", "Your account has expired")
        .await;
    app.find("navigation", "Conversations").await;
    app.close().await;
}
