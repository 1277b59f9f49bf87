//! The administrator's policy and the state's email directory in the app (issue 16): the
//! server the policy names is filled in, a server it does not allow is refused with words
//! that say so, and alice signs in with her work email address alone, her server found by
//! the directory. Where only single sign-on is allowed, no password form is shown.

use estafette_e2e::{Installation, Key, PASSWORD, TauriDriver};
use estafette_testkit::IdentityServer;

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
