//! The benchmark's floor: the same Tauri, webview and profile as Estafette, showing an empty
//! page that reports its first paint. Estafette's start and memory are compared to this.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    estafette_app::run_empty_window();
}
