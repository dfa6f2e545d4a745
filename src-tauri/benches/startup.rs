//! Startup benchmark (#21): the real app started as a clerk starts it (through tauri-driver and
//! WebKitWebDriver under Xvfb, as the end-to-end test does), timed from the moment the app is
//! launched until the login screen is usable (shown, the cursor in 用户名), then logged in; its
//! memory once the workbench shows and the checks after the start are done. For the demo town
//! (9,000 households) and the district file (262,000 households), each on the first start of a
//! day (the daily backup then runs behind the window) and on later starts; beside a minimal
//! Tauri 2 app (`src-tauri/minimal/`) built in the same run and started the same way. Both are
//! the shipped build (the `dist` profile, which the run builds; `HUCE_BENCH_APP` and
//! `HUCE_BENCH_MINIMAL` name other builds to measure instead).
//!
//! Memory is the proportional set size (PSS) of the app and every process it started (WebKit's
//! web and network processes), so libraries shared between them count once.
//!
//! Run with `cargo bench -p huce-app --features bench-minimal` (needs what the end-to-end test
//! needs). Targets: login usable within 1 s of start; memory after login within 1.3 × the
//! minimal app's.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[path = "../../crates/core/benches/common/district.rs"]
mod district;
#[allow(dead_code)]
#[path = "../../tests/e2e/driver.rs"]
mod driver;
#[path = "../../crates/core/benches/common/summary.rs"]
mod summary;

use driver::{start_binary, Session};
use thirtyfour::prelude::*;

const USER: (&str, &str) = ("admin", "shiyu2022");
const WAIT: Duration = Duration::from_secs(120);

