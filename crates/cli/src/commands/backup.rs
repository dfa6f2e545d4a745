//! `huce backup` and `huce restore`: an online, verified backup beside the database or to
//! another folder (with the photos), and a checked restore that first keeps the current data.

use std::path::PathBuf;

use huce_core::{backup, db, paths, Result};

use super::common::{now_local, open_existing};

#[derive(clap::Args)]
pub struct BackupArgs {
    /// 数据库文件
    #[arg(long, required_unless_present = "server", conflicts_with = "server")]
    db: Option<PathBuf>,
    /// 备份到这个文件夹（不写则放在数据库旁的 backups 文件夹；备份服务器时必填）
    #[arg(long)]
    to: Option<PathBuf>,
    /// 备份服务器上的数据库（用 PostgreSQL 的 pg_dump）：postgres://用户名:密码@服务器地址:端口/数据库名
    #[arg(long, requires = "to")]
    server: Option<String>,
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
    let now = now_local();
    if let (Some(url), Some(dir)) = (&a.server, &a.to) {
        let out = huce_core::server::dump(url, dir, now)?;
        println!(
            "已用 pg_dump 备份服务器上的数据库并校验可读 → {}",
            out.display()
        );
        return Ok(());
    }
    let db = a.db.expect("clap requires --db without --server");
    let conn = open_existing(&db)?;
    match a.to {
        Some(dir) => {
            let done = backup::to_folder(&conn, &paths::photo_dir(&db), &dir, now)?;
            println!(
                "已备份并校验 → {}（照片在 {}：新复制 {} 张，已有 {} 张）",
                done.path.display(),
                done.photo_dir.display(),
                done.photos_copied,
                done.photos_present
            );
        }
        None => {
            let dest = backup::take(&conn, &paths::backup_dir(&db), backup::Reason::Manual, now)?;
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
