//! Declares the app's own commands so that the capability files must grant each one by name:
//! a command nobody granted cannot be called from the webview.

include!("src/command_names.rs");

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(COMMAND_NAMES);
    if let Err(error) =
        tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
    {
        eprintln!("tauri-build failed: {error:#}");
        std::process::exit(1);
    }
}
