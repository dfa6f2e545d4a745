//! Photos taken in the field. A picked file is copied at once into the app's photo folder and
//! named by the SHA-256 of its content, so the original path (a USB stick, a phone) is never
//! relied on, and the same photo picked twice is stored once.

use std::io::Read;
use std::path::{Path, PathBuf};

use rusqlite::params;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::store::sql::{Db, Optional};

/// Larger files are refused: a phone photo is 2–8 MB; 30 MB is almost surely not a photo.
pub const MAX_PHOTO_BYTES: u64 = 30 * 1024 * 1024;

/// A stored photo.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Photo {
    pub hash: String,
    pub file_name: String,
    pub original_name: String,
    pub bytes: i64,
}

/// The image kinds accepted, by their first bytes (the extension alone is not trusted).
fn kind_of(head: &[u8]) -> Option<(&'static str, &'static str)> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("jpg", "image/jpeg"))
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("png", "image/png"))
    } else if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        Some(("webp", "image/webp"))
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        Some(("gif", "image/gif"))
    } else if head.starts_with(b"BM") {
        Some(("bmp", "image/bmp"))
    } else {
        None
    }
}

/// The kinds accepted for a scanned paper (a signed 回执 or 验收单): a photo of it or a PDF.
fn scan_kind_of(head: &[u8]) -> Option<(&'static str, &'static str)> {
    if head.starts_with(b"%PDF-") {
        Some(("pdf", "application/pdf"))
    } else {
        kind_of(head)
    }
}

/// Whether a stored file is an image (a scan may be a PDF, which a photo slot refuses).
pub fn is_image(file_name: &str) -> bool {
    !file_name.ends_with(".pdf")
}

/// The MIME type of a stored photo's file name.
pub fn mime_of(file_name: &str) -> &'static str {
    match file_name.rsplit('.').next() {
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        Some("bmp") => "image/bmp",
        _ => "image/jpeg",
    }
}

/// Copies `source` into `dir` (if not already there) and records it. Returns the stored photo.
/// On the server the bytes go into `photo_blobs` instead (`dir` is not used).
pub fn store<'a>(db: impl Into<Db<'a>>, dir: &Path, source: &Path, now: &str) -> Result<Photo> {
    store_as(db.into(), dir, source, now, false)
}

/// Stores a scanned signed paper (回执, 验收单): a photo of it, or a PDF from a scanner.
pub fn store_scan<'a>(
    db: impl Into<Db<'a>>,
    dir: &Path,
    source: &Path,
    now: &str,
) -> Result<Photo> {
    store_as(db.into(), dir, source, now, true)
}

/// Where a stored photo or scan is on disk, for opening it with the system's viewer: in the
/// photo folder beside the file; from the server, a copy written to this PC's temporary folder.
pub fn file_path<'a>(db: impl Into<Db<'a>>, dir: &Path, hash: &str) -> Result<PathBuf> {
    let conn = db.into();
    if let Db::Server(_) = conn {
        let photo = get(conn, hash)?.ok_or_else(|| {
            Error::Invalid(format!("数据库中没有这个文件（{hash}）。请刷新后重试。"))
        })?;
        let (bytes, _) = read(conn, dir, hash)?;
        let folder = std::env::temp_dir().join("huce-photos");
        let path = crate::store::paths::photo_file(&folder, &photo.file_name)?;
        let io = |source| Error::Io {
            path: path.clone(),
            source,
        };
        // The copy sits in a subfolder named by the hash's first two characters, as in the
        // photo folder.
        let parent = path.parent().unwrap_or(&folder);
        std::fs::create_dir_all(parent).map_err(io)?;
        std::fs::write(&path, bytes).map_err(io)?;
        return Ok(path);
    }
    let photo = get(conn, hash)?
        .ok_or_else(|| Error::Invalid(format!("数据库中没有这个文件（{hash}）。请刷新后重试。")))?;
    let path = crate::store::paths::photo_file(dir, &photo.file_name)?;
    if !path.is_file() {
        return Err(Error::Invalid(format!(
            "文件“{}”不见了（原文件名“{}”）。照片文件夹可能被移动或删除：请从备份中恢复“{}”文件夹。",
            path.display(),
            photo.original_name,
            dir.display()
        )));
    }
    Ok(path)
}

