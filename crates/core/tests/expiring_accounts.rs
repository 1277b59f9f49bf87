#![recursion_limit = "256"]
//! Accounts that expire, as on the state's servers (issue 16): once an agent's account has
//! expired, sync says so rather than reporting a connection problem; the agent asks for the
//! renewal email, follows its link, and the account works again. Real Synapse with
//! `account_validity`, a real SMTP sink, the real Secret Service.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::*;
use estafette_core::sync::SyncState;
use estafette_testkit::{Homeserver, MailSink};

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_millis() as u64)
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_account_says_so_and_works_again_once_renewed_from_the_email() {
    init();
    let mail = MailSink::start().await.expect("a mail sink");
    let mut hs = Homeserver::start_with_account_validity(&mail)
        .await
        .expect("Synapse with account validity");
    let admin = hs
        .register_user("admin", PASSWORD, true)
        .await
        .expect("an administrator");
    let (_device, alice) = new_user(&hs, "alice").await;
    hs.add_email(&admin, alice.user_id(), "alice.martin@interieur.gouv.fr")
        .await
        .expect("alice's email");
    eventually("alice to be up to date", || async {
        (alice.current_sync_state() == SyncState::UpToDate).then_some(())
    })
    .await;

    hs.set_account_expiry(&admin, alice.user_id(), now_ms() - 1000)
        .await
        .expect("alice's account expires");
    // The server restarting cuts the sync request in flight: the next one meets the expiry.
    hs.restart().await.expect("Synapse restarts");
    eventually("alice to be told her account expired", || async {
        (alice.current_sync_state() == SyncState::AccountExpired).then_some(())
    })
    .await;

    alice
        .request_renewal_email()
        .await
        .expect("the renewal email is sent");
    let link = eventually("the renewal email to arrive", || async {
        mail.links()
            .into_iter()
            .find(|link| link.contains("/account_validity/renew?token="))
    })
    .await;
    assert!(
        mail.messages()[0].contains("alice.martin@interieur.gouv.fr"),
        "sent to alice's address"
    );
    let renewed = reqwest::get(&link).await.expect("the link answers");
    assert!(renewed.status().is_success(), "{}", renewed.status());

    alice.retry_sync();
    eventually("alice's account to work again", || async {
        matches!(
            alice.current_sync_state(),
            SyncState::UpToDate | SyncState::Syncing
        )
        .then_some(())
    })
    .await;
}
