//! The settings window as a person uses it: the display name another person then sees, the
//! language switched at once everywhere, and a theme that survives a restart.

use estafette_e2e::{AppWindow, eventually};

use super::World;

/// The `<html>` element's theme attribute (what `app.css` reads).
async fn theme(app: &AppWindow) -> String {
    app.execute(
        "return document.documentElement.dataset.theme ?? '';",
        serde_json::json!([]),
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

async fn open_settings(app: &AppWindow, accounts: &str, settings: &str) {
    app.click(&app.find_containing("button", accounts).await)
        .await;
    app.click(&app.find("button", settings).await).await;
    app.find("dialog", settings).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn names_switches_language_at_once_and_keeps_the_theme_after_a_restart() {
    let test_name = "names_switches_language_at_once_and_keeps_the_theme_after_a_restart";
    let (world, driver, app) = World::open("en", test_name).await;
    world.sign_in(&app).await;
    app.click(&app.find("button", "bob").await).await;
    app.click(&app.find("button", "Accept").await).await;
    app.find("textbox", "Message to bob").await;

    // The name: saved on the server, seen by bob's client in their conversation.
    open_settings(&app, "Accounts", "Settings").await;
    app.click(&app.find("tab", "Account").await).await;
    let name = app.find("textbox", "Display name").await;
    // The server's name for a new account is its username, shown once read.
    eventually("the display name to be read", || async {
        (app.value(&name).await == "alice").then_some(())
    })
    .await;
    app.clear(&name).await;
    app.type_into(&name, "Alice Martin").await;
    app.click(&app.find("button", "Save name").await).await;
    app.find("status", "Saved.").await;
    let alice = world.server.user_id("alice");
    eventually("bob to see alice's new name", || async {
        let members = world.bob.account.rooms().members(&world.dm_id).await.ok()?;
        members
            .iter()
            .any(|member| {
                member.user_id == alice && member.display_name.as_deref() == Some("Alice Martin")
            })
            .then_some(())
    })
    .await;

    // The language: every string at once, in the dialog and behind it.
    app.click(&app.find("tab", "Language").await).await;
    app.click(&app.find("radio", "Français").await).await;
    app.find("dialog", "Paramètres").await;
    app.find("tab", "Langue").await;
    app.find("tab", "Compte").await;
    assert_eq!(app.count("tab", "Language").await, 0, "no English tab left");

    // The theme: dark at once, and after a restart.
    app.click(&app.find("tab", "Apparence").await).await;
    app.click(&app.find("radio", "Sombre").await).await;
    assert_eq!(theme(&app).await, "dark");
    app.click(&app.find("button", "Fermer").await).await;
    app.wait_until_gone("dialog", "Paramètres").await;
    app.find("searchbox", "Filtrer les conversations").await;
    app.find("textbox", "Message à bob").await;
    let lang = app
        .execute(
            "return document.documentElement.lang;",
            serde_json::json!([]),
        )
        .await;
    assert_eq!(lang.as_str(), Some("fr"));
    app.close().await;

    let app = driver.launch(test_name).await;
    app.find("searchbox", "Filtrer les conversations").await;
    assert_eq!(
        theme(&app).await,
        "dark",
        "the theme is kept on this computer"
    );
    // The recovery set-up put off at the first start stays a calm banner: no dialog now.
    app.find("button", "Configurer la récupération").await;
    assert_eq!(
        app.count("dialog", "Protégez vos messages chiffrés").await,
        0
    );
    app.close().await;
}
