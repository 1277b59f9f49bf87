//! One function per subcommand, each a thin script over the core's API.

use std::{collections::HashMap, io::BufRead, path::PathBuf, sync::Arc, time::Duration};

use estafette_core::{
    Account, AccountManager, SignIn, SsoSignIn, Subscription,
    media::{OutgoingFile, SaveTo},
    room_list::{Membership, RoomFilter, RoomListQuery},
    sync::SyncState,
    timeline::{SendState, TimelineItem, TimelineUpdate},
};
use serde_json::json;
use zeroize::Zeroizing;

use crate::output::{Failure, Output};

pub struct Context<'a> {
    pub manager: &'a AccountManager,
    pub output: &'a Output,
    pub account: Option<String>,
    pub timeout: Duration,
}

impl Context<'_> {
    /// Restores the saved accounts and picks the one to act as.
    async fn account(&self) -> Result<Arc<Account>, Failure> {
        let restored = self.manager.restore_all().await?;
        let mut candidates: Vec<_> = restored
            .into_iter()
            .filter(|(info, _)| match &self.account {
                Some(wanted) => &info.user_id == wanted || &info.id.0 == wanted,
                None => true,
            })
            .collect();
        match candidates.len() {
            0 => Err(Failure::other(
                "cli.no_account",
                "no such signed-in account: run `estafette-cli login` first",
            )),
            1 => match candidates.remove(0) {
                (_, Ok(account)) => Ok(account),
                (_, Err(error)) => Err(error.into()),
            },
            _ => Err(Failure::other(
                "cli.several_accounts",
                "several accounts are signed in: choose one with --account @user:server",
            )),
        }
    }

    fn timed_out(&self, what: &str) -> Failure {
        Failure::other(
            "cli.timeout",
            format!("timed out after {:?} waiting for {what}", self.timeout),
        )
        .with_exit_code(4)
    }
}

/// Waits until sync has settled: caught up, or known to be offline. A sync error is not an
/// answer yet: the core restarts sync after one, so it is reported only if it lasts.
async fn settle(context: &Context<'_>, account: &Account) -> Result<SyncState, Failure> {
    let mut states = account.sync_state();
    let deadline = tokio::time::Instant::now() + context.timeout;
    let mut last_error = None;
    loop {
        match tokio::time::timeout_at(deadline, states.next()).await {
            Ok(Some(SyncState::SessionExpired)) => {
                return Err(Failure::other(
                    "auth.session_expired",
                    "this session has expired: sign in again",
                ));
            }
            Ok(Some(state @ (SyncState::UpToDate | SyncState::Offline))) => return Ok(state),
            Ok(Some(SyncState::Error { message })) => last_error = Some(message),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => {
                return Err(match last_error {
                    Some(message) => Failure::other("sync.failed", message),
                    None => context.timed_out("the server"),
                });
            }
        }
    }
}

/// Waits until the server has sent every room of the account: sync settles with the first
/// window of a large account's rooms, the rest arrive in later batches.
async fn all_rooms_loaded(context: &Context<'_>, account: &Account) -> Result<(), Failure> {
    let mut loading = account.rooms().list_loading().await?;
    let deadline = tokio::time::Instant::now() + context.timeout;
    loop {
        match tokio::time::timeout_at(deadline, loading.next()).await {
            Ok(Some(state)) if state.fully_loaded => return Ok(()),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return Err(context.timed_out("the room list")),
        }
    }
}

pub async fn login(
    context: &Context<'_>,
    homeserver: Option<String>,
    user: String,
    password: Option<String>,
    password_stdin: bool,
) -> Result<(), Failure> {
    let password = match (password, password_stdin) {
        (Some(password), _) => Zeroizing::new(password),
        (None, true) => {
            let mut line = Zeroizing::new(String::new());
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|error| Failure::other("cli.stdin", error))?;
            Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned())
        }
        (None, false) => {
            return Err(Failure::other(
                "cli.password_required",
                "give --password-stdin or --password",
            )
            .with_exit_code(2));
        }
    };
    let account = context
        .manager
        .sign_in(SignIn {
            homeserver,
            username: user,
            password,
        })
        .await?;
    signed_in(context, &account).await
}

/// Signs in through single sign-on: the address to open is printed on standard error (a
/// prompt for the person, not a result), then the sign-in waits for the browser.
pub async fn login_with_sso(
    context: &Context<'_>,
    homeserver: Option<String>,
    user: Option<String>,
    provider: Option<String>,
) -> Result<(), Failure> {
    let request = SsoSignIn {
        homeserver,
        username: user,
        provider,
    };
    let account = context
        .manager
        .sign_in_with_sso(request, |address| {
            eprintln!("Open this address in your browser to sign in:\n{address}");
            Ok(())
        })
        .await?;
    signed_in(context, &account).await
}

