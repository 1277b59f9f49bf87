#![recursion_limit = "256"]
//! Files between two real clients through a real Synapse, in an encrypted room: what arrives is
//! what was sent (photos without their metadata), refused before anything is sent when too
//! large, never sent when cancelled, sent once when queued offline, and refused when altered.
//! Downloads stream with progress and leave nothing behind when they fail; pictures and videos
//! too large to show are not fetched for display, whatever their sender declared.

mod common;

use std::{
    io::Cursor,
    path::Path,
    sync::{Arc, Mutex},
    time::Duration,
};

use common::*;
use estafette_core::{
    Account,
    media::{DownloadProgress, OutgoingFile, SaveTo},
    timeline::{EventContent, MediaKind, MediaSummary, TimelineItem, UploadProgress},
};
use image::{DynamicImage, ImageFormat, RgbImage};

/// A 1600 × 1200 JPEG as a phone writes it: EXIF with the camera's make and a GPS position.
fn phone_photo() -> Vec<u8> {
    let picture = RgbImage::from_fn(1600, 1200, |x, y| {
        image::Rgb([
            (x % 256) as u8,
            (y % 256) as u8,
            ((x / 7 + y / 5) % 256) as u8,
        ])
    });
    let mut plain = Vec::new();
    DynamicImage::ImageRgb8(picture)
        .write_to(&mut Cursor::new(&mut plain), ImageFormat::Jpeg)
        .expect("encoded");
    // IFD0: the make at offset 38, and the GPS IFD at 48 whose one entry holds the latitude.
    let mut tiff = b"MM\0\x2A\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend_from_slice(&[0x01, 0x0F, 0, 2, 0, 0, 0, 10, 0, 0, 0, 38]);
    tiff.extend_from_slice(&[0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 48]);
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    tiff.extend_from_slice(b"SecretCam\0");
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&[0, 2, 0, 2, 0, 0, 0, 8, 0, 0, 0, 66]);
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    tiff.extend_from_slice(b"48.8566\0");
    let mut body = b"Exif\0\0".to_vec();
    body.extend(tiff);
    let mut photo = plain[..2].to_vec();
    photo.extend_from_slice(&[0xFF, 0xE1]);
    photo.extend_from_slice(&u16::try_from(body.len() + 2).expect("short").to_be_bytes());
    photo.extend(body);
    photo.extend_from_slice(&plain[2..]);
    photo
}

