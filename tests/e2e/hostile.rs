//! Hostile content does not run (issue 11): mallory, a client of her own on the real Synapse,
//! sends every payload of `tests/fixtures/xss/corpus.txt` (≥ 200: classic, mutation XSS,
//! namespace confusion, CSS, `javascript:` in every disguise, bidi tricks) to alice as a
//! formatted body, a plain body and a file name, and a sample as room names, topics and her
//! own display name. alice's real app renders each in its webview, where every payload tries
//! to call `canary(N)`, a hook that records execution. After each handful the test fires the
//! events that inline handlers wait for on every element of the conversation, and looks for
//! dangerous nodes and attributes. Zero executions, zero dangerous nodes, zero CSP reports,
//! and the page still works.

#![recursion_limit = "256"]

use std::time::Duration;

use estafette_e2e::{AppWindow, Installation, Key, PASSWORD, TauriDriver, VirtualDisplay};
use estafette_testkit::{Homeserver, RegisteredUser};
use serde_json::{Value, json};

const CORPUS: &str = include_str!("../fixtures/xss/corpus.txt");
/// Payloads sent between two checks: few enough that all are on screen in the virtual list.
const PER_CHECK: usize = 4;
/// One payload in this many also becomes a room name, a topic and a display name.
const STATE_SAMPLE: usize = 6;
const ROOM_NAME: &str = "Hostile corpus";

const INSTALL_CANARY: &str = "
    window.__executions = [];
    window.__cspReports = [];
    window.canary = (n) => window.__executions.push(n);
    document.addEventListener('securitypolicyviolation', (event) =>
        window.__cspReports.push(event.violatedDirective + ' ' + event.blockedURI));
    window.__scriptsAtStart = document.scripts.length;
    return true;";

/// Fires what inline handlers wait for on every element of the conversation and the room
/// list, then reports executions, dangerous nodes and CSP reports.
const PROBE: &str = "
    const roots = [document.querySelector('[role=log]'), document.querySelector('nav')]
        .filter(Boolean);
    const events = ['mouseover', 'mouseenter', 'pointerover', 'pointerenter', 'focus',
        'focusin', 'animationstart', 'transitionend', 'load', 'error', 'toggle', 'begin',
        'beforeprint', 'start'];
    const dangerous = [];
    const urlAttributes = ['href', 'src', 'srcset', 'xlink:href', 'action', 'formaction',
        'background', 'data', 'poster', 'srcdoc'];
    for (const root of roots) {
        for (const element of root.querySelectorAll('*')) {
            for (const attribute of element.attributes) {
                const name = attribute.name.toLowerCase();
                const value = attribute.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
                if (name.startsWith('on')
                    || (urlAttributes.includes(name)
                        && /^(javascript|vbscript|livescript|data|file|blob):/.test(value))
                    || (name === 'style' && /url\\(|expression|binding|behavior/.test(value))) {
                    dangerous.push(element.outerHTML.slice(0, 160));
                }
            }
            for (const type of events) {
                element.dispatchEvent(new Event(type));
            }
        }
    }
    for (const element of document.querySelectorAll(
        'iframe, frame, object, embed, base, meta[http-equiv], link[rel=import], [role=log] style, [role=log] script, [role=log] form')) {
        dangerous.push(element.outerHTML.slice(0, 160));
    }
    return {
        installed: typeof window.canary === 'function',
        executions: window.__executions,
        dangerous,
        csp: window.__cspReports,
        scripts: document.scripts.length - window.__scriptsAtStart,
    };";

fn payloads() -> Vec<String> {
    CORPUS
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| line.replace("\\n", "\n"))
        .collect()
}

async fn probe(app: &AppWindow, after: &str) {
    let report: Value = app.execute(PROBE, json!([])).await;
    assert_eq!(
        report["installed"], true,
        "the page was replaced or the canary removed, after {after}: {report}"
    );
    assert_eq!(
        report["executions"],
        json!([]),
        "payloads ran, after {after}"
    );
    assert_eq!(
        report["dangerous"],
        json!([]),
        "dangerous nodes, after {after}"
    );
    assert_eq!(report["csp"], json!([]), "CSP reports, after {after}");
    assert_eq!(report["scripts"], 0, "scripts added, after {after}");
}

/// A control, so that the probe cannot pass by seeing nothing: a handler planted in the
/// conversation is reported (and refused by the CSP when fired), and a call to the canary
/// is recorded.
async fn probe_sees_what_it_looks_for(app: &AppWindow) {
    let planted = app
        .execute(
            "const span = document.createElement('span');
             span.id = 'planted';
             span.setAttribute('onmouseover', 'canary(0)');
             document.querySelector('[role=log]').append(span);
             window.canary(0);
             return true;",
            json!([]),
        )
        .await;
    assert_eq!(planted, true);
    let report: Value = app.execute(PROBE, json!([])).await;
    assert_eq!(report["executions"], json!([0]), "{report}");
    assert_eq!(
        report["dangerous"].as_array().map(Vec::len),
        Some(1),
        "{report}"
    );
    // The strict CSP is the second wall: the planted handler, fired, was refused by it.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let reports = app
        .execute(
            "document.getElementById('planted').remove();
             const reports = window.__cspReports;
             window.__executions = [];
             window.__cspReports = [];
             return reports;",
            json!([]),
        )
        .await;
    assert!(
        reports
            .as_array()
            .is_some_and(|reports| reports.iter().any(|report| report
                .as_str()
                .is_some_and(|report| report.starts_with("script-src-attr")))),
        "the CSP refuses an inline handler: {reports}"
    );
}

