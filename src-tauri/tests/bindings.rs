//! The UI's TypeScript bindings and the window's capabilities must match the Rust commands.

use std::path::{Path, PathBuf};

use estafette_app::{BINDINGS_PATH, COMMAND_NAMES, export_bindings};

fn committed_bindings() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(BINDINGS_PATH)
}

fn generated_bindings() -> String {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("bindings.ts");
    export_bindings(&path).expect("bindings export");
    std::fs::read_to_string(&path).expect("generated bindings")
}

/// `ESTAFETTE_UPDATE_BINDINGS=1` (what `cargo xtask bindings` sets) rewrites the file instead.
#[test]
fn committed_typescript_bindings_are_up_to_date() {
    let generated = generated_bindings();
    let path = committed_bindings();
    if std::env::var_os("ESTAFETTE_UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &generated).expect("write bindings");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale: run `cargo xtask bindings` and commit the result",
        path.display()
    );
}

#[test]
fn every_command_is_bound_and_granted_to_the_main_window() {
    let generated = generated_bindings();
    let invocations = generated.matches("__TAURI_INVOKE<").count();
    assert_eq!(
        invocations,
        COMMAND_NAMES.len(),
        "commands registered vs. COMMAND_NAMES"
    );

    let capability_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("capabilities/main.json");
    let capability: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(capability_path).expect("capability file"))
            .expect("capability JSON");
    let granted: Vec<&str> = capability["permissions"]
        .as_array()
        .expect("permissions list")
        .iter()
        .filter_map(|permission| permission.as_str())
        .collect();
    for name in COMMAND_NAMES {
        assert!(
            generated.contains(&format!(">(\"{name}\"")),
            "{name} is in COMMAND_NAMES but not registered"
        );
        let permission = format!("allow-{}", name.replace('_', "-"));
        assert!(
            granted.contains(&permission.as_str()),
            "{permission} not granted"
        );
    }
    // Nothing from Tauri's own plugins: links, files and windows go through our commands.
    assert!(
        granted
            .iter()
            .all(|permission| permission.starts_with("allow-")),
        "unexpected grants: {granted:?}"
    );
}
