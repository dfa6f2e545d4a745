//! Windows only (run under Wine by `scripts/windows.sh`): the database in %APPDATA% under a
//! user folder with Chinese characters and a space, Windows file locking, and backups to
//! another drive letter.

use std::path::PathBuf;

use huce_core::backup::{self, Reason};
use huce_core::db;
use huce_core::demo::{self, DemoOptions};

use crate::NOW;

fn appdata_folder(name: &str) -> PathBuf {
    let appdata = std::env::var_os("APPDATA").expect("%APPDATA% is set on Windows");
    let dir = PathBuf::from(appdata)
        .join("张三 的文件")
        .join(format!("{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_database_in_appdata_under_a_chinese_user_folder() {
    let dir = appdata_folder("huce");
    let path = dir.join("huce.db");
    {
        let mut conn = db::open(&path, crate::fixed_time()).unwrap();
        demo::generate(
            &mut conn,
            DemoOptions {
                households: 120,
                seed: 1,
            },
            NOW,
        )
        .unwrap();
    }
    let conn = db::open_checked(&path, crate::fixed_time()).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM households", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 120);
    let v = huce_core::audit::verify(&conn).unwrap();
    assert!(v.ok(), "{}", v.message());
    drop(conn);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_open_database_is_locked_by_windows_and_a_second_writer_waits_then_fails_cleanly() {
    let dir = appdata_folder("lock");
    let path = dir.join("huce.db");
    let conn = db::open(&path, crate::fixed_time()).unwrap();
    huce_core::households::add_village(&conn, "石鱼村", 1).unwrap();
    // Windows keeps an open file from being replaced: recovery must only run on a closed file.
    let moved = std::fs::rename(&path, dir.join("moved.db"));
    assert!(moved.is_err(), "Windows refuses to rename an open database");

    let other = db::open(&path, crate::fixed_time()).unwrap();
    other
        .busy_timeout(std::time::Duration::from_millis(200))
        .unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    let err = huce_core::households::add_village(&other, "太平村", 2).unwrap_err();
    assert_eq!(err.code(), "db", "{err}");
    assert!(err.to_string().contains("数据没有被部分写入"), "{err}");
    conn.execute_batch("COMMIT").unwrap();
    huce_core::households::add_village(&other, "太平村", 2).unwrap();
    drop(conn);
    drop(other);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn backups_to_another_drive_letter() {
    let dir = appdata_folder("backup");
    let path = dir.join("huce.db");
    let conn = db::open(&path, crate::fixed_time()).unwrap();
    huce_core::households::add_village(&conn, "石鱼村", 1).unwrap();
    let home_drive = dir
        .to_string_lossy()
        .chars()
        .next()
        .unwrap()
        .to_ascii_uppercase();
    // Another drive that exists (under Wine, Z: is the Linux root); none on a one-drive PC.
    let Some(drive) = ('D'..='Z')
        .filter(|d| *d != home_drive)
        .map(|d| PathBuf::from(format!("{d}:\\")))
        .find(|p| {
            p.exists()
                && std::fs::metadata(p)
                    .map(|m| !m.permissions().readonly())
                    .unwrap_or(false)
        })
    else {
        eprintln!("no second drive letter on this machine; skipped");
        return;
    };
    let target = drive
        .join("tmp")
        .join(format!("huce 备份-{}", std::process::id()));
    std::fs::create_dir_all(&target).unwrap();
    // A photo, stored as the app stores it (in a two-character sub-folder).
    let photo_dir = huce_core::paths::photo_dir(&path);
    let picked = dir.join("现场照片.jpg");
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
    jpeg.extend((0..5000u32).map(|i| (i % 251) as u8));
    std::fs::write(&picked, &jpeg).unwrap();
    let photo = huce_core::photos::store(&conn, &photo_dir, &picked, NOW).unwrap();
    let done = backup::to_folder(
        &conn,
        &photo_dir,
        &target,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 29)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap(),
    )
    .unwrap();
    assert!(done.path.starts_with(&drive), "{:?}", done.path);
    backup::verify(&done.path).unwrap();
    assert_eq!(done.photos_copied, 1);
    let rel =
        PathBuf::from(photo.file_name.chars().take(2).collect::<String>()).join(&photo.file_name);
    assert_eq!(
        std::fs::read(done.photo_dir.join(&rel)).unwrap(),
        jpeg,
        "the photo is on the other drive, byte for byte"
    );
    let listed = backup::list(&target).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].reason, Reason::Manual);
    drop(conn);
    std::fs::remove_dir_all(&target).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