/// Sends each payload as a formatted body, a plain body and a file's name.
async fn send_messages(
    hs: &Homeserver,
    mallory: &RegisteredUser,
    room_id: &str,
    number: usize,
    payload: &str,
) {
    let send = |content: Value| hs.send_message(mallory, room_id, content);
    send(json!({
        "msgtype": "m.text",
        "body": format!("formatted {number}"),
        "format": "org.matrix.custom.html",
        "formatted_body": payload,
    }))
    .await
    .expect("formatted body sent");
    send(json!({ "msgtype": "m.text", "body": payload }))
        .await
        .expect("plain body sent");
    send(json!({
        "msgtype": "m.file",
        "body": payload,
        "filename": payload,
        "url": format!("mxc://{}/hostile{number}", hs.server_name()),
        "info": { "mimetype": "application/pdf", "size": 1234 },
    }))
    .await
    .expect("file sent");
}

/// Makes the payload the room's name and topic, and mallory's display name.
async fn send_state(hs: &Homeserver, mallory: &RegisteredUser, room_id: &str, payload: &str) {
    hs.send_state(
        mallory,
        room_id,
        "m.room.name",
        "",
        json!({ "name": payload }),
    )
    .await
    .expect("name set");
    hs.send_state(
        mallory,
        room_id,
        "m.room.topic",
        "",
        json!({ "topic": payload }),
    )
    .await
    .expect("topic set");
    hs.send_state(
        mallory,
        room_id,
        "m.room.member",
        &mallory.user_id,
        json!({ "membership": "join", "displayname": payload }),
    )
    .await
    .expect("display name set");
}

async fn sign_in(app: &AppWindow, hs: &Homeserver) {
    app.submit_sign_in(&hs.base_url(), "alice", PASSWORD).await;
    app.find("navigation", "Conversations").await;
    app.find("dialog", "Protect your encrypted messages").await;
    app.click(&app.find("button", "Later").await).await;
    app.wait_until_gone("dialog", "Protect your encrypted messages")
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_content_never_runs_and_the_page_keeps_working() {
    let payloads = payloads();
    assert!(payloads.len() >= 200, "the corpus holds {}", payloads.len());
    let hs = Homeserver::start().await.expect("Synapse starts");
    hs.register_user("alice", PASSWORD, false)
        .await
        .expect("alice registered");
    let mallory = hs
        .register_user("mallory", PASSWORD, false)
        .await
        .expect("mallory registered");
    let room_id = hs
        .create_room(&mallory, ROOM_NAME, &[&hs.user_id("alice")])
        .await
        .expect("room created");
    let display = VirtualDisplay::start();
    let alice = Installation::new("en");
    let driver = TauriDriver::start(&alice.environment(&display));
    let app = driver
        .launch("hostile_content_never_runs_and_the_page_keeps_working")
        .await;
    sign_in(&app, &hs).await;
    app.click(&app.find("button", ROOM_NAME).await).await;
    app.click(&app.find("button", "Accept").await).await;
    app.find("log", &format!("Messages in {ROOM_NAME}")).await;
    assert_eq!(app.execute(INSTALL_CANARY, json!([])).await, true);
    probe_sees_what_it_looks_for(&app).await;

    for (start, chunk) in payloads.chunks(PER_CHECK).enumerate() {
        let first = start * PER_CHECK + 1;
        for (offset, payload) in chunk.iter().enumerate() {
            let number = first + offset;
            let payload = payload.replace("CANARY", &format!("canary({number})"));
            send_messages(&hs, &mallory, &room_id, number, &payload).await;
            if number.is_multiple_of(STATE_SAMPLE) {
                send_state(&hs, &mallory, &room_id, &payload).await;
            }
        }
        let checkpoint = format!("checkpoint {first}");
        hs.send_text(&mallory, &room_id, &checkpoint)
            .await
            .expect("checkpoint sent");
        app.wait_for_text(&checkpoint).await;
        // Give media requests and late handlers a moment.
        tokio::time::sleep(Duration::from_millis(100)).await;
        probe(
            &app,
            &format!("payloads {first}..{}", first + chunk.len() - 1),
        )
        .await;
    }

    // The page still works: the room takes its name back and alice writes in it.
    hs.send_state(
        &mallory,
        &room_id,
        "m.room.name",
        "",
        json!({ "name": ROOM_NAME }),
    )
    .await
    .expect("name set back");
    let composer = app
        .find("textbox", &format!("Message to {ROOM_NAME}"))
        .await;
    app.type_into(&composer, "Still here, nothing ran").await;
    app.type_into(&composer, &Key::Enter.code().to_string())
        .await;
    app.wait_for_text("Still here, nothing ran").await;
    probe(&app, "the whole corpus").await;
    eprintln!(
        "{} payloads, each as a formatted body, a plain body and a file name; {} as room names, topics and display names: no execution",
        payloads.len(),
        payloads.len() / STATE_SAMPLE
    );
    eprintln!(
        "proof: {{\"payloads\": {}, \"sent_as\": [\"formatted body\", \"plain body\", \"file name\"], \"also_as_room_name_topic_display_name\": {}, \"executions\": 0, \"dangerous_nodes\": 0, \"csp_reports\": 0}}",
        payloads.len(),
        payloads.len() / STATE_SAMPLE
    );
    app.close().await;
}
