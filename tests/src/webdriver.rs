//! A small W3C WebDriver client for tauri-driver, and the app window it drives.

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use base64::Engine;
use serde_json::{Value, json};

use crate::{PATIENCE, accessibility, app_binary, screenshot_dir};

/// Key codes of the WebDriver specification, for `Element::send_keys`.
#[derive(Clone, Copy, Debug)]
pub enum Key {
    Enter,
    Shift,
    Control,
    Tab,
    Backspace,
    Escape,
    ArrowUp,
    ArrowDown,
    Home,
    End,
    F10,
    /// Releases held modifiers.
    Release,
}

impl Key {
    pub fn code(self) -> char {
        match self {
            Key::Release => '\u{E000}',
            Key::Backspace => '\u{E003}',
            Key::Tab => '\u{E004}',
            Key::Enter => '\u{E007}',
            Key::Shift => '\u{E008}',
            Key::Control => '\u{E009}',
            Key::Escape => '\u{E00C}',
            Key::ArrowUp => '\u{E013}',
            Key::ArrowDown => '\u{E015}',
            Key::End => '\u{E010}',
            Key::Home => '\u{E011}',
            Key::F10 => '\u{E03A}',
        }
    }
}

/// Two distinct free loopback ports. Both listeners are held until both are known: the
/// system may hand out a port again as soon as its listener closes, and tauri-driver and its
/// WebKitWebDriver cannot share one.
fn two_free_ports() -> (u16, u16) {
    let bind = || TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    let (first, second) = (bind(), bind());
    let port = |listener: &TcpListener| listener.local_addr().expect("bound").port();
    (port(&first), port(&second))
}

fn tauri_driver_path() -> PathBuf {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")));
    let in_cargo_home = cargo_home.map(|home| home.join("bin/tauri-driver"));
    match in_cargo_home {
        Some(path) if path.exists() => path,
        _ => PathBuf::from("tauri-driver"),
    }
}

/// No WebDriver request may hang a test: the driver answers in seconds or not at all.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap_or_default()
}

/// tauri-driver, with the environment every app it launches gets.
#[derive(Debug)]
pub struct TauriDriver {
    process: Child,
    port: u16,
}

impl TauriDriver {
    pub fn start(environment: &[(String, String)]) -> Self {
        Self::spawn(environment, Stdio::null(), Stdio::inherit())
    }

    /// [`Self::start`], with everything the driver and the app it launches write to their
    /// output and error streams (the app's log) appended to the file at `log`.
    pub fn start_logging_to(environment: &[(String, String)], log: &std::path::Path) -> Self {
        let file = || {
            std::fs::File::options()
                .create(true)
                .append(true)
                .open(log)
                .expect("the log file opens")
        };
        Self::spawn(environment, Stdio::from(file()), Stdio::from(file()))
    }

    fn spawn(environment: &[(String, String)], stdout: Stdio, stderr: Stdio) -> Self {
        let (port, native_port) = two_free_ports();
        let process = Command::new(tauri_driver_path())
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .envs(environment.iter().map(|(key, value)| (key, value)))
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("tauri-driver starts (`cargo xtask test` installs it)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "tauri-driver did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { process, port }
    }

    fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Launches the app and opens a WebDriver session on its window.
    pub async fn launch(&self, test_name: &str) -> AppWindow {
        self.launch_binary(&app_binary(), test_name).await
    }

    /// Launches `binary` (another build of the app) under WebDriver.
    pub async fn launch_binary(&self, binary: &std::path::Path, test_name: &str) -> AppWindow {
        let http = client();
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "tauri:options": { "application": binary.display().to_string() }
                }
            }
        });
        // tauri-driver accepts connections before its WebKitWebDriver is ready: retry briefly.
        let mut attempts = 0;
        let response: Value = loop {
            attempts += 1;
            let sent = http
                .post(format!("{}/session", self.base_url()))
                .json(&capabilities)
                .send()
                .await;
            match sent {
                Ok(response) => break response.json().await.expect("WebDriver JSON"),
                Err(error) if attempts < 20 => {
                    let _ = error;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(error) => panic!("no WebDriver session: {error}"),
            }
        };
        let session = response["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {response}"))
            .to_owned();
        AppWindow {
            http,
            base: format!("{}/session/{session}", self.base_url()),
            test_name: test_name.to_owned(),
            closed: false,
        }
    }
}

