//! `huce backup` and `huce restore`: an online, verified backup beside the database or to
//! another folder (with the photos), and a checked restore that first keeps the current data.

use std::path::PathBuf;

use huce_core::{backup, db, paths, Result};

use super::common::{now_local, open_existing};

#[derive(clap::Args)]
pub struct BackupArgs {
    /// 数据库文件
    #[arg(long)]
    db: PathBuf,
    /// 备份到这个文件夹（不写则放在数据库旁的 backups 文件夹）
    #[arg(long)]
    to: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// 数据库文件
    #[arg(long)]
    db: PathBuf,
    /// 要恢复的备份文件
    #[arg(long)]
    from: PathBuf,
    /// 备份是另一个镇的数据时，写上备份的镇名表示确认
    #[arg(long)]
    confirm_town: Option<String>,
}

pub fn backup(a: BackupArgs) -> Result<()> {
    let conn = open_existing(&a.db)?;
    let now = now_local();
    match a.to {
        Some(dir) => {
            let done = backup::to_folder(&conn, &paths::photo_dir(&a.db), &dir, now)?;
            println!(
                "已备份并校验 → {}（照片在 {}：新复制 {} 张，已有 {} 张）",
                done.path.display(),
                done.photo_dir.display(),
                done.photos_copied,
                done.photos_present
            );
        }
        None => {
            let dest = backup::take(
                &conn,
                &paths::backup_dir(&a.db),
                backup::Reason::Manual,
                now,
            )?;
            println!("已备份并校验 → {}", dest.display());
        }
    }
    Ok(())
}

pub fn restore(a: RestoreArgs) -> Result<()> {
    // Not while the app (or another restore) has the database open.
    let _lock = db::lock(&a.db)?;
    let mut conn = open_existing(&a.db)?;
    let from = paths::input_file(&a.from.to_string_lossy())?;
    let safety = backup::restore(
        &mut conn,
        &from,
        &paths::backup_dir(&a.db),
        a.confirm_town.as_deref(),
        now_local(),
    )?;
    println!(
        "已从 {} 恢复；恢复前的数据另存为 {}",
        from.display(),
        safety.display()
    );
    Ok(())
}