fn store_as(conn: Db<'_>, dir: &Path, source: &Path, now: &str, scan: bool) -> Result<Photo> {
    let io = |e| Error::Io {
        path: source.to_path_buf(),
        source: e,
    };
    let original_name = source
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let meta = std::fs::metadata(source).map_err(io)?;
    if !meta.is_file() {
        return Err(Error::Invalid(format!(
            "“{}”不是文件，请选择照片文件（.jpg、.png）。",
            source.display()
        )));
    }
    if meta.len() > MAX_PHOTO_BYTES {
        return Err(Error::Invalid(format!(
            "照片“{original_name}”有 {} MB，超过 30 MB，可能不是照片。请选择手机或相机拍的 .jpg 照片。",
            meta.len() / 1024 / 1024
        )));
    }
    let mut data = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(source)
        .and_then(|mut f| f.read_to_end(&mut data))
        .map_err(io)?;
    let head = &data[..data.len().min(16)];
    let kind = if scan {
        scan_kind_of(head)
    } else {
        kind_of(head)
    };
    let Some((ext, _)) = kind else {
        if scan {
            return Err(Error::Invalid(format!(
                "“{original_name}”不是能识别的扫描件：请选择扫描仪生成的 PDF，或手机拍的 JPG、PNG 照片。"
            )));
        }
        return Err(Error::Invalid(format!(
            "“{original_name}”不是能识别的照片（支持 JPG、PNG、WEBP、GIF、BMP）。如果是 HEIC 格式，请在手机上改为“兼容性最佳”后重新导出。"
        )));
    };
    let hash = format!("{:x}", Sha256::digest(&data));
    let file_name = format!("{hash}.{ext}");
    if let Db::File(_) = conn {
        let path = crate::store::paths::photo_file(dir, &file_name)?;
        if !path.exists() {
            let parent = path.parent().expect("stored path has a folder");
            std::fs::create_dir_all(parent).map_err(|e| Error::Io {
                path: parent.to_path_buf(),
                source: e,
            })?;
            // Write to a temporary name first so a half-written file never carries the hash name.
            let tmp = path.with_extension("part");
            std::fs::write(&tmp, &data)
                .and_then(|()| std::fs::rename(&tmp, &path))
                .map_err(|e| Error::Io {
                    path: path.clone(),
                    source: e,
                })?;
        }
    }
    conn.atomically(|conn| {
        conn.execute(
            "INSERT INTO photos (hash, file_name, original_name, bytes, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            params![hash, file_name, original_name, data.len() as i64, now],
        )?;
        // On the server every PC reads the bytes from the database (see store::server::push).
        if let Db::Server(_) = conn {
            conn.execute(
                "INSERT INTO photo_blobs (hash, bytes) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![hash, data],
            )?;
        }
        Ok(())
    })?;
    Ok(Photo {
        hash,
        file_name,
        original_name,
        bytes: data.len() as i64,
    })
}

/// A stored photo's record, if any.
pub fn get<'a>(db: impl Into<Db<'a>>, hash: &str) -> Result<Option<Photo>> {
    db.into()
        .prepare_cached("SELECT hash, file_name, original_name, bytes FROM photos WHERE hash = ?1")?
        .query_row([hash], |r| {
            Ok(Photo {
                hash: r.get(0)?,
                file_name: r.get(1)?,
                original_name: r.get(2)?,
                bytes: r.get(3)?,
            })
        })
        .optional()
}

/// The bytes and MIME type of a stored photo.
/// On the server the bytes are read from `photo_blobs` (`dir` is not used).
pub fn read<'a>(db: impl Into<Db<'a>>, dir: &Path, hash: &str) -> Result<(Vec<u8>, &'static str)> {
    let conn = db.into();
    let photo = get(conn, hash)?
        .ok_or_else(|| Error::Invalid(format!("数据库中没有这张照片（{hash}）。请刷新后重试。")))?;
    if let Db::Server(_) = conn {
        let data: Vec<u8> = conn
            .query_row(
                "SELECT bytes FROM photo_blobs WHERE hash = ?1",
                [hash],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "服务器上没有照片“{}”的内容（原文件名“{}”）。请管理员从本机数据库文件重新上传照片。",
                    photo.file_name, photo.original_name
                ))
            })?;
        return Ok((data, mime_of(&photo.file_name)));
    }
    let path = crate::store::paths::photo_file(dir, &photo.file_name)?;
    let data = std::fs::read(&path).map_err(|_| {
        Error::Invalid(format!(
            "照片文件“{}”不见了（原文件名“{}”）。照片文件夹可能被移动或删除：请从备份中恢复“{}”文件夹。",
            path.display(),
            photo.original_name,
            dir.display()
        ))
    })?;
    Ok((data, mime_of(&photo.file_name)))
}

