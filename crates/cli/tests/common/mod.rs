//! What the CLI's test files share: running the real `huce` binary and checking how it ended.

// Each test file is its own crate and uses only some of these.
#![allow(dead_code)]

use std::process::Command;

/// A command for the `huce` binary built with these tests.
pub fn huce() -> Command {
    Command::new(env!("CARGO_BIN_EXE_huce"))
}

/// Runs `cmd` to its end. A process the system could not start is tried again, twice: Wine,
/// where the Windows build's tests run, now and then fails to create one ("Internal error",
/// OS error 1359) before `huce` runs at all. What `huce` itself does is never retried.
fn output(cmd: &mut Command) -> std::process::Output {
    let mut tries = 0;
    loop {
        tries += 1;
        match cmd.output() {
            Ok(out) => return out,
            Err(e) if tries < 3 && e.raw_os_error() == Some(1359) => {
                std::thread::sleep(std::time::Duration::from_millis(500));
            }
            Err(e) => panic!("huce runs: {e:?}"),
        }
    }
}

/// Runs `cmd`, which must succeed, and returns what it printed (panics with its stderr).
pub fn run_ok(cmd: &mut Command) -> String {
    let out = output(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

/// Runs `cmd`, which must fail as `huce` fails (exit code 1, a Chinese "错误：" message), and
/// returns its stderr.
pub fn run_err(cmd: &mut Command) -> String {
    let out = output(cmd);
    let err = String::from_utf8(out.stderr).expect("stderr is UTF-8");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{cmd:?} should have failed: {}{err}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(err.starts_with("错误："), "{err}");
    err
}

/// Opens (creating or upgrading) a database file as the tests' fixed time, 2026-11-29 10:00.
pub fn open_db(path: &std::path::Path) -> rusqlite::Connection {
    let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 29)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("a valid time");
    huce_core::db::open(path, now).expect("the database opens")
}
