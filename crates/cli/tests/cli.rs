//! Drives the real `huce` binary.

use std::process::Command;

fn huce() -> Command {
    Command::new(env!("CARGO_BIN_EXE_huce"))
}

#[test]
fn demo_then_stats() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("示例 镇").join("demo.db");
    let out = huce()
        .args(["demo", "--households", "500", "--seed", "7", "--out"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "demo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("500 户"), "{text}");

    let out = huce().arg("stats").arg(&db).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("石鱼镇（示例数据）"), "{text}");
    assert!(text.contains("行政村 12 个"), "{text}");
    assert!(text.contains("农户 500 户"), "{text}");
}

#[test]
fn demo_into_a_filled_database_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    assert!(huce()
        .args(["demo", "--households", "20", "--out"])
        .arg(&db)
        .status()
        .unwrap()
        .success());
    let out = huce()
        .args(["demo", "--households", "20", "--out"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "a second demo into the same file must fail"
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("已经有 20 户数据"), "{err}");
}

#[test]
fn stats_of_a_missing_file_says_so() {
    let out = huce().args(["stats", "没有这个文件.db"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("找不到数据库文件"), "{err}");
}