/// A `data:` URL of a stored photo, for the screen to show without file-system access.
pub fn data_url(bytes: &[u8], mime: &str) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + mime.len() + 20);
    out.push_str("data:");
    out.push_str(mime);
    out.push_str(";base64,");
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Refuses a photo that is already evidence for another household — on one of its inspections
/// or as a photo of its fix (整改后照片) — naming that household (村社 户主). The photo import
/// flags the same (同一张照片用在另一户); the same household's other toilets and checks may use it.
pub(crate) fn refuse_another_households_photo(
    conn: Db<'_>,
    toilet_id: i64,
    hash: &str,
    original_name: &str,
) -> Result<()> {
    // Where else the photo is evidence: an inspection (its kind and id) or a case's step (the
    // case's id), with the household and the day.
    let other: Option<(String, String, Option<crate::model::InspectionKind>, i64)> = conn
        .prepare_cached(
            "SELECT v.name || g.name || ' ' || h.head_name, u.on_day, u.kind, u.record FROM (
                 SELECT t.household_id AS household_id, i.inspected_on AS on_day, i.kind AS kind,
                        i.id AS record
                 FROM inspection_photos p JOIN inspections i ON i.id = p.inspection_id
                 JOIN toilets t ON t.id = i.toilet_id WHERE p.hash = ?1
                 UNION ALL
                 SELECT t.household_id, e.happened_on, NULL, r.id
                 FROM rectification_events e JOIN rectifications r ON r.id = e.rectification_id
                 JOIN toilets t ON t.id = r.toilet_id WHERE e.photo_hash = ?1) u
             JOIN households h ON h.id = u.household_id
             JOIN villages v ON v.id = h.village_id JOIN village_groups g ON g.id = h.group_id
             WHERE u.household_id <> (SELECT household_id FROM toilets WHERE id = ?2)
             ORDER BY u.on_day, u.record LIMIT 1",
        )?
        .query_row(params![hash, toilet_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    if let Some((household, on, kind, record)) = other {
        let what = match kind {
            Some(kind) => format!("{on} {}，核查记录 {record}", kind.label()),
            None => format!("{on} 整改后照片，整改记录 {record}"),
        };
        return Err(Error::Invalid(format!(
            "照片“{original_name}”已用在另一户：{household}（{what}）。同一张照片不能作为两户的证据：请核对这张照片拍的是哪一户，删除它后选择本户的照片。"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::db;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-rest-of-a-tiny-png";

    #[test]
    fn a_photo_is_copied_named_by_content_and_stored_once() {
        let tmp = tempfile::tempdir().unwrap();
        let conn = db::open_in_memory().unwrap();
        let src = tmp.path().join("IMG_0001.PNG");
        std::fs::write(&src, PNG).unwrap();
        let store_dir = tmp.path().join("photos");
        let a = store(&conn, &store_dir, &src, "t").unwrap();
        assert_eq!(a.hash.len(), 64);
        assert!(a.file_name.ends_with(".png"));
        assert_eq!(a.original_name, "IMG_0001.PNG");
        // The original can go away: the stored copy is what counts.
        let copy = tmp.path().join("copy.png");
        std::fs::rename(&src, &copy).unwrap();
        let b = store(&conn, &store_dir, &copy, "t").unwrap();
        assert_eq!(a.hash, b.hash);
        let n: i64 = conn
            .query_row("SELECT count(*) FROM photos", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        let (bytes, mime) = read(&conn, &store_dir, &a.hash).unwrap();
        assert_eq!(bytes, PNG);
        assert_eq!(mime, "image/png");
    }

    #[test]
    fn data_urls_are_standard_base64() {
        assert_eq!(data_url(b"", "image/png"), "data:image/png;base64,");
        assert_eq!(data_url(b"f", "x"), "data:x;base64,Zg==");
        assert_eq!(data_url(b"fo", "x"), "data:x;base64,Zm8=");
        assert_eq!(data_url(b"foobar", "x"), "data:x;base64,Zm9vYmFy");
        assert_eq!(data_url(&[0xFF, 0xFE, 0xFD], "x"), "data:x;base64,//79");
    }

    #[test]
    fn what_is_not_a_photo_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let conn = db::open_in_memory().unwrap();
        let src = tmp.path().join("notes.jpg");
        std::fs::write(&src, "这不是照片").unwrap();
        let err = store(&conn, tmp.path(), &src, "t").unwrap_err();
        assert!(err.to_string().contains("不是能识别的照片"), "{err}");
        let err = store(&conn, tmp.path(), tmp.path(), "t").unwrap_err();
        assert!(err.to_string().contains("不是文件"), "{err}");
    }
}
