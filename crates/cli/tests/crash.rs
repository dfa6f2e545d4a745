//! Crash test: the `huce` process is killed with SIGKILL at random moments while it imports a
//! ledger and while it saves a stream of inspections, many times. After every kill the database
//! must pass `integrity_check`, an import must be either wholly there or not at all, every save
//! the process acknowledged must be there, and the audit log's chain must still verify.

#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use huce_core::rng::Rng;
use rusqlite::Connection;

/// Kills of each kind (so at least 240 in all).
const KILLS: usize = 120;

fn huce() -> Command {
    Command::new(env!("CARGO_BIN_EXE_huce"))
}

fn ok(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn check_whole(db: &Path) -> Connection {
    let conn = Connection::open(db).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok", "{db:?}");
    conn
}

fn audit_ok(db: &Path) {
    let conn = huce_core::db::open(db).unwrap();
    let v = huce_core::audit::verify(&conn).unwrap();
    assert!(v.ok(), "{}", v.message());
}

#[test]
fn killed_imports_and_saves_leave_a_whole_database() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo.db");
    ok(huce()
        .args(["demo", "--households", "400", "--seed", "11", "--out"])
        .arg(&demo));
    let ledger = dir.path().join("ledger.xlsx");
    ok(huce()
        .args(["export", "ledger", "--db"])
        .arg(&demo)
        .arg("--out")
        .arg(&ledger)
        .arg("--full"));

    // How long a whole import takes here, to spread the kills over it.
    let probe = dir.path().join("probe.db");
    ok(huce()
        .arg("init")
        .arg(&probe)
        .args(["--district", "铜梁区", "--town", "石鱼镇"]));
    let started = Instant::now();
    ok(huce()
        .arg("import")
        .arg(&ledger)
        .arg("--db")
        .arg(&probe)
        .arg("--create-places"));
    let full_time = started.elapsed();
    let full: i64 = check_whole(&probe)
        .query_row("SELECT count(*) FROM households", [], |r| r.get(0))
        .unwrap();
    assert_eq!(full, 400);

    let mut rng = Rng::new(20221016);
    let (mut before, mut after) = (0, 0);
    for i in 0..KILLS {
        let db = dir.path().join(format!("import-{i}.db"));
        ok(huce()
            .arg("init")
            .arg(&db)
            .args(["--district", "铜梁区", "--town", "石鱼镇"]));
        let mut child = huce()
            .arg("import")
            .arg(&ledger)
            .arg("--db")
            .arg(&db)
            .arg("--create-places")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let wait = full_time.as_micros() as u64 * 12 / 10;
        std::thread::sleep(Duration::from_micros(rng.below(wait.max(1))));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let conn = check_whole(&db);
        let households: i64 = conn
            .query_row("SELECT count(*) FROM households", [], |r| r.get(0))
            .unwrap();
        let batches: i64 = conn
            .query_row("SELECT count(*) FROM import_batches", [], |r| r.get(0))
            .unwrap();
        match households {
            0 => {
                assert_eq!(batches, 0, "kill {i}: no households, no batch");
                before += 1;
            }
            400 => {
                assert_eq!(batches, 1, "kill {i}: the batch is recorded with its rows");
                after += 1;
            }
            n => panic!("kill {i}: a half-applied import ({n} of 400 households)"),
        }
        drop(conn);
        audit_ok(&db);
        std::fs::remove_file(&db).unwrap();
    }

    // A stream of saves, killed at random; every acknowledged save must be there.
    let mut acked_total = 0;
    let mut saves_killed_mid_stream = 0;
    for i in 0..KILLS {
        let mut child = huce()
            .args(["stress-save", "--count", "100000", "--db"])
            .arg(&demo)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| l.strip_prefix("acked ").and_then(|n| n.parse::<i64>().ok()))
                .collect::<Vec<i64>>()
        });
        std::thread::sleep(Duration::from_millis(20 + rng.below(180)));
        let _ = child.kill();
        let status = child.wait().unwrap();
        let acked = reader.join().unwrap();
        if !status.success() {
            saves_killed_mid_stream += 1;
        }
        let conn = check_whole(&demo);
        for id in &acked {
            let there: bool = conn
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM inspections WHERE id = ?1)",
                    [id],
                    |r| r.get(0),
                )
                .unwrap();
            assert!(there, "kill {i}: acknowledged inspection {id} is missing");
        }
        acked_total += acked.len();
        drop(conn);
        audit_ok(&demo);
    }
    eprintln!(
        "crash test: {KILLS} imports killed ({before} before commit, {after} after; none half-applied), \
         {KILLS} save streams killed ({saves_killed_mid_stream} mid-stream, {acked_total} acknowledged saves, all present); \
         integrity_check and the audit chain passed after every kill"
    );
    assert!(
        before > 0 && after > 0,
        "kills landed on both sides of the commit"
    );
    assert!(acked_total > 0 && saves_killed_mid_stream > KILLS / 2);
}
