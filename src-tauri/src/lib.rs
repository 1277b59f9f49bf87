//! The desktop shell: hands `estafette-core`'s view-models to the web UI and forwards its
//! requests. No Matrix logic lives here; each command converts, calls the core, and maps
//! errors to `{ code, message }`.

// matrix-sdk futures are deeply nested; async commands awaiting them need a deeper limit.
#![recursion_limit = "256"]

mod autostart;
mod bindings;
mod clipboard;
mod commands;
mod error;
mod launch;
mod live;
mod media;
mod notifier;
mod preferences;
mod state;
mod tray;
mod window;

use tauri::{DragDropEvent, Manager, RunEvent, WindowEvent, webview::PageLoadEvent};

pub use bindings::{BINDINGS_PATH, export_bindings, specta_builder};
pub use launch::LaunchConfig;

include!("command_names.rs");

/// Starts the application; returns when its last window has closed.
pub fn run() {
    estafette_core::logging::log_to_stderr(
        "ESTAFETTE_LOG",
        "warn,estafette_core=info,estafette_app=info",
    );

    let launch = LaunchConfig::from_env();
    let app_state = match state::AppState::new(launch) {
        Ok(app_state) => app_state,
        Err(error) => {
            eprintln!("Estafette cannot start: {error}");
            std::process::exit(1);
        }
    };
    let specta = specta_builder();

    let app = tauri::Builder::default()
        // First, so that a second launch stops here and focuses the running window.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            window::bring_forward(app);
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        // Its Rust side only: its script that opens clicked links itself is left out, so links
        // leave through `open_link` and its checks.
        .plugin(
            tauri_plugin_opener::Builder::new()
                .open_js_links_on_click(false)
                .build(),
        )
        // Its Rust side only (the file chooser of `choose_files`): the page is granted nothing.
        .plugin(tauri_plugin_dialog::init())
        .register_asynchronous_uri_scheme_protocol(media::SCHEME, |context, request, responder| {
            let app = context.app_handle().clone();
            tauri::async_runtime::spawn(async move {
                responder.respond(media::respond(&app, request).await);
            });
        })
        .invoke_handler(specta.invoke_handler())
        .manage(app_state)
        .setup(|app| {
            app.state::<state::AppState>().restore_accounts();
            // On the main thread: clicks are delivered on its loop.
            #[cfg(target_os = "linux")]
            notifier::listen(app.handle());
            let has_tray = tray::create(app.handle());
            window::open_all(app.handle())?;
            if autostart::launched_minimised()
                && let Some(window) = app.get_webview_window("main")
            {
                // Started with the session: out of sight until asked for.
                let _ = if has_tray {
                    window.hide()
                } else {
                    window.minimize()
                };
            }
            Ok(())
        })
        // A reloaded or closed page can no longer receive its channels' messages.
        .on_page_load(|webview, payload| {
            if payload.event() == PageLoadEvent::Started {
                webview.state::<state::AppState>().live.close_all();
            }
        })
        .on_window_event(|window, event| match event {
            WindowEvent::Destroyed => window.state::<state::AppState>().live.close_all(),
            WindowEvent::DragDrop(DragDropEvent::Drop { paths, .. }) => {
                window
                    .state::<state::AppState>()
                    .files
                    .dropped(paths.clone());
            }
            WindowEvent::CloseRequested { api, .. } => {
                let app = window.app_handle();
                let keep_running = app
                    .state::<state::AppState>()
                    .preferences
                    .get()
                    .close_to_tray;
                // Without a tray icon on screen there would be no way back but launching it
                // again.
                if keep_running && tray::is_on_screen(app) {
                    api.prevent_close();
                    let _ = window.hide();
                }
            }
            WindowEvent::Resized(_) | WindowEvent::Moved(_) => {
                save_window_state_soon(window.app_handle());
            }
            _ => {}
        })
        .build(context());

    let app = match app {
        Ok(app) => app,
        Err(error) => {
            eprintln!("Estafette cannot start its window: {error}");
            std::process::exit(1);
        }
    };
    app.run(|app, event| {
        if let RunEvent::Exit = event {
            let state = app.state::<state::AppState>();
            state.live.close_all();
            tauri::async_runtime::block_on(state.manager.shut_down());
        }
    });
}

/// The benchmark's floor: one window showing `empty.html` (a page that only reports its first
/// paint), with the same Tauri, webview settings and profile as the real app.
pub fn run_empty_window() {
    let mut context = context();
    for window in &mut context.config_mut().app.windows {
        window.url = tauri::WebviewUrl::App("empty.html".into());
    }
    let result = tauri::Builder::default()
        .invoke_handler(specta_builder().invoke_handler())
        .setup(|app| Ok(window::open_all(app.handle())?))
        .run(context);
    if let Err(error) = result {
        eprintln!("the empty window cannot start: {error}");
        std::process::exit(1);
    }
}

/// Saves the window's size and position once it has stopped changing: the app may end without
/// a clean exit (session end, crash), and a resize fires dozens of events a second.
fn save_window_state_soon(app: &tauri::AppHandle) {
    use std::sync::atomic::{AtomicU64, Ordering};
    use tauri_plugin_window_state::{AppHandleExt, StateFlags};

    static LATEST_CHANGE: AtomicU64 = AtomicU64::new(0);
    let change = LATEST_CHANGE.fetch_add(1, Ordering::Relaxed) + 1;
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        if LATEST_CHANGE.load(Ordering::Relaxed) == change
            && let Err(error) = app.save_window_state(StateFlags::all())
        {
            tracing::warn!(%error, "window size and position not saved");
        }
    });
}

/// The configuration and embedded UI, compiled in once for both binaries.
fn context() -> tauri::Context<tauri::Wry> {
    tauri::generate_context!()
}
