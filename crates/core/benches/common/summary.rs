//! One table for a whole `cargo bench` run (#19): each benchmark adds its figures, each with the
//! anchor it is judged against measured in the same run (SQLite beside PostgreSQL, the sqlite3
//! shell's `.import` and calamine's parse beside an import, headless Chromium beside the
//! notices), the ratio and whether the target is met; then it prints every figure the run has so
//! far. The benchmarks of one `cargo bench` are children of the same cargo process, which names
//! the run, so the last one to finish prints the whole table.
//!
//! Included by path (`#[path = …] mod summary;`) in each benchmark: it is not part of any crate.

#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;

/// A figure's anchor: what it is and its value, in the figure's unit.
pub struct Anchor<'a> {
    pub name: &'a str,
    pub value: f64,
}

/// Adds one figure to this run's table.
pub fn add(
    figure: &str,
    ours: f64,
    unit: &str,
    anchor: Option<Anchor<'_>>,
    target: &str,
    met: bool,
) {
    let line = [
        figure.to_string(),
        format!("{ours}"),
        unit.to_string(),
        anchor
            .as_ref()
            .map_or(String::new(), |a| a.name.to_string()),
        anchor
            .as_ref()
            .map_or(String::new(), |a| format!("{}", a.value)),
        target.to_string(),
        if met { "met" } else { "NOT MET" }.to_string(),
    ]
    .map(|f| f.replace(['\t', '\n'], " "))
    .join("\t");
    let path = run_file();
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    {
        let _ = writeln!(f, "{line}");
    }
}

/// Prints every figure of this run so far, in the order they were added.
pub fn print() {
    let Ok(text) = std::fs::read_to_string(run_file()) else {
        return;
    };
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    let missed = rows.iter().filter(|r| r.get(6) == Some(&"NOT MET")).count();
    println!(
        "\n== cargo bench summary: {} figures of this run so far, {} target(s) not met ==",
        rows.len(),
        missed
    );
    println!(
        "{:<46} {:>12}  {:<34} {:>12} {:>7}  {:<28} met",
        "figure", "ours", "anchor (same run)", "anchor", "ratio", "target"
    );
    for r in rows {
        let [figure, ours, unit, anchor_name, anchor, target, met] = r[..] else {
            continue;
        };
        let ours_v: f64 = ours.parse().unwrap_or(f64::NAN);
        let anchor_v: Option<f64> = anchor.parse().ok();
        println!(
            "{:<46} {:>12}  {:<34} {:>12} {:>7}  {:<28} {met}",
            figure,
            format!("{} {unit}", short(ours_v)),
            anchor_name,
            anchor_v.map_or(String::new(), |a| format!("{} {unit}", short(a))),
            anchor_v.map_or(String::new(), |a| format!("{:.2}×", ours_v / a)),
            target,
        );
    }
}

fn short(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// This run's file: one per `cargo bench` (the parent process), dropped when it is a day old
/// (a process id comes round again).
fn run_file() -> PathBuf {
    // The workspace's target folder, whichever package's benchmark this is (`src-tauri` is
    // one level down, `crates/*` two).
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = manifest
        .ancestors()
        .find(|d| d.join("Cargo.lock").exists())
        .unwrap_or(&manifest);
    let dir = root.join("target/huce-bench/summary");
    let run = std::env::var("HUCE_BENCH_RUN").unwrap_or_else(|_| parent().to_string());
    let path = dir.join(format!("run-{run}.tsv"));
    let stale = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age.as_secs() > 24 * 3600);
    if stale {
        let _ = std::fs::remove_file(&path);
    }
    path
}

#[cfg(unix)]
fn parent() -> u32 {
    std::os::unix::process::parent_id()
}

#[cfg(not(unix))]
fn parent() -> u32 {
    std::process::id()
}
