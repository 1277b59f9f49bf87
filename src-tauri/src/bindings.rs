//! The TypeScript the UI imports: every command and every type crossing the IPC boundary,
//! generated from the Rust definitions. `tests/bindings.rs` fails when the committed file is
//! stale; `cargo xtask bindings` rewrites it.

use std::path::Path;

use specta_typescript::Typescript;
use tauri_specta::{Builder, ErrorHandlingMode, collect_commands};

use crate::commands::{
    accounts, calls, encryption, files, gestures, notifications, people, profile, room_admin,
    rooms, system, timeline,
};

/// Relative to the `src-tauri` folder.
pub const BINDINGS_PATH: &str = "../ui/src/lib/bindings.ts";

pub fn specta_builder() -> Builder<tauri::Wry> {
    Builder::<tauri::Wry>::new()
        .commands(collect_commands![
            calls::watch_calls,
            calls::watch_call_video,
            calls::place_call,
            calls::accept_call,
            calls::decline_call,
            calls::hang_up_call,
            calls::set_call_microphone_muted,
            calls::set_call_camera_on,
            calls::dismiss_call,
            calls::call_devices,
            calls::watch_call_history,
            notifications::watch_notices,
            notifications::show_notification,
            notifications::close_notification,
            notifications::watch_notification_clicks,
            notifications::room_notification_level,
            notifications::set_room_notification_level,
            notifications::notification_defaults,
            notifications::set_notification_default,
            notifications::notification_keywords,
            notifications::add_notification_keyword,
            notifications::remove_notification_keyword,
            notifications::preferences,
            notifications::set_preferences,
            notifications::watch_unread_totals,
            notifications::update_tray,
            people::search_people,
            people::public_rooms,
            people::invite_people,
            people::leave_room,
            people::forget_room,
            people::set_room_favourite,
            people::set_room_low_priority,
            people::mark_room_as_unread,
            people::ignore_user,
            people::unignore_user,
            people::ignored_users,
            room_admin::watch_room_details,
            room_admin::watch_room_people,
            room_admin::set_room_name,
            room_admin::set_room_topic,
            room_admin::set_room_avatar,
            room_admin::remove_room_avatar,
            room_admin::set_room_access,
            room_admin::room_listed_in_directory,
            room_admin::set_room_listed_in_directory,
            room_admin::set_room_history,
            room_admin::enable_room_encryption,
            room_admin::set_member_role,
            room_admin::remove_member,
            room_admin::ban_member,
            room_admin::unban_member,
            room_admin::accept_knock,
            room_admin::refuse_knock,
            room_admin::knock_room,
            room_admin::leave_warning,
            room_admin::trust_in_user,
            profile::own_profile,
            profile::set_display_name,
            profile::set_avatar,
            profile::remove_avatar,
            accounts::launch_info,
            accounts::restored_accounts,
            accounts::retry_restore,
            accounts::sign_in,
            accounts::sign_out,
            accounts::request_renewal_email,
            accounts::retry_sync,
            accounts::watch_sync_state,
            rooms::watch_room_list,
            rooms::watch_room_list_loading,
            rooms::set_room_list_query,
            rooms::load_more_rooms,
            rooms::create_direct_message,
            rooms::create_room,
            rooms::accept_invite,
            rooms::decline_invite,
            rooms::join_room,
            rooms::room_members,
            rooms::mark_room_as_read,
            timeline::open_timeline,
            timeline::open_thread,
            timeline::open_timeline_around,
            timeline::paginate_backwards,
            timeline::paginate_forwards,
            timeline::send_message,
            timeline::retry_send,
            timeline::cancel_send,
            timeline::unsubscribe,
            gestures::edit_message,
            gestures::delete_message,
            gestures::toggle_reaction,
            gestures::load_quote,
            gestures::link_target,
            gestures::event_source,
            gestures::set_typing,
            gestures::watch_typing,
            gestures::watch_members,
            gestures::watch_permissions,
            gestures::mark_read_up_to,
            gestures::send_read_receipt,
            gestures::mark_as_read,
            gestures::load_draft,
            gestures::save_draft,
            encryption::watch_security_status,
            encryption::set_up_recovery,
            encryption::save_recovery_key,
            encryption::recover,
            encryption::reset_identity,
            encryption::sign_out_risk,
            encryption::watch_incoming_verifications,
            encryption::verify_this_device,
            encryption::verify_own_device,
            encryption::verify_user,
            encryption::watch_verification,
            encryption::accept_verification,
            encryption::confirm_verification,
            encryption::reject_verification,
            encryption::cancel_verification,
            encryption::own_devices,
            encryption::rename_device,
            encryption::sign_out_devices,
            encryption::copy_recovery_key,
            encryption::export_room_keys,
            encryption::import_room_keys,
            encryption::watch_identity_warnings,
            encryption::acknowledge_identity_change,
            files::choose_files,
            files::watch_dropped_files,
            files::send_chosen_file,
            files::paste_files,
            files::paste_from_clipboard,
            files::download_file,
            files::save_file_as,
            files::cancel_transfer,
            files::open_saved_file,
            files::show_saved_file,
            system::open_link,
            system::report_painted,
        ])
        // Every code a command can fail with, so that the UI's tests can check each one's texts.
        .constant("ERROR_CODES", crate::error::every_error_code())
        // Timestamps (ms since 1970) and counters stay far below 2^53: plain numbers.
        .dangerously_cast_bigints_to_number()
        // One TypeScript type per Rust type: none of ours serialise differently in each direction.
        .disable_serde_phases()
        // A failed command rejects its promise with `{ code, message }`; `ui/src/lib/backend.ts`
        // turns that into a typed error.
        .error_handling(ErrorHandlingMode::Throw)
}

/// Writes the bindings to `path`.
pub fn export_bindings(path: &Path) -> Result<(), String> {
    specta_builder()
        .export(
            Typescript::default().header("// Generated from src-tauri by tauri-specta: do not edit.\n// Regenerate with `cargo xtask bindings`.\n"),
            path,
        )
        .map_err(|error| error.to_string())
}
