//! Starting the real app for a WebDriver session: Xvfb (when DISPLAY is unset), a private
//! session bus, tauri-driver and WebKitWebDriver. Shared by the end-to-end test and the startup
//! benchmark (`src-tauri/benches/startup.rs` includes it by path).

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use thirtyfour::prelude::*;

pub(crate) const WAIT: Duration = Duration::from_secs(40);
pub(crate) const POLL: Duration = Duration::from_millis(100);

/// A child process stopped with SIGTERM when dropped (SIGKILL would orphan WebKitWebDriver).
pub(crate) struct Proc(pub(crate) Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
    }
}

/// Two distinct free ports (both listeners are held until both are chosen).
pub(crate) fn free_ports() -> (u16, u16) {
    let a = TcpListener::bind("127.0.0.1:0").unwrap();
    let b = TcpListener::bind("127.0.0.1:0").unwrap();
    (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    )
}

pub(crate) fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not start listening on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Uses $DISPLAY when set, else starts a private Xvfb.
pub(crate) fn display() -> (String, Option<Proc>) {
    if let Ok(d) = std::env::var("DISPLAY") {
        if !d.is_empty() {
            return (d, None);
        }
    }
    let (name, proc) = private_xvfb();
    (name, Some(proc))
}

/// An Xvfb of its own: one that chooses a free display number itself and says which
/// (`-displayfd`) once it takes connections. Tests start them side by side, and a number picked
/// here from the free sockets could be picked by two at once: the second Xvfb then exits, both
/// apps share the first one's display, and the first test's end takes the other's window with it.
pub(crate) fn private_xvfb() -> (String, Proc) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1440x900x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb must be installed (Debian package xvfb)");
    let stdout = child.stdout.take().expect("Xvfb's standard output");
    let proc = Proc(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("Xvfb did not say its display number within 20 s");
    let n: u32 = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("Xvfb did not start (it said {line:?})"));
    (format!(":{n}"), proc)
}

pub(crate) fn tauri_driver() -> PathBuf {
    if let Some(p) = std::env::var_os("TAURI_DRIVER") {
        return PathBuf::from(p);
    }
    let home_bin =
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin/tauri-driver"));
    match home_bin {
        Some(p) if p.exists() => p,
        _ => PathBuf::from("tauri-driver"),
    }
}

pub(crate) fn output_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/output");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub(crate) struct Session {
    pub(crate) driver: WebDriver,
    pub(crate) display: String,
    pub(crate) db: PathBuf,
    /// The session bus the app runs on (its own, so a desktop's running copy of the program is
    /// never taken for this one's first instance).
    pub(crate) bus: String,
    /// When the session was asked for, which starts the app (the startup benchmark times from
    /// here; the end-to-end test does not time anything).
    #[allow(dead_code)]
    pub(crate) launched: Instant,
    _driver_proc: Proc,
    _bus_proc: Proc,
    _bus_dir: tempfile::TempDir,
    _xvfb: Option<Proc>,
}

/// A private D-Bus session bus: the single-instance plugin finds a running copy through it.
pub(crate) fn session_bus() -> (String, Proc, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("bus");
    let address = format!("unix:path={}", socket.display());
    let child = Command::new("dbus-daemon")
        .args([
            "--session",
            "--nofork",
            "--nopidfile",
            "--address",
            &address,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-daemon must be installed (Debian package dbus-daemon)");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !socket.exists() {
        assert!(Instant::now() < deadline, "dbus-daemon did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (address, Proc(child), dir)
}

impl Drop for Session {
    /// If the test failed before quitting, make sure its app does not outlive it.
    fn drop(&mut self) {
        let _ = Command::new("pkill")
            .args(["-TERM", "-f"])
            .arg(&self.db)
            .status();
    }
}

pub(crate) async fn start_app(db: &Path) -> Session {
    start_app_with(db, &[]).await
}

/// [`start_app`] with environment variables for the app (e.g. `HUCE_SERVER_URL`).
pub(crate) async fn start_app_with(db: &Path, env: &[(&str, &str)]) -> Session {
    start_binary(
        Path::new(env!("CARGO_BIN_EXE_huce-app")),
        &["--db", db.to_str().unwrap()],
        db,
        env,
    )
    .await
}

/// Starts `app` with `args` through tauri-driver (on Xvfb, a private session bus) and opens a
/// WebDriver session with it; `db` names the process for the clean-up.
pub(crate) async fn start_binary(
    app: &Path,
    args: &[&str],
    db: &Path,
    env: &[(&str, &str)],
) -> Session {
    let (display, xvfb) = display();
    let (bus, bus_proc, bus_dir) = session_bus();
    let (port, native_port) = free_ports();
    let child = Command::new(tauri_driver())
        .args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native_port.to_string(),
        ])
        .env("DISPLAY", &display)
        .env("DBUS_SESSION_BUS_ADDRESS", &bus)
        // No accessibility bus on the private session bus.
        .env("NO_AT_BRIDGE", "1")
        .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("tauri-driver must be installed: cargo install tauri-driver --locked");
    let driver_proc = Proc(child);
    wait_for_port(port, "tauri-driver");
    // tauri-driver listens before its WebKitWebDriver child does; a session request in between
    // is dropped without an answer (seen on CI), so wait for both.
    wait_for_port(native_port, "WebKitWebDriver");

    let mut caps = Capabilities::new();
    caps.set(
        "tauri:options",
        serde_json::json!({
            "application": app,
            "args": args,
        }),
    )
    .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let mut launched;
    let mut attempt = 0;
    let driver = loop {
        attempt += 1;
        launched = Instant::now();
        match WebDriver::new(&url, caps.clone()).await {
            Ok(d) => break d,
            Err(e) if attempt < 3 => {
                eprintln!("WebDriver session attempt {attempt} failed: {e}; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => panic!("WebDriver session with the app: {e}"),
        }
    };
    // The same size for every test, whatever size the last run left (the app keeps it per PC).
    driver.set_window_rect(0, 0, 1360, 860).await.unwrap();
    Session {
        driver,
        display,
        db: db.to_path_buf(),
        bus,
        launched,
        _driver_proc: driver_proc,
        _bus_proc: bus_proc,
        _bus_dir: bus_dir,
        _xvfb: xvfb,
    }
}
