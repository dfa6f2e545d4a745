//! 备份到: the database and the whole photo tree copied to another folder or drive, each file checked.

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use rusqlite::Connection;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::copy::{anchor, discard, full_here, io_err, write_checked};
use super::names::{new_backup_path, part_path, Reason, PART};
use crate::error::{Error, Result};

/// What 备份到… did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FolderBackup {
    /// The database copy.
    pub path: PathBuf,
    /// The photo folder on the target.
    pub photo_dir: PathBuf,
    /// Photos copied now (each checked against its SHA-256 name).
    pub photos_copied: usize,
    /// Photos already on the target (same name and size) and left as they were.
    pub photos_present: usize,
}

pub(super) fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(format!("{:x}", h.finalize()))
}

/// Copies one photo: under a `.part` name, checked against the hash its name carries, then
/// renamed. Returns false when the target already held it.
pub(super) fn copy_photo(from: &Path, to: &Path) -> Result<bool> {
    if let (Ok(a), Ok(b)) = (std::fs::metadata(from), std::fs::metadata(to)) {
        if a.len() == b.len() {
            return Ok(false);
        }
    }
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    let part = part_path(to);
    // Flushed to the device before it counts (Windows flushes only a handle opened for writing).
    let copied = std::fs::copy(from, &part)
        .and_then(|_| {
            std::fs::OpenOptions::new()
                .write(true)
                .open(&part)?
                .sync_all()
        })
        .map_err(io_err(to));
    if let Err(e) = copied {
        discard(&part);
        return Err(full_here(e, to.parent().unwrap_or(to)));
    }
    let name = to.file_name().map(|n| n.to_string_lossy().into_owned());
    if let Some(name) = name.filter(|n| crate::store::paths::is_photo_name(n)) {
        let want = name.split('.').next().unwrap_or("").to_ascii_lowercase();
        let got = sha256_file(&part).map_err(io_err(to))?;
        if got != want {
            discard(&part);
            let source_ok = sha256_file(from).map(|h| h == want).unwrap_or(false);
            return Err(Error::Invalid(if source_ok {
                format!(
                    "照片“{}”复制到“{}”后校验不符，目标盘可能有坏块。已复制的数据库备份没有被标为完成；请换一个 U 盘重试。",
                    from.display(),
                    to.display()
                )
            } else {
                format!(
                    "照片文件“{}”已损坏（内容与它的校验名不符），备份没有完成。请把照片文件夹交给管理员检查；从旧备份中找回这张照片后再备份。",
                    from.display()
                )
            }));
        }
    }
    std::fs::rename(&part, to).map_err(io_err(to))?;
    Ok(true)
}

/// Every file under `dir` (recursively), relative to it; `.part` leftovers are skipped.
pub(super) fn photo_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let here = dir.join(&rel);
        let read = match std::fs::read_dir(&here) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_err(&here)(e)),
        };
        for entry in read {
            let entry = entry.map_err(io_err(&here))?;
            let name = entry.file_name();
            let kind = entry.file_type().map_err(io_err(&here))?;
            if kind.is_dir() {
                stack.push(rel.join(&name));
            } else if kind.is_file() && !name.to_string_lossy().ends_with(PART) {
                out.push(rel.join(&name));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The photos copied into a backup folder (the first half of 备份到…).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhotoCopy {
    /// The photo folder on the target.
    pub dir: PathBuf,
    /// Photos copied now (each checked against its SHA-256 name).
    pub copied: usize,
    /// Photos already on the target (same name and size) and left as they were.
    pub present: usize,
}

/// 备份到…, first half: the whole photo tree into `dest_dir` (every photo checked against its
/// SHA-256 name; photos already there with the same size are kept). Needs no database, so the
/// app copies photos without holding the database meanwhile.
pub fn copy_photos(photo_dir: &Path, dest_dir: &Path) -> Result<PhotoCopy> {
    if !dest_dir.is_dir() {
        return Err(Error::Invalid(format!(
            "文件夹“{}”不存在。请插好 U 盘后重新选择。",
            dest_dir.display()
        )));
    }
    let photo_name = photo_dir
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "huce-photos".into());
    let dir = dest_dir.join(photo_name);
    let (mut copied, mut present) = (0, 0);
    for rel in photo_files(photo_dir)? {
        if copy_photo(&photo_dir.join(&rel), &dir.join(&rel))? {
            copied += 1;
        } else {
            present += 1;
        }
    }
    Ok(PhotoCopy {
        dir,
        copied,
        present,
    })
}

/// 备份到…, second half: a verified copy of the database into `dest_dir`, named last (after its
/// audit entry, which counts the photos copied), so a copy that stopped half way stays `.part`.
pub fn database_to_folder(
    conn: &Connection,
    dest_dir: &Path,
    photos: PhotoCopy,
    now: NaiveDateTime,
) -> Result<FolderBackup> {
    let dest = new_backup_path(
        dest_dir,
        &now.format("%Y%m%d-%H%M%S").to_string(),
        Reason::Manual.label(),
    );
    let held = crate::store::audit::head(conn)?;
    let (copied, present) = (photos.copied, photos.present);
    write_checked(conn, &dest, true, &mut |_| {}, || {
        crate::store::audit::append(
            conn,
            &crate::store::audit::at_text(now),
            "backup",
            "database",
            "folder",
            &format!(
                "备份到 {}（照片：新复制 {copied} 张，已有 {present} 张，均已校验）",
                dest.display()
            ),
            serde_json::json!({
                "path": dest.display().to_string(),
                "photos_copied": copied,
                "photos_present": present,
            }),
        )
        .map(|_| ())
    })?;
    anchor(conn, held, now, &format!("备份到 {}", dest.display()));
    Ok(FolderBackup {
        path: dest,
        photo_dir: photos.dir,
        photos_copied: copied,
        photos_present: present,
    })
}

/// 备份到…: the photos, then a verified copy of the database, into a folder the user picked (a
/// USB stick); see [`copy_photos`] and [`database_to_folder`].
pub fn to_folder(
    conn: &Connection,
    photo_dir: &Path,
    dest_dir: &Path,
    now: NaiveDateTime,
) -> Result<FolderBackup> {
    let photos = copy_photos(photo_dir, dest_dir)?;
    database_to_folder(conn, dest_dir, photos, now)
}
