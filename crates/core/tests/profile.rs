//! This user's profile and unread totals between real clients on a real Synapse (issue 13):
//! the name and avatar another person sees, and the figure of the tray following messages and
//! reading on another device; the password changed from the account settings.

#![recursion_limit = "256"]

mod common;

use std::io::Cursor;

use common::*;
use estafette_core::{
    ErrorCode, SignIn, Subscription,
    profile::ProfileError,
    timeline::{EventContent, TimelineItem},
    unread::UnreadTotals,
};
use zeroize::Zeroizing;

/// Waits for totals that satisfy `wanted`, failing the test if none come.
async fn totals_until(
    totals: &mut Subscription<UnreadTotals>,
    what: &str,
    wanted: impl Fn(&UnreadTotals) -> bool,
) -> UnreadTotals {
    tokio::time::timeout(PATIENCE, async {
        loop {
            let now = totals.next().await.expect("the totals are open");
            if wanted(&now) {
                return now;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no totals in time for {what}"))
}

fn photo(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_pixel(width, height, image::Rgb([30, 90, 200]));
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Jpeg)
        .expect("encoded");
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_name_and_avatar_reach_the_other_side_and_bad_ones_change_nothing() {
    let hs = start_server().await;
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    let dm = encrypted_dm(&alice, &bob).await;

    alice
        .profile()
        .set_display_name("  Alice Martin ")
        .await
        .expect("name saved");
    let avatar = alice
        .profile()
        .set_avatar(photo(1200, 800))
        .await
        .expect("avatar saved");
    assert!(avatar.starts_with("mxc://"), "{avatar}");
    let profile = alice.profile().get().await.expect("profile read");
    assert_eq!(profile.display_name.as_deref(), Some("Alice Martin"));
    assert_eq!(profile.avatar_url.as_deref(), Some(avatar.as_str()));
    assert_eq!(profile.user_id, alice.user_id());

    // bob sees both in the conversation, as the server changed alice's membership there.
    eventually("bob to see alice's name and picture", || async {
        let members = bob.rooms().members(&dm).await.ok()?;
        members
            .iter()
            .any(|member| {
                member.user_id == alice.user_id()
                    && member.display_name.as_deref() == Some("Alice Martin")
                    && member.avatar_url.as_deref() == Some(avatar.as_str())
            })
            .then_some(())
    })
    .await;

    // A blank or overlong name, or a file that is no picture: refused, nothing changed.
    assert!(matches!(
        alice.profile().set_display_name("   ").await,
        Err(ProfileError::InvalidName)
    ));
    assert!(matches!(
        alice.profile().set_display_name(&"é".repeat(257)).await,
        Err(ProfileError::InvalidName)
    ));
    assert!(matches!(
        alice
            .profile()
            .set_avatar(b"%PDF-1.7 not a picture".to_vec())
            .await,
        Err(ProfileError::NotAPicture)
    ));
    let profile = alice.profile().get().await.expect("profile read");
    assert_eq!(profile.display_name.as_deref(), Some("Alice Martin"));
    assert_eq!(profile.avatar_url.as_deref(), Some(avatar.as_str()));

    alice
        .profile()
        .remove_avatar()
        .await
        .expect("avatar removed");
    assert_eq!(alice.profile().get().await.expect("read").avatar_url, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unread_totals_follow_messages_invitations_and_reading_on_another_device() {
    let hs = start_server().await;
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    let dm = encrypted_dm(&bob, &alice).await;
    let mut totals = alice.rooms().unread_totals();
    totals_until(&mut totals, "the first totals", |_| true).await;

    let (bob_dm, _bob_live) = open_timeline(&bob, &dm).await;
    for text in ["un", "deux", "trois"] {
        bob_dm.send_markdown(text).await.expect("queued");
    }
    let now = totals_until(&mut totals, "three messages", |now| now.notifications == 3).await;
    assert_eq!(now.badge(), 3);

    // An invitation counts until answered.
    let team = room_with_invite(&bob, "Équipe", &alice).await;
    totals_until(&mut totals, "the invitation", |now| now.invites == 1).await;
    accept_invite_once_it_arrives(&alice, &team).await;
    totals_until(&mut totals, "the invitation answered", |now| {
        now.invites == 0
    })
    .await;

    // Read on another device of alice's: the count goes back to nothing here too.
    let other = Device::new();
    let alice_elsewhere = other.sign_in(&hs, "alice").await;
    let (elsewhere, _elsewhere_live) = open_timeline(&alice_elsewhere, &dm).await;
    // A device newer than the messages cannot decrypt them (no key backup here); it can still
    // say it read them.
    eventually("the other device to have the messages", || async {
        let from_bob = elsewhere
            .items()
            .await
            .iter()
            .filter_map(TimelineItem::as_event)
            .filter(|event| {
                event.sender.user_id == bob.user_id()
                    && matches!(
                        event.content,
                        EventContent::Text { .. } | EventContent::UnableToDecrypt { .. }
                    )
            })
            .count();
        (from_bob >= 3).then_some(())
    })
    .await;
    elsewhere.send_read_receipt().await.expect("read there");
    let now = totals_until(&mut totals, "reading elsewhere", |now| {
        now.notifications == 0
    })
    .await;
    assert_eq!(now, UnreadTotals::default());
}

/// The password is changed from the account settings: the server's rules are known before
/// anything is sent, a weak password or a wrong current one each get their own refusal, and
/// "sign out my other devices" ends the other sessions while this one goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_password_changes_within_the_servers_rules_and_other_devices_can_be_signed_out() {
    use estafette_core::password::{PasswordError, PasswordRule};

    init();
    let hs = Homeserver::start_with_password_policy()
        .await
        .expect("Synapse with a password policy");
    let first = "Premier-mot-de-passe-1";
    hs.register_user("alice", first, false)
        .await
        .expect("registered");
    let sign_in = async |device: &Device, password: &str| {
        device
            .manager
            .sign_in(SignIn {
                homeserver: Some(hs.base_url()),
                username: "alice".to_owned(),
                password: Zeroizing::new(password.to_owned()),
            })
            .await
    };
    let laptop = Device::new();
    let alice = sign_in(&laptop, first).await.expect("signed in");
    let phone = Device::new();
    let on_phone = sign_in(&phone, first).await.expect("signed in elsewhere");

    let policy = alice.password().policy().await.expect("the rules");
    assert_eq!(policy.minimum_length, Some(12));
    assert!(policy.require_digit && policy.require_symbol && policy.require_uppercase);

    let change = async |current: &str, new: &str, others: bool| {
        alice
            .password()
            .change(
                Zeroizing::new(current.to_owned()),
                Zeroizing::new(new.to_owned()),
                others,
            )
            .await
    };
    let error = change(first, "trop court", false)
        .await
        .expect_err("too weak");
    assert!(
        matches!(&error, PasswordError::TooWeak(rules) if rules == &[PasswordRule::MinimumLength, PasswordRule::Digit, PasswordRule::Uppercase]),
        "{error:?}"
    );
    let second = "Deuxième-mot-de-passe-2";
    let error = change("Pas-le-bon-mot-2", second, false)
        .await
        .expect_err("wrong current password");
    assert!(matches!(error, PasswordError::WrongPassword), "{error:?}");
    assert_eq!(estafette_core::Error::from(error).code(), "password.wrong");

    // Changed, keeping the other devices: the phone goes on.
    change(first, second, false).await.expect("changed");
    on_phone
        .profile()
        .get()
        .await
        .expect("the phone still signed in");
    // Changed again, signing the others out: this session goes on, the phone's is over; the
    // new password signs in, the old ones do not.
    let third = "Troisième-mot-de-passe-3";
    change(second, third, true).await.expect("changed again");
    alice
        .profile()
        .get()
        .await
        .expect("this device still signed in");
    eventually("the phone's session to end", || async {
        on_phone.profile().get().await.is_err().then_some(())
    })
    .await;
    for old in [first, second] {
        let error = sign_in(&Device::new(), old)
            .await
            .expect_err("an old password");
        assert_eq!(error.code(), "auth.wrong_credentials");
    }
    sign_in(&Device::new(), third)
        .await
        .expect("the new password");
}
