//! The administrator's policy and the state's email directory in the app (issue 16): the
//! server the policy names is filled in, a server it does not allow is refused with words
//! that say so, and alice signs in with her work email address alone, her server found by
//! the directory. Where only single sign-on is allowed, no password form is shown, and the
//! agent signs in through the state's portal in the system browser (played by the test, as
//! the portal's form post). An account that expires says so, and comes back once renewed
//! from the email's link.

use estafette_e2e::{Installation, Key, PASSWORD, TauriDriver, VirtualDisplay, eventually};
use estafette_testkit::{
    Homeserver, IdentityServer, MailSink, OidcProvider, PORTAL_NAME, PortalBrowser,
};

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

/// A system browser for the app: a `xdg-open` first on its `PATH` that notes each address it
/// is asked to open, so that the test can go there as a person's browser would.
struct NotingBrowser {
    dir: tempfile::TempDir,
}

impl NotingBrowser {
    fn new() -> Self {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("a folder");
        let script = dir.path().join("xdg-open");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n",
                dir.path().join("opened").display()
            ),
        )
        .expect("written");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
            .expect("executable");
        Self { dir }
    }

    fn path_variable(&self) -> (String, String) {
        let system = std::env::var("PATH").unwrap_or_default();
        (
            "PATH".into(),
            format!("{}:{system}", self.dir.path().display()),
        )
    }

    fn opened(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("opened"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// Where the policy allows single sign-on only, the portal's button is the way in: it opens
/// the browser, can be given up while waiting, and once the agent signed in at the portal the
/// app is in her conversations.
#[tokio::test(flavor = "multi_thread")]
async fn an_agent_signs_in_through_the_portal_in_the_system_browser() {
    let portal = OidcProvider::start().await.expect("the portal");
    let server = Homeserver::start_with_sso(&portal)
        .await
        .expect("Synapse with single sign-on");
    let display = VirtualDisplay::start();
    let agent = Installation::new("en");
    let policy = agent.data_dir.path().join("policy.json");
    std::fs::write(
        &policy,
        serde_json::json!({ "default_homeserver": server.server_name(), "sso_only": true })
            .to_string(),
    )
    .expect("policy written");
    let browser = NotingBrowser::new();
    let mut environment = agent.environment(&display);
    environment.push(("ESTAFETTE_POLICY".into(), policy.display().to_string()));
    environment.push(browser.path_variable());
    let driver = TauriDriver::start(&environment);
    let app = driver
        .launch("an_agent_signs_in_through_the_portal_in_the_system_browser")
        .await;

    let portal_button = format!("Sign in with {PORTAL_NAME}");
    app.find("button", &portal_button).await;
    assert_eq!(app.count("textbox", "Password").await, 0);

    // Given up while the browser is open: the form is back as it was.
    app.click_named("button", &portal_button).await;
    app.find_containing("status", "Continue in your browser")
        .await;
    eventually("the browser to be opened", || async {
        (browser.opened().len() == 1).then_some(())
    })
    .await;
    // The keyboard is on "Cancel" while the browser is open, and back on the portal's button
    // once given up.
    let focused = || async {
        app.execute(
            "return document.activeElement?.textContent.replace(/[\\u2066-\\u2069]/g, '').trim() ?? '';",
            serde_json::json!([]),
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    };
    eventually("the focus on Cancel", || async {
        (focused().await == "Cancel").then_some(())
    })
    .await;
    app.click_named("button", "Cancel").await;
    app.wait_until_gone("button", "Cancel").await;
    eventually("the focus back on the portal's button", || async {
        (focused().await == portal_button).then_some(())
    })
    .await;

    // Signed in at the portal: the browser comes back to the app, which is in.
    app.click_named("button", &portal_button).await;
    let address = eventually("the browser to be opened again", || async {
        browser.opened().get(1).cloned()
    })
    .await;
    let page = PortalBrowser::new()
        .sign_in(&address, "jeanne.martin")
        .await
        .expect("the portal's form and the way back");
    assert!(page.contains("Go back to Estafette"), "{page}");
    app.find("navigation", "Conversations").await;
    postpone_recovery(&app, "Protect your encrypted messages", "Later").await;
    app.close().await;
}

/// The password is changed in the account settings: the server's rules are listed, a password
/// that breaks them is refused in words, and a good one is the new password.
#[tokio::test(flavor = "multi_thread")]
async fn the_password_changes_in_the_account_settings_within_the_servers_rules() {
    let server = Homeserver::start_with_password_policy()
        .await
        .expect("Synapse with a password policy");
    let first = "Premier-mot-de-passe-1";
    server
        .register_user("alice", first, false)
        .await
        .expect("alice registered");
    let display = VirtualDisplay::start();
    let alice = Installation::new("en");
    let driver = TauriDriver::start(&alice.environment(&display));
    let app = driver
        .launch("the_password_changes_in_the_account_settings_within_the_servers_rules")
        .await;
    app.submit_sign_in(&server.base_url(), "alice", first).await;
    app.find("navigation", "Conversations").await;
    postpone_recovery(&app, "Protect your encrypted messages", "Later").await;

    app.click(&app.find_containing("button", "Accounts").await)
        .await;
    app.click(&app.find("button", "Settings").await).await;
    app.find("dialog", "Settings").await;
    app.click(&app.find("tab", "Account").await).await;
    app.find("list", "Your server asks for").await;
    app.wait_for_text("at least 12 characters").await;

    let current = app.find("textbox", "Current password").await;
    let new = app.find("textbox", "New password").await;
    let again = app.find("textbox", "New password, again").await;
    app.type_into(&current, first).await;
    app.type_into(&new, "court").await;
    app.type_into(&again, "court").await;
    app.click_named("button", "Change password").await;
    app.find_containing("alert", "does not follow your server's rules")
        .await;

    let erase: String = std::iter::once(Key::End.code())
        .chain(std::iter::repeat_n(Key::Backspace.code(), 10))
        .collect();
    let second = "Deuxième-mot-de-passe-2";
    for field in [&new, &again] {
        app.type_into(field, &erase).await;
        app.type_into(field, second).await;
    }
    app.click_named("button", "Change password").await;
    app.find("status", "Your password has been changed.").await;

    // The server takes the new password, and no longer the old one.
    let login = |password: &str| {
        reqwest::Client::new()
            .post(format!("{}/_matrix/client/v3/login", server.base_url()))
            .json(&serde_json::json!({
                "type": "m.login.password",
                "identifier": { "type": "m.id.user", "user": "alice" },
                "password": password,
            }))
            .send()
    };
    assert!(login(second).await.expect("answered").status().is_success());
    assert_eq!(login(first).await.expect("answered").status().as_u16(), 403);
    app.close().await;
}