fn image_bytes(format: ImageFormat, width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    DynamicImage::ImageRgb8(RgbImage::from_pixel(
        width,
        height,
        image::Rgb([20, 90, 160]),
    ))
    .write_to(&mut Cursor::new(&mut bytes), format)
    .expect("encoded");
    bytes
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

fn pseudo_random(size: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

fn write(folder: &Path, name: &str, bytes: &[u8]) -> OutgoingFile {
    let path = folder.join(name);
    std::fs::write(&path, bytes).expect("written");
    OutgoingFile {
        path,
        caption: None,
        keep_metadata: false,
    }
}

/// The sent files of `sender` in the view, by name: their event ID and summary.
fn received(items: &[TimelineItem], name: &str) -> Option<(String, MediaSummary)> {
    items
        .iter()
        .filter_map(TimelineItem::as_event)
        .find_map(|event| {
            let EventContent::Media(media) = &event.content else {
                return None;
            };
            (media.name == name && event.send_state.is_none())
                .then(|| Some((event.event_id.clone()?, media.clone())))
                .flatten()
        })
}

async fn encrypted_pair(
    hs: &Homeserver,
) -> (
    (Device, std::sync::Arc<Account>),
    (Device, std::sync::Arc<Account>),
    String,
) {
    let alice = new_user(hs, "alice").await;
    let bob = new_user(hs, "bob").await;
    let room_id = encrypted_dm(&alice.1, &bob.1).await;
    // alice's client must know bob's devices before the room key goes out.
    eventually("alice to know bob's device", || async {
        let devices = alice.1.devices().of_user(bob.1.user_id()).await.ok()?;
        (!devices.is_empty()).then_some(())
    })
    .await;
    (alice, bob, room_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_a_pdf_and_a_large_file_cross_an_encrypted_room_whole_and_the_photo_without_its_location()
 {
    let hs = start_server().await;
    let ((_a, alice), (_b, bob), room_id) = encrypted_pair(&hs).await;
    let outbox = tempfile::tempdir().expect("folder");
    let photo = phone_photo();
    assert!(contains(&photo, b"48.8566") && contains(&photo, b"SecretCam"));
    let pdf =
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
            .to_vec();
    let large = pseudo_random(50 * 1024 * 1024, 7);
    let clip = include_bytes!("../../../tests/fixtures/clip.webm").to_vec();

    let (_bob_timeline, mut bob_view) = open_timeline(&bob, &room_id).await;
    for (name, bytes) in [
        ("IMG_2041.jpg", &photo),
        ("Compte rendu.pdf", &pdf),
        ("visite du chantier.webm", &clip),
    ] {
        alice
            .media()
            .send_file(&room_id, write(outbox.path(), name, bytes))
            .await
            .expect("queued");
    }
    // A large file goes straight to the server, telling how far it is on the way.
    let uploads = Arc::new(Mutex::new(Vec::<UploadProgress>::new()));
    let heard = uploads.clone();
    alice
        .media()
        .send_file_reporting(
            &room_id,
            write(outbox.path(), "archive.bin", &large),
            move |report| heard.lock().expect("reports").push(report),
        )
        .await
        .expect("sent");
    let uploads = uploads.lock().expect("reports").clone();
    let total = large.len() as u64;
    assert_eq!(
        uploads.last().copied(),
        Some(UploadProgress { sent: total, total })
    );
    assert!(uploads.len() > 10, "reported on the way: {}", uploads.len());
    assert!(uploads.windows(2).all(|pair| pair[0].sent < pair[1].sent));
    bob_view
        .until("all three files", |items| {
            [
                "IMG_2041.jpg",
                "Compte rendu.pdf",
                "archive.bin",
                "visite du chantier.webm",
            ]
            .iter()
            .all(|name| received(items, name).is_some())
        })
        .await;

    let inbox = tempfile::tempdir().expect("folder");
    let save = |name: &'static str| {
        let (event_id, summary) = received(&bob_view.items, name).expect("received");
        let bob = bob.clone();
        let room_id = room_id.clone();
        let folder = inbox.path().to_owned();
        let reports = Arc::new(Mutex::new(Vec::<DownloadProgress>::new()));
        async move {
            let heard = reports.clone();
            let saved = bob
                .media()
                .download(&room_id, &event_id, SaveTo::Folder(folder), move |report| {
                    heard.lock().expect("reports").push(report);
                })
                .await
                .expect("downloaded");
            let reports = reports.lock().expect("reports").clone();
            (
                event_id,
                summary,
                std::fs::read(&saved.path).expect("saved file"),
                reports,
            )
        }
    };

    let (_, summary, bytes, _) = save("Compte rendu.pdf").await;
    assert_eq!(bytes, pdf);
    assert!(summary.encrypted);
    assert_eq!(summary.media_kind, MediaKind::File);
    assert_eq!(summary.mime_type.as_deref(), Some("application/pdf"));

    let (archive_event, summary, bytes, reports) = save("archive.bin").await;
    assert!(bytes == large, "the 50 MB file arrives byte for byte");
    assert_eq!(summary.size, Some(large.len() as u64));
    // Progress from nothing to all of it, never backwards, out of the size the sender declared.
    let total = large.len() as u64;
    assert_eq!(reports.first().map(|report| report.received), Some(0));
    assert_eq!(
        reports.last().copied(),
        Some(DownloadProgress {
            received: total,
            total: Some(total),
        })
    );
    assert!(
        reports
            .windows(2)
            .all(|pair| pair[0].received <= pair[1].received)
    );
    assert!(reports.iter().all(|report| report.total == Some(total)));
    // Given up half way (the caller drops the download, as the app's Cancel does): nothing
    // is left behind, neither the part file nor the reserved name.
    let given_up = tempfile::tempdir().expect("folder");
    let started = Arc::new(tokio::sync::Notify::new());
    let heard = started.clone();
    let media = bob.media();
    let download = media.download(
        &room_id,
        &archive_event,
        SaveTo::Folder(given_up.path().to_owned()),
        move |report| {
            if report.received > 0 {
                heard.notify_one();
            }
        },
    );
    tokio::select! {
        saved = download => panic!("done before it could be given up: {saved:?}"),
        () = started.notified() => {}
    }
    eventually("the download's files to go", || async {
        let left = std::fs::read_dir(given_up.path()).ok()?.count();
        (left == 0).then_some(())
    })
    .await;
    // A file is not a video.
    let not_played = bob
        .media()
        .event_playable(&room_id, &archive_event)
        .await
        .expect_err("not a video");
    assert_eq!(not_played.code(), "media.not_playable");

    // A video plays from memory, whole, and saves like any file.
    let (clip_event, summary, bytes, _) = save("visite du chantier.webm").await;
    assert_eq!(summary.media_kind, MediaKind::Video);
    assert_eq!(summary.size, Some(clip.len() as u64));
    assert_eq!(bytes, clip);
    let played = bob
        .media()
        .event_playable(&room_id, &clip_event)
        .await
        .expect("playable");
    assert!(played.bytes == clip, "the video plays as it was sent");

    let (photo_event, summary, bytes, _) = save("IMG_2041.jpg").await;
    assert_eq!(summary.media_kind, MediaKind::Image);
    assert_eq!((summary.width, summary.height), (Some(1600), Some(1200)));
    assert!(!contains(&bytes, b"48.8566"), "no GPS position");
    assert!(!contains(&bytes, b"SecretCam"), "no camera details");
    let decoded = image::load_from_memory(&bytes).expect("still a picture");
    assert_eq!((decoded.width(), decoded.height()), (1600, 1200));
    let thumbnail = bob
        .media()
        .event_image(&room_id, &photo_event, true)
        .await
        .expect("thumbnail");
    let thumbnail = image::load_from_memory(&thumbnail.bytes).expect("a picture");
    assert_eq!((thumbnail.width(), thumbnail.height()), (800, 600));

    // Saved twice, the second copy gets its own name.
    let (_, _, again, _) = save("Compte rendu.pdf").await;
    assert_eq!(again, pdf);
    assert!(inbox.path().join("Compte rendu (2).pdf").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_over_the_limit_is_refused_and_a_cancelled_one_never_arrives() {
    let hs = start_server().await;
    let ((_a, alice), (_b, bob), room_id) = encrypted_pair(&hs).await;
    let outbox = tempfile::tempdir().expect("folder");

    // The test server accepts 100 MB; a sparse file of 101 MB costs nothing to make.
    let huge = outbox.path().join("huge.iso");
    std::fs::File::create(&huge)
        .and_then(|file| file.set_len(101 * 1024 * 1024))
        .expect("sparse file");
    let error = alice
        .media()
        .send_file(
            &room_id,
            OutgoingFile {
                path: huge,
                caption: None,
                keep_metadata: false,
            },
        )
        .await
        .expect_err("over the limit");
    assert_eq!(error.code(), "media.too_large", "{error}");

    let missing = alice
        .media()
        .send_file(
            &room_id,
            OutgoingFile {
                path: outbox.path().join("gone.pdf"),
                caption: None,
                keep_metadata: false,
            },
        )
        .await
        .expect_err("no such file");
    assert_eq!(missing.code(), "media.read_failed");

    // A large file given up on its way to the server (the caller drops the send, as the
    // app's Cancel does): nothing of it is sent.
    let started = Arc::new(tokio::sync::Notify::new());
    let heard = started.clone();
    let media = alice.media();
    let upload = media.send_file_reporting(
        &room_id,
        write(
            outbox.path(),
            "given up.bin",
            &pseudo_random(40 * 1024 * 1024, 5),
        ),
        move |report| {
            if report.sent > 0 {
                heard.notify_one();
            }
        },
    );
    tokio::select! {
        sent = upload => panic!("sent before it could be given up: {sent:?}"),
        () = started.notified() => {}
    }

    // A smaller one goes through the send queue, which cancels it while it uploads.
    let (alice_timeline, _alice_view) = open_timeline(&alice, &room_id).await;
    let transaction = alice
        .media()
        .send_file(
            &room_id,
            write(
                outbox.path(),
                "cancelled.bin",
                &pseudo_random(7 * 1024 * 1024, 3),
            ),
        )
        .await
        .expect("queued");
    let cancelled = eventually("the upload to be cancellable", || async {
        alice_timeline.cancel_send(&transaction).await.ok()
    })
    .await;
    assert!(cancelled, "cancelled before it was sent");
    alice_timeline
        .send_markdown("after the files")
        .await
        .expect("queued");

    let (_bob_timeline, mut bob_view) = open_timeline(&bob, &room_id).await;
    bob_view
        .until("alice's text", |items| {
            bodies(items).iter().any(|body| body == "after the files")
        })
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    bob_view.apply_pending();
    let media: Vec<_> = bob_view
        .items
        .iter()
        .filter_map(TimelineItem::as_event)
        .filter(|event| matches!(event.content, EventContent::Media(_)))
        .collect();
    assert!(media.is_empty(), "no file arrived: {media:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_sent_offline_arrives_once_and_an_altered_one_is_refused() {
    let mut hs = start_server().await;
    let ((_a, alice), (_b, bob), room_id) = encrypted_pair(&hs).await;
    let outbox = tempfile::tempdir().expect("folder");
    let report = pseudo_random(200_000, 11);

    let recording = pseudo_random(9 * 1024 * 1024, 13);

    hs.stop().await.expect("server stopped");
    alice
        .media()
        .send_file(&room_id, write(outbox.path(), "rapport.odt", &report))
        .await
        .expect("queued offline");
    // Too large for the queue's copies, but the server cannot take it straight: queued too.
    alice
        .media()
        .send_file(&room_id, write(outbox.path(), "réunion.ogg", &recording))
        .await
        .expect("queued offline");
    tokio::time::sleep(Duration::from_secs(2)).await;
    hs.restart().await.expect("server back");

    let (_bob_timeline, mut bob_view) = open_timeline(&bob, &room_id).await;
    bob_view
        .until("the files sent offline", |items| {
            received(items, "rapport.odt").is_some() && received(items, "réunion.ogg").is_some()
        })
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    bob_view.apply_pending();
    let copies = bob_view
        .items
        .iter()
        .filter_map(TimelineItem::as_event)
        .filter(|event| matches!(&event.content, EventContent::Media(media) if media.name == "rapport.odt"))
        .count();
    assert_eq!(copies, 1, "sent exactly once");

    // Someone with access to the server's disk changes one byte of the encrypted file.
    let (event_id, summary) = received(&bob_view.items, "rapport.odt").expect("received");
    let media_id = summary
        .mxc
        .rsplit('/')
        .next()
        .expect("a media ID")
        .to_owned();
    let stored = hs
        .data_dir()
        .join("media_store/local_content")
        .join(&media_id[..2])
        .join(&media_id[2..4])
        .join(&media_id[4..]);
    let mut ciphertext = std::fs::read(&stored).expect("the stored file");
    ciphertext[1000] ^= 0x01;
    std::fs::write(&stored, ciphertext).expect("altered");

    let inbox = tempfile::tempdir().expect("folder");
    let error = bob
        .media()
        .download(
            &room_id,
            &event_id,
            SaveTo::Folder(inbox.path().to_owned()),
            |_| {},
        )
        .await
        .expect_err("an altered file is refused");
    assert_eq!(error.code(), "media.damaged", "{error}");
    assert_eq!(
        std::fs::read_dir(inbox.path()).expect("listed").count(),
        0,
        "nothing saved, not even a part file"
    );
    // "Save as…" over an earlier copy: the earlier copy stays as it was.
    let earlier = inbox.path().join("rapport.odt");
    std::fs::write(&earlier, b"earlier copy").expect("written");
    let error = bob
        .media()
        .download(&room_id, &event_id, SaveTo::File(earlier.clone()), |_| {})
        .await
        .expect_err("an altered file is refused");
    assert_eq!(error.code(), "media.damaged", "{error}");
    assert_eq!(std::fs::read(&earlier).expect("kept"), b"earlier copy");
    assert_eq!(std::fs::read_dir(inbox.path()).expect("listed").count(), 1);
}

/// A sender's own client can declare anything about a picture. The reader's app fetches no
/// original too large to show, and stops one that turns out larger than declared.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_picture_too_large_to_show_is_not_fetched_whatever_its_sender_declared() {
    let mut hs = start_server().await;
    let (_b, bob) = new_user(&hs, "bob").await;
    let mallory = hs
        .register_user("mallory", PASSWORD, false)
        .await
        .expect("registered");
    let room_id = hs
        .create_room(&mallory, "Pictures", &[bob.user_id()])
        .await
        .expect("room");
    eventually("bob to be invited", || async {
        bob.rooms().accept_invite(&room_id).await.ok()
    })
    .await;
    let small = image_bytes(ImageFormat::Png, 64, 48);
    let small_uri = hs
        .upload_media(&mallory, "image/png", small.clone())
        .await
        .expect("uploaded");
    let picture = |name: &str, uri: &str, info: serde_json::Value| serde_json::json!({ "msgtype": "m.image", "body": name, "url": uri, "info": info });
    let honest = hs
        .send_message(
            &mallory,
            &room_id,
            picture("small.png", &small_uri, serde_json::json!({ "size": small.len(), "w": 64, "h": 48, "mimetype": "image/png" })),
        )
        .await
        .expect("sent");
    let said_huge = hs
        .send_message(
            &mallory,
            &room_id,
            picture(
                "huge.png",
                &small_uri,
                serde_json::json!({ "size": 30_000_000, "mimetype": "image/png" }),
            ),
        )
        .await
        .expect("sent");
    let said_enormous = hs
        .send_message(
            &mallory,
            &room_id,
            picture(
                "enormous.png",
                &small_uri,
                serde_json::json!({ "w": 10_000, "h": 8_000 }),
            ),
        )
        .await
        .expect("sent");
    // 21 MB of noise declared as 1 KB, and the same declared as nothing at all.
    let noise_uri = hs
        .upload_media(&mallory, "image/png", pseudo_random(21 * 1024 * 1024, 5))
        .await
        .expect("uploaded");
    let lying = hs
        .send_message(
            &mallory,
            &room_id,
            picture("lying.png", &noise_uri, serde_json::json!({ "size": 1000 })),
        )
        .await
        .expect("sent");
    let silent = hs
        .send_message(
            &mallory,
            &room_id,
            picture("silent.png", &noise_uri, serde_json::json!({})),
        )
        .await
        .expect("sent");

    let media = bob.media();
    let shown = eventually("the honest picture", || async {
        media.event_image(&room_id, &honest, false).await.ok()
    })
    .await;
    assert_eq!(shown.bytes, small);
    for (event, expected) in [
        (&said_huge, "media.too_large_to_show"),
        (&said_enormous, "media.too_large_to_show"),
        (&lying, "media.damaged"),
        (&silent, "media.too_large_to_show"),
    ] {
        let error = media
            .event_image(&room_id, event, false)
            .await
            .expect_err("not shown");
        assert_eq!(error.code(), expected, "{event}: {error}");
    }
    // Saving checks the declared size too: the "30 MB" picture is not the file it names.
    let inbox = tempfile::tempdir().expect("folder");
    let error = media
        .download(
            &room_id,
            &said_huge,
            SaveTo::Folder(inbox.path().to_owned()),
            |_| {},
        )
        .await
        .expect_err("not what was declared");
    assert_eq!(error.code(), "media.damaged");
    assert_eq!(std::fs::read_dir(inbox.path()).expect("listed").count(), 0);
    // A picture shown once is shown again from the media cache, server or not.
    hs.stop().await.expect("server stopped");
    let again = media
        .event_image(&room_id, &honest, false)
        .await
        .expect("from the cache");
    assert_eq!(again.bytes, small);
}