impl Drop for TauriDriver {
    fn drop(&mut self) {
        // SIGTERM lets tauri-driver stop WebKitWebDriver too; SIGKILL would orphan it.
        let _ = Command::new("kill")
            .arg(self.process.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.process.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// An element reference in the app's page.
#[derive(Clone, Debug)]
pub struct Element {
    id: String,
}

impl Element {
    /// The element as an argument of [`AppWindow::execute`]'s script.
    pub fn argument(&self) -> Value {
        json!({ ELEMENT_KEY: self.id })
    }
}

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The app's window under WebDriver. When a test panics, dropping it keeps a screenshot in
/// `target/e2e-screenshots/<test>.png`, then closes the app.
#[derive(Debug)]
pub struct AppWindow {
    http: reqwest::Client,
    base: String,
    test_name: String,
    closed: bool,
}

impl AppWindow {
    async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        self.try_command(method, path, body)
            .await
            .unwrap_or_else(|(error, message)| panic!("WebDriver {path}: {error}: {message}"))
    }

    /// A command, its WebDriver error (`error` and `message`) returned rather than raised.
    async fn try_command(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, (String, Value)> {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method, &url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response: Value = request
            .send()
            .await
            .unwrap_or_else(|error| panic!("WebDriver {path}: {error}"))
            .json()
            .await
            .unwrap_or_else(|error| panic!("WebDriver {path}: {error}"));
        if let Some(error) = response["value"]["error"].as_str() {
            return Err((error.to_owned(), response["value"]["message"].clone()));
        }
        Ok(response["value"].clone())
    }

    /// Keeps what the window shows in `target/e2e-screenshots/<name>.png` (to look at a layout
    /// while working on it; tests assert on roles and names, never on pixels).
    pub async fn screenshot(&self, name: &str) {
        let encoded = self
            .command(reqwest::Method::GET, "/screenshot", None)
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().unwrap_or_default())
            .expect("a PNG in base64");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("screenshot written");
    }

    pub async fn execute(&self, script: &str, args: Value) -> Value {
        self.command(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    async fn find_now(&self, role: &str, name: &str, partial: bool) -> Vec<Element> {
        let mut attempts = 0;
        let found = loop {
            match self
                .try_command(
                    reqwest::Method::POST,
                    "/execute/sync",
                    Some(json!({
                        "script": accessibility::FIND_BY_ROLE,
                        "args": [role, name, partial],
                    })),
                )
                .await
            {
                Ok(found) => break found,
                // An element found was removed before the driver could hand it over (the page
                // redrew meanwhile): the page is asked again, as it is now.
                Err((error, _)) if error == "stale element reference" && attempts < 20 => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err((error, message)) => panic!("WebDriver /execute/sync: {error}: {message}"),
            }
        };
        found
            .as_array()
            .map(|elements| {
                elements
                    .iter()
                    .filter_map(|element| element[ELEMENT_KEY].as_str())
                    .map(|id| Element { id: id.to_owned() })
                    .collect()
            })
            .unwrap_or_default()
    }

    async fn wait_for(&self, role: &str, name: &str, partial: bool, patience: Duration) -> Element {
        let deadline = Instant::now() + patience;
        loop {
            if let Some(element) = self.find_now(role, name, partial).await.into_iter().next() {
                return element;
            }
            if Instant::now() > deadline {
                let controls = self
                    .execute(accessibility::DESCRIBE_CONTROLS, json!([]))
                    .await;
                panic!(
                    "no {role} named {name:?} after {patience:?}; on screen:\n{}",
                    controls.as_str().unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for the element with this role and exact accessible name.
    pub async fn find(&self, role: &str, name: &str) -> Element {
        self.wait_for(role, name, false, PATIENCE).await
    }

    /// Waits for an element with this role whose accessible name contains `name`.
    pub async fn find_containing(&self, role: &str, name: &str) -> Element {
        self.wait_for(role, name, true, PATIENCE).await
    }

    pub async fn count(&self, role: &str, name: &str) -> usize {
        self.find_now(role, name, false).await.len()
    }

    /// Waits until no element has this role and accessible name.
    pub async fn wait_until_gone(&self, role: &str, name: &str) {
        let deadline = Instant::now() + PATIENCE;
        while !self.find_now(role, name, false).await.is_empty() {
            assert!(Instant::now() < deadline, "{role} {name:?} is still shown");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the page's visible text contains `text`.
    pub async fn wait_for_text(&self, text: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let found = self
                .execute(
                    "return document.body.innerText.replace(/[\\u2066-\\u2069]/g, '').includes(arguments[0]);",
                    json!([text]),
                )
                .await;
            if found.as_bool() == Some(true) {
                return;
            }
            if Instant::now() > deadline {
                let body = self
                    .execute("return document.body.innerText;", json!([]))
                    .await;
                panic!(
                    "{text:?} never appeared; the page shows:\n{}",
                    body.as_str().unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks the element with this role and exact name, found again when the page drew it
    /// anew between the finding and the click (a conversation redraws a row as its details
    /// arrive, or as older messages load above it).
    pub async fn click_named(&self, role: &str, name: &str) {
        for _ in 0..20 {
            let element = self.find(role, name).await;
            match self.try_click(&element).await {
                Ok(()) => return,
                Err((error, _)) if error == "stale element reference" => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err((error, message)) => panic!("WebDriver click: {error}: {message}"),
            }
        }
        panic!("the {role} named {name:?} was drawn anew at every click");
    }

    pub async fn click(&self, element: &Element) {
        self.try_click(element)
            .await
            .unwrap_or_else(|(error, message)| panic!("WebDriver click: {error}: {message}"));
    }

    async fn try_click(&self, element: &Element) -> Result<(), (String, Value)> {
        // WebKitWebDriver scrolls the page, not a scrolling dialog: centre the element first,
        // as a person scrolls to what they are about to click.
        // The wheel turned first tells the page the user scrolled (a conversation stops following
        // new messages only then).
        self.try_command(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({
                "script": "arguments[0].dispatchEvent(new WheelEvent('wheel', { bubbles: true })); \
                           arguments[0].scrollIntoView({block: 'center'});",
                "args": [{ ELEMENT_KEY: element.id }],
            })),
        )
        .await?;
        self.try_command(
            reqwest::Method::POST,
            &format!("/element/{}/click", element.id),
            Some(json!({})),
        )
        .await
        .map(|_| ())
    }

    /// Empties a text field.
    pub async fn clear(&self, element: &Element) {
        self.command(
            reqwest::Method::POST,
            &format!("/element/{}/clear", element.id),
            Some(json!({})),
        )
        .await;
    }

    /// Fills the sign-in form as a person would (server, user name, password) and presses
    /// "Sign in"; the caller waits for what should follow.
    pub async fn submit_sign_in(&self, homeserver: &str, username: &str, password: &str) {
        for (field, text) in [
            ("Homeserver", homeserver),
            ("Username", username),
            ("Password", password),
        ] {
            self.type_into(&self.find("textbox", field).await, text)
                .await;
        }
        self.click(&self.find("button", "Sign in").await).await;
    }

    /// Types into the element: text and `Key` codes.
    pub async fn type_into(&self, element: &Element, text: &str) {
        self.command(
            reqwest::Method::POST,
            &format!("/element/{}/value", element.id),
            Some(json!({ "text": text })),
        )
        .await;
    }

    /// Opens `element`'s context menu from the keyboard: the focus on it, then Shift+F10.
    pub async fn open_menu_with_keyboard(&self, element: &Element) {
        self.execute("arguments[0].focus();", json!([element.argument()]))
            .await;
        self.press(&format!(
            "{}{}{}",
            Key::Shift.code(),
            Key::F10.code(),
            Key::Release.code()
        ))
        .await;
    }

    /// Presses keys on whatever has the focus, as a person at the keyboard does: text and
    /// `Key` codes; `Key::Control` and `Key::Shift` stay held until `Key::Release` or the end.
    pub async fn press(&self, keys: &str) {
        let modifiers = [Key::Control.code(), Key::Shift.code()];
        let mut actions = Vec::new();
        let mut held = Vec::new();
        for key in keys.chars() {
            if key == Key::Release.code() {
                for modifier in held.drain(..).rev() {
                    actions.push(json!({ "type": "keyUp", "value": String::from(modifier) }));
                }
            } else if modifiers.contains(&key) {
                held.push(key);
                actions.push(json!({ "type": "keyDown", "value": String::from(key) }));
            } else {
                actions.push(json!({ "type": "keyDown", "value": String::from(key) }));
                actions.push(json!({ "type": "keyUp", "value": String::from(key) }));
            }
        }
        for modifier in held.drain(..).rev() {
            actions.push(json!({ "type": "keyUp", "value": String::from(modifier) }));
        }
        let body = json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] });
        self.command(reqwest::Method::POST, "/actions", Some(body))
            .await;
    }

    pub async fn text(&self, element: &Element) -> String {
        let value = self
            .command(
                reqwest::Method::GET,
                &format!("/element/{}/text", element.id),
                None,
            )
            .await;
        // Without the isolates around other people's names, as a screen reader says it.
        value
            .as_str()
            .unwrap_or_default()
            .replace(['\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}'], "")
    }

    pub async fn value(&self, element: &Element) -> String {
        let value = self.property(element, "value").await;
        value.as_str().unwrap_or_default().to_owned()
    }

    /// The window's position and size (`x`, `y`, `width`, `height`).
    pub async fn window_rect(&self) -> Value {
        self.command(reqwest::Method::GET, "/window/rect", None)
            .await
    }

    pub async fn set_window_size(&self, width: u32, height: u32) {
        self.command(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        )
        .await;
    }

    /// A DOM property of the element (`checked`, `value`, …).
    pub async fn property(&self, element: &Element, name: &str) -> Value {
        self.command(
            reqwest::Method::GET,
            &format!("/element/{}/property/{name}", element.id),
            None,
        )
        .await
    }

    /// Closes the app (tauri-driver ends its process).
    pub async fn close(mut self) {
        self.closed = true;
        let _ = self.http.delete(&self.base).send().await;
    }
}

impl Drop for AppWindow {
    fn drop(&mut self) {
        if self.closed {
            return;
        }
        let panicking = std::thread::panicking();
        let base = self.base.clone();
        let test_name = self.test_name.clone();
        // Drop cannot await; a helper thread with its own runtime does the last requests.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                let http = client();
                if panicking {
                    // The frame after a failed assertion may not be painted yet.
                    tokio::time::sleep(Duration::from_millis(800)).await;
                    if let Ok(response) = http.get(format!("{base}/screenshot")).send().await
                        && let Ok(value) = response.json::<Value>().await
                        && let Some(encoded) = value["value"].as_str()
                        && let Ok(png) = base64::engine::general_purpose::STANDARD.decode(encoded)
                    {
                        let dir = screenshot_dir();
                        let _ = std::fs::create_dir_all(&dir);
                        let path = dir.join(format!("{test_name}.png"));
                        if std::fs::write(&path, png).is_ok() {
                            eprintln!("screenshot of the failure: {}", path.display());
                        }
                    }
                }
                let _ = http.delete(&base).send().await;
            });
        })
        .join();
    }
}