async fn signed_in(context: &Context<'_>, account: &Account) -> Result<(), Failure> {
    let info = account.info().clone();
    // The first sync also publishes the device's keys: let it finish before exiting. The
    // rooms come after it in batches; the next command resumes after what this one received,
    // so it receives them all (issue 9).
    settle(context, account).await?;
    all_rooms_loaded(context, account).await?;
    context.output.record(&info, || {
        format!("signed in as {} (device {})", info.user_id, info.device_id)
    });
    Ok(())
}

pub async fn accounts(context: &Context<'_>) -> Result<(), Failure> {
    for info in context.manager.saved_accounts().await? {
        context.output.record(&info, || {
            format!(
                "{}\t{}\t{}",
                info.user_id, info.device_id, info.homeserver_url
            )
        });
    }
    Ok(())
}

pub async fn rooms(
    context: &Context<'_>,
    filter: RoomFilter,
    search: Option<String>,
    no_wait: bool,
) -> Result<(), Failure> {
    let account = context.account().await?;
    if !no_wait && settle(context, &account).await? == SyncState::UpToDate {
        all_rooms_loaded(context, &account).await?;
    }
    let (mut updates, _controller) = account
        .rooms()
        .list(RoomListQuery { filter, search }, 10_000)
        .await?;
    let mut rooms = Vec::new();
    // The first update is the whole current list.
    match tokio::time::timeout(context.timeout, updates.next()).await {
        Ok(Some(batch)) => {
            for diff in batch {
                diff.apply_to(&mut rooms);
            }
        }
        Ok(None) | Err(_) => return Err(context.timed_out("the room list")),
    }
    for room in &rooms {
        context.output.record(room, || {
            let state = match room.membership {
                Membership::Invited => " [invite]",
                _ => "",
            };
            let preview = room
                .latest_message
                .as_ref()
                .map(|latest| latest.content.summary())
                .unwrap_or_default();
            format!(
                "{}{}\t{}\tunread {}\t{}",
                room.name, state, room.id, room.unread_messages, preview
            )
        });
    }
    Ok(())
}

pub async fn join(context: &Context<'_>, room: &str) -> Result<(), Failure> {
    let account = context.account().await?;
    settle(context, &account).await?;
    let invited = account
        .rooms()
        .summary(room)
        .await
        .is_some_and(|summary| summary.membership == Membership::Invited);
    let room_id = if invited {
        account.rooms().accept_invite(room).await?;
        room.to_owned()
    } else {
        account.rooms().join(room, &[]).await?
    };
    context.output.record(&json!({ "joined": room_id }), || {
        format!("joined {room_id}")
    });
    Ok(())
}

/// Queues `texts` in order, says so once all are saved in the queue, then waits until the
/// server has each. A process that ends before that leaves the rest in the queue: the next
/// run sends them first, each exactly once.
pub async fn send(context: &Context<'_>, room: &str, texts: &[String]) -> Result<(), Failure> {
    let account = context.account().await?;
    settle(context, &account).await?;
    let timeline = account.timeline(room).await?;
    let mut watch = SendWatch::new(context, timeline.subscribe());
    let mut echo_ids = Vec::with_capacity(texts.len());
    for text in texts {
        echo_ids.push(timeline.send_markdown(text).await?);
    }
    context
        .output
        .record(&json!({ "queued": texts.len(), "room": room }), || {
            format!("queued {} message(s)", texts.len())
        });
    for echo_id in echo_ids {
        let event_id = watch.until_sent(&echo_id).await?;
        context
            .output
            .record(&json!({ "sent": event_id, "room": room }), || {
                format!("sent {event_id}")
            });
    }
    Ok(())
}

/// Sends a file (photos without their location and camera details unless `keep_metadata`)
/// and waits until the server has it.
pub async fn send_file(
    context: &Context<'_>,
    room: &str,
    file: OutgoingFile,
) -> Result<(), Failure> {
    let account = context.account().await?;
    settle(context, &account).await?;
    let timeline = account.timeline(room).await?;
    let mut watch = SendWatch::new(context, timeline.subscribe());
    let transaction_id = account.media().send_file(room, file).await?;
    let event_id = watch.until_sent(&transaction_id).await?;
    context
        .output
        .record(&json!({ "sent": event_id, "room": room }), || {
            format!("sent {event_id}")
        });
    Ok(())
}

/// Saves a message's file into `folder` under a safe name that replaces nothing.
pub async fn download(
    context: &Context<'_>,
    room: &str,
    event: &str,
    folder: PathBuf,
) -> Result<(), Failure> {
    let account = context.account().await?;
    settle(context, &account).await?;
    let saved = account
        .media()
        .download(room, event, SaveTo::Folder(folder), |_| {})
        .await?;
    context
        .output
        .record(&json!({ "saved": saved.path, "size": saved.size }), || {
            format!("saved {} ({} bytes)", saved.path, saved.size)
        });
    Ok(())
}

