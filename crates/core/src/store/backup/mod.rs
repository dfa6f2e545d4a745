//! Backups (备份) with SQLite's online backup API: a consistent copy even while the app has the
//! database open, checked after writing. Taken before every risky step (an import commit, a
//! migration, a restore), at the first start of each day, and by hand.
//!
//! A backup is written under a `.part` name and gets its real name only when it is complete and
//! checked, so a copy that stopped half way (a full disk, a USB stick pulled out) never looks
//! whole. A restore reads from a checked copy of the chosen backup, refuses files that are not
//! this program's, are newer than it, belong to another town (unless the user confirms that
//! town by name) or would leave nobody able to log in as administrator — all before anything
//! changes — and never lets the rotation touch the file being restored.

mod copy;
mod daily;
mod folder;
mod names;
mod restore;
mod rotation;

pub use copy::{backup_to, copy_to, verify, Copying};
pub(crate) use daily::reader;
pub use daily::{check_then_back_up, AfterStart, DAILY_ACTOR};
pub use folder::{copy_photos, database_to_folder, to_folder, FolderBackup, PhotoCopy};
pub use names::{
    list, new_backup_path, part_path, BackupFile, Reason, KEEP_DAILY, KEEP_EVENTS, KEEP_WEEKLY,
    PART,
};
pub use restore::{inspect, recover, restore, BackupInfo};
pub use rotation::{daily_due, daily_if_due, rotate, take, take_with_progress};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::paths::is_photo_name;
    use rusqlite::Connection;

    #[test]
    fn backup_is_a_verified_identical_copy() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::store::db::open(
            &dir.path().join("a.db"),
            chrono::NaiveDate::from_ymd_opt(2026, 11, 29)
                .unwrap()
                .and_hms_opt(10, 0, 0)
                .unwrap(),
        )
        .unwrap();
        crate::places::households::add_village(&conn, "石鱼村", 1).unwrap();
        let dest = new_backup_path(&dir.path().join("备份"), "20261129-101500", "导入前");
        backup_to(&conn, &dest).unwrap();
        assert!(!part_path(&dest).exists(), "the .part name is gone");
        let copy = Connection::open(&dest).unwrap();
        let name: String = copy
            .query_row("SELECT name FROM villages", [], |r| r.get(0))
            .unwrap();
        assert_eq!(name, "石鱼村");
        let second = new_backup_path(&dir.path().join("备份"), "20261129-101500", "导入前");
        assert_ne!(
            second, dest,
            "a second backup in the same second gets its own name"
        );
    }

    #[test]
    fn photo_names_are_recognised() {
        let h = "a".repeat(64);
        assert!(is_photo_name(&format!("{h}.jpg")));
        assert!(!is_photo_name("ab.jpg"));
        assert!(!is_photo_name(&format!("{h}.jpg.part")));
        assert!(!is_photo_name(&format!("{}.jpg", "g".repeat(64))));
        assert!(!is_photo_name("../../etc/passwd"));
    }
}
