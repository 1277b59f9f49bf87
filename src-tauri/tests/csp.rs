//! The webview's Content Security Policy, as the app ships it: nothing runs but the app's own
//! scripts, and nothing loads from anywhere but the app and its media scheme.

use std::collections::BTreeMap;

fn policy() -> BTreeMap<String, String> {
    let config: serde_json::Value =
        serde_json::from_str(include_str!("../tauri.conf.json")).expect("tauri.conf.json is JSON");
    let csp = config["app"]["security"]["csp"]
        .as_object()
        .expect("the CSP is set, directive by directive");
    csp.iter()
        .map(|(directive, sources)| {
            (
                directive.clone(),
                sources.as_str().expect("sources as one string").to_owned(),
            )
        })
        .collect()
}

#[test]
fn only_the_app_and_its_media_scheme_are_sources() {
    let policy = policy();
    assert_eq!(policy["default-src"], "'self'");
    assert_eq!(policy["script-src"], "'self'");
    assert_eq!(policy["object-src"], "'none'");
    assert_eq!(policy["frame-src"], "'none'");
    assert_eq!(policy["base-uri"], "'none'");
    assert_eq!(policy["form-action"], "'none'");
    let allowed = [
        "'self'",
        "'none'",
        "ipc:",
        "http://ipc.localhost",
        "estafette-media:",
        "http://estafette-media.localhost",
        // Videos and sounds, fetched from the media scheme and played from memory.
        "blob:",
    ];
    for (directive, sources) in &policy {
        for source in sources.split_whitespace() {
            assert!(
                allowed.contains(&source),
                "{directive} allows {source}, which is neither the app nor its media"
            );
        }
    }
    // No inline code, no eval, no images smuggled in as data.
    assert!(!policy["img-src"].contains("data:"));
    assert!(!policy["media-src"].contains("data:"));
    assert!(policy["media-src"].contains("blob:"));
    assert!(!policy["img-src"].contains("blob:"));
}