/// A timeline followed until messages queued from this process reach the server, all within
/// the context's timeout.
struct SendWatch {
    updates: Subscription<TimelineUpdate>,
    items: Vec<TimelineItem>,
    /// Item IDs of the local echoes seen, by transaction ID.
    echoes: HashMap<String, String>,
    deadline: tokio::time::Instant,
}

/// How many items from the end of a timeline may be local echoes of this process's sends.
const ECHOES_AT_THE_END: usize = 64;

impl SendWatch {
    fn new(context: &Context<'_>, updates: Subscription<TimelineUpdate>) -> Self {
        Self {
            updates,
            items: Vec::new(),
            echoes: HashMap::new(),
            deadline: tokio::time::Instant::now() + context.timeout,
        }
    }

    /// The event ID of the message queued as `transaction_id`, once the server has it. The
    /// local echo carries the transaction ID; the server's copy, which replaces it, keeps the
    /// echo's item ID only, so the item is followed by that once found.
    async fn until_sent(&mut self, transaction_id: &str) -> Result<String, Failure> {
        loop {
            let event = self
                .echoes
                .get(transaction_id)
                .and_then(|id| self.items.iter().find(|item| &item.id == id))
                .and_then(|item| item.as_event());
            match event.map(|event| &event.send_state) {
                Some(None | Some(SendState::Sent)) => {
                    return Ok(event
                        .and_then(|event| event.event_id.clone())
                        .unwrap_or_default());
                }
                Some(Some(SendState::Failed {
                    recoverable: false,
                    reason,
                })) => {
                    return Err(Failure::other("timeline.send_failed", reason));
                }
                _ => {}
            }
            let Ok(Some(batch)) = tokio::time::timeout_at(self.deadline, self.updates.next()).await
            else {
                return Err(Failure::other(
                    "cli.queued",
                    "the message is queued and will be sent the next time Estafette runs",
                )
                .with_exit_code(3));
            };
            for diff in batch {
                diff.apply_to(&mut self.items);
                // After each change: an echo may be replaced later in the same batch. Local
                // echoes are at the end.
                for item in self.items.iter().rev().take(ECHOES_AT_THE_END) {
                    if let Some(transaction_id) = item
                        .as_event()
                        .and_then(|event| event.transaction_id.clone())
                    {
                        self.echoes.insert(transaction_id, item.id.clone());
                    }
                }
            }
        }
    }
}

pub async fn tail(
    context: &Context<'_>,
    room: &str,
    limit: usize,
    follow: bool,
    until: Option<String>,
) -> Result<(), Failure> {
    let account = context.account().await?;
    settle(context, &account).await?;
    let timeline = account.timeline(room).await?;
    let mut updates = timeline.subscribe();
    let mut items: Vec<TimelineItem> = Vec::new();
    // What was printed for each item: an item is printed again when it changes in a way a
    // reader cares about (decrypted once its key arrives, edited, redacted).
    let mut printed: HashMap<String, String> = HashMap::new();
    let mut first = true;
    let deadline = tokio::time::Instant::now() + context.timeout;
    loop {
        let next = if follow && until.is_none() {
            Ok(updates.next().await)
        } else {
            tokio::time::timeout_at(deadline, updates.next()).await
        };
        let Ok(Some(batch)) = next else {
            return match until {
                Some(text) => Err(context.timed_out(&format!("the message {text:?}"))),
                None => Ok(()),
            };
        };
        for diff in batch {
            diff.apply_to(&mut items);
        }
        if first
            && items
                .iter()
                .filter(|item| item.as_event().is_some())
                .count()
                < limit
        {
            // Older messages are not cached yet: fetch one page, shown by the next update.
            let _ = timeline
                .paginate_backwards(limit.min(u16::MAX as usize) as u16)
                .await;
        }
        let events: Vec<_> = items
            .iter()
            .filter_map(|item| item.as_event().map(|event| (item, event)))
            .collect();
        let skip = if first {
            events.len().saturating_sub(limit)
        } else {
            0
        };
        first = false;
        for (item, event) in events.into_iter().skip(skip) {
            let summary = event.content.summary();
            if printed.get(&item.id) != Some(&summary) {
                printed.insert(item.id.clone(), summary);
                context.output.record(event, || {
                    let name = event
                        .sender
                        .display_name
                        .as_deref()
                        .unwrap_or(&event.sender.user_id);
                    format!("{name}: {}", event.content.summary())
                });
            }
        }
        if let Some(text) = &until {
            let arrived = items
                .iter()
                .filter_map(TimelineItem::as_event)
                .any(|event| &event.content.summary() == text);
            if arrived {
                return Ok(());
            }
        } else if !follow {
            return Ok(());
        }
    }
}

pub async fn logout(context: &Context<'_>) -> Result<(), Failure> {
    let account = context.account().await?;
    let info = account.info().clone();
    drop(account);
    context.manager.sign_out(&info.id).await?;
    context
        .output
        .record(&json!({ "signed_out": info.user_id }), || {
            format!("signed out {}", info.user_id)
        });
    Ok(())
}