/// PSS and RSS in kB of `pid` and all its descendants.
fn memory_kb(pid: u32) -> (u64, u64) {
    let mut pids = vec![pid];
    let mut i = 0;
    while i < pids.len() {
        let p = pids[i];
        i += 1;
        if let Ok(tasks) = std::fs::read_dir(format!("/proc/{p}/task")) {
            for t in tasks.flatten() {
                if let Ok(children) = std::fs::read_to_string(t.path().join("children")) {
                    pids.extend(
                        children
                            .split_whitespace()
                            .filter_map(|c| c.parse::<u32>().ok()),
                    );
                }
            }
        }
    }
    let field = |text: &str, name: &str| -> u64 {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let mut parts = Vec::new();
    let total = pids
        .iter()
        .filter_map(|p| {
            let t = std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")).ok()?;
            let comm = std::fs::read_to_string(format!("/proc/{p}/comm")).unwrap_or_default();
            parts.push(format!("{} {} MB", comm.trim(), field(&t, "Pss:") / 1024));
            // HUCE_BENCH_SMAPS=<dir>: each process's mappings, for finding where memory goes.
            if let Some(dir) = std::env::var_os("HUCE_BENCH_SMAPS") {
                let _ = std::fs::create_dir_all(&dir);
                static SEEN: std::sync::atomic::AtomicUsize =
                    std::sync::atomic::AtomicUsize::new(0);
                let n = SEEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let _ = std::fs::copy(
                    format!("/proc/{p}/smaps"),
                    Path::new(&dir).join(format!("{n:02}-{pid}-{}-{p}.smaps", comm.trim())),
                );
            }
            Some((field(&t, "Pss:"), field(&t, "Rss:")))
        })
        .fold((0, 0), |(a, b), (c, d)| (a + c, b + d));
    println!("  PSS by process: {}", parts.join(", "));
    total
}

/// The process whose command line contains `marker` (the app; the drivers' do not).
fn pid_of(marker: &str) -> u32 {
    let out = std::process::Command::new("pgrep")
        .args(["-n", "-f", marker])
        .output()
        .expect("pgrep");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no process for {marker}"))
}

/// Polls `script` (returning true when done) until it is true; the time since the launch.
async fn until(s: &Session, script: &str) -> Duration {
    let deadline = Instant::now() + WAIT;
    loop {
        let done = s
            .driver
            .execute(script, vec![])
            .await
            .map(|r| r.json() == &serde_json::json!(true))
            .unwrap_or(false);
        if done {
            return s.launched.elapsed();
        }
        assert!(Instant::now() < deadline, "never true: {script}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

struct Start {
    usable: Duration,
    pss_kb: u64,
    rss_kb: u64,
}

/// The binary to start: the one named by `var`, else `name` as shipped: built here with the
/// `dist` profile (Cargo.toml: size-optimised, whole-program optimisation), the minimal app
/// too, so both are measured as a user would run them.
fn binary(var: &str, name: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(var) {
        return PathBuf::from(path);
    }
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| {
        println!(
            "building both apps with the shipped `dist` profile (the first time takes minutes)…"
        );
        let status =
            std::process::Command::new(std::env::var_os("CARGO").unwrap_or("cargo".into()))
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .args(["build", "--locked", "--profile", "dist", "-p", "huce-app"])
                .args([
                    "--features",
                    "bench-minimal",
                    "--bin",
                    "huce-app",
                    "--bin",
                    "minimal-tauri",
                ])
                .status()
                .expect("cargo runs");
        assert!(status.success(), "the dist build failed");
    });
    // This run's release binaries are in <target>/release; the dist ones beside them.
    let release = Path::new(env!("CARGO_BIN_EXE_huce-app")).parent().unwrap();
    release.with_file_name("dist").join(name)
}

/// Starts the workbench on `db`, logs in, waits for the workbench and the checks after the start.
async fn start_workbench(db: &Path) -> Start {
    let app = binary("HUCE_BENCH_APP", "huce-app");
    let app = app.as_path();
    let s = start_binary(app, &["--db", db.to_str().unwrap()], db, &[]).await;
    let usable = until(
        &s,
        "const l = document.getElementById('login-screen');
         return !!l && !l.hidden && document.activeElement === document.getElementById('login-username');",
    )
    .await;
    if std::env::var_os("HUCE_BENCH_QUICK").is_some() {
        tokio::time::sleep(Duration::from_secs(2)).await;
        print!("  at the login screen:");
        memory_kb(pid_of(db.to_str().unwrap()));
    }
    let d = &s.driver;
    d.find(By::Id("login-username"))
        .await
        .unwrap()
        .send_keys(USER.0)
        .await
        .unwrap();
    d.find(By::Id("login-password"))
        .await
        .unwrap()
        .send_keys(USER.1)
        .await
        .unwrap();
    d.find(By::Id("login-go"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(&s, "return document.body.dataset.loaded === 'yes';").await;
    // The checks after the start (and the day's backup) done: the header no longer says so.
    until(
        &s,
        "const a = document.getElementById('after-start');
         return a.hidden || a.classList.contains('failed') || a.textContent === '数据库检查完毕';",
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    if std::env::var_os("HUCE_BENCH_QUICK").is_some() {
        let n = s
            .driver
            .execute("return document.getElementsByTagName('*').length;", vec![])
            .await
            .map(|r| r.json().clone());
        println!("  elements in the page: {n:?}");
    }
    let (pss_kb, rss_kb) = memory_kb(pid_of(db.to_str().unwrap()));
    let _ = s.driver.clone().quit().await;
    Start {
        usable,
        pss_kb,
        rss_kb,
    }
}

/// Starts the minimal app: until its page shows, and its memory two seconds later.
async fn start_minimal(marker_dir: &Path) -> Start {
    let app = binary("HUCE_BENCH_MINIMAL", "minimal-tauri");
    let app = app.as_path();
    let s = start_binary(app, &[], marker_dir, &[]).await;
    let usable = until(&s, "return !!document.getElementById('ready');").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (pss_kb, rss_kb) = memory_kb(pid_of(app.to_str().unwrap()));
    let _ = s.driver.clone().quit().await;
    Start {
        usable,
        pss_kb,
        rss_kb,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A copy of `source` in `dir` with the benchmark's administrator (and no backups yet).
fn prepared(source: &Path, dir: &Path) -> PathBuf {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let db = dir.join("huce.db");
    std::fs::copy(source, &db).unwrap();
    let conn = huce_core::db::open(&db, chrono::Local::now().naive_local()).unwrap();
    if !huce_core::accounts::any(&conn).unwrap() {
        huce_core::accounts::create_first_admin(
            &conn,
            &huce_core::accounts::AccountInput {
                username: USER.0.into(),
                display_name: "基准测试".into(),
                role: huce_core::model::Role::Admin,
                staff_id: None,
                password: Some(USER.1.into()),
                active: true,
            },
            "2026-11-29T09:00:00+08:00",
        )
        .unwrap();
    }
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    db
}

async fn run() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/huce-bench");
    let dir = root.join("startup");
    std::fs::create_dir_all(&dir).unwrap();

    // HUCE_BENCH_QUICK=1: one start of each, the district only (while looking for memory);
    // HUCE_BENCH_QUICK=demo: the demo town only.
    let quick = std::env::var_os("HUCE_BENCH_QUICK").is_some();
    let demo_only = std::env::var_os("HUCE_BENCH_QUICK").is_some_and(|q| q == "demo");
    let repeat = if quick { 1 } else { 3 };
    let mut minimal = Vec::new();
    for _ in 0..repeat {
        minimal.push(start_minimal(&dir).await);
    }
    let min_usable = median(minimal.iter().map(|s| s.usable.as_secs_f64()).collect());
    let min_pss = median(minimal.iter().map(|s| s.pss_kb as f64 / 1024.0).collect());
    let min_rss = median(minimal.iter().map(|s| s.rss_kb as f64 / 1024.0).collect());
    println!(
        "minimal Tauri 2 app: page shown {min_usable:.2} s after launch, {min_pss:.0} MB PSS ({min_rss:.0} MB RSS)"
    );

    let town = dir.join("demo-town.db");
    if !town.exists() {
        let tmp = dir.join("demo-town.tmp");
        let _ = std::fs::remove_file(&tmp);
        let mut conn = huce_core::db::open(&tmp, chrono::Local::now().naive_local()).unwrap();
        huce_core::demo::generate(
            &mut conn,
            huce_core::demo::DemoOptions::default(),
            "2026-11-29T09:00:00+08:00",
        )
        .unwrap();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
        drop(conn);
        std::fs::rename(&tmp, &town).unwrap();
    }
    let district = district::district_file(&root);

    for (name, source) in [
        ("demo town (9,000 households)", town),
        ("district file (262,000 households)", district.clone()),
    ] {
        if quick && (source != district) != demo_only {
            continue;
        }
        let size = std::fs::metadata(&source).map_or(0, |m| m.len()) as f64 / 1e6;
        let db = prepared(&source, &dir.join("run"));
        // The first start of the day takes the daily backup behind the window; later starts
        // find it there.
        let first = start_workbench(&db).await;
        let mut later = Vec::new();
        for _ in 0..repeat {
            later.push(start_workbench(&db).await);
        }
        let later_usable = median(later.iter().map(|s| s.usable.as_secs_f64()).collect());
        let pss = std::iter::once(&first)
            .chain(&later)
            .map(|s| s.pss_kb)
            .max()
            .unwrap() as f64
            / 1024.0;
        let rss = later.iter().map(|s| s.rss_kb).max().unwrap() as f64 / 1024.0;
        println!(
            "{name}, {size:.0} MB file: login usable {:.2} s after launch on the day's first start, \
             {later_usable:.2} s on later starts (median of 3); memory after login {pss:.0} MB PSS \
             ({rss:.0} MB RSS), {:.2} × the minimal app's",
            first.usable.as_secs_f64(),
            pss / min_pss
        );
        let anchor = || {
            Some(summary::Anchor {
                name: "minimal Tauri 2 app, page shown",
                value: min_usable,
            })
        };
        summary::add(
            &format!("start → login usable, {name}, day's first start"),
            first.usable.as_secs_f64(),
            "s",
            anchor(),
            "≤ 1 s",
            first.usable.as_secs_f64() <= 1.0,
        );
        summary::add(
            &format!("start → login usable, {name}, later start"),
            later_usable,
            "s",
            anchor(),
            "≤ 1 s",
            later_usable <= 1.0,
        );
        summary::add(
            &format!("memory after login (PSS), {name}"),
            pss,
            "MB",
            Some(summary::Anchor {
                name: "minimal Tauri 2 app (PSS)",
                value: min_pss,
            }),
            "≤ 1.3 × the minimal app",
            pss <= 1.3 * min_pss,
        );
        let _ = std::fs::remove_dir_all(dir.join("run"));
    }
    summary::print();
}

fn main() {
    // `cargo bench` passes `--bench`; there is nothing to choose.
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(run());
}
