//! Checking file paths that come from the user interface before the core touches them: an
//! input must be an existing regular file, an output must go into an existing folder with the
//! expected extension and must not overwrite the open database.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The folder a database file is in ("." for a bare file name).
fn folder_of(db: &Path) -> PathBuf {
    db.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn stem_of(db: &Path) -> String {
    db.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "huce".into())
}

/// Where automatic backups of a database go: `backups/` beside it.
pub fn backup_dir(db: &Path) -> PathBuf {
    folder_of(db).join("backups")
}

/// Where a database's photos are kept: `<name>-photos/` beside it, so two databases in one
/// folder never share photos.
pub fn photo_dir(db: &Path) -> PathBuf {
    folder_of(db).join(format!("{}-photos", stem_of(db)))
}

/// True for a stored photo's file name: 64 hex digits, a dot, a short extension.
pub(crate) fn is_photo_name(name: &str) -> bool {
    let Some((hash, ext)) = name.split_once('.') else {
        return false;
    };
    hash.len() == 64
        && hash.bytes().all(|b| b.is_ascii_hexdigit())
        && (1..=5).contains(&ext.len())
        && ext.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Where a stored photo is: `<dir>/<first two hex digits>/<hash>.<ext>`. The name comes from
/// the database (perhaps a restored or hostile file), so anything but a hash name is refused
/// rather than joined into a path.
pub fn photo_file(dir: &Path, file_name: &str) -> Result<PathBuf> {
    if !is_photo_name(file_name) {
        return Err(Error::Invalid(format!(
            "数据库中照片的文件名“{}”不对（应为校验值命名的文件），不能读取。数据库可能被改动过，请交给管理员检查。",
            file_name.chars().take(80).collect::<String>()
        )));
    }
    let folder: String = file_name.chars().take(2).collect();
    Ok(dir.join(folder).join(file_name))
}

/// Where printed documents go until the office picks a folder: `文书/` beside the database.
pub fn documents_dir(db: &Path) -> PathBuf {
    folder_of(db).join("文书")
}

/// The audit log's anchors kept outside the database: `<name>-audit-anchors.txt` beside it.
pub fn anchors_file(db: &Path) -> PathBuf {
    folder_of(db).join(format!("{}-audit-anchors.txt", stem_of(db)))
}

/// A file to read: exists and is a regular file.
pub fn input_file(path: &str) -> Result<PathBuf> {
    let p = PathBuf::from(path.trim());
    if p.as_os_str().is_empty() {
        return Err(Error::Invalid("请先选择要导入的文件。".into()));
    }
    match std::fs::metadata(&p) {
        Ok(m) if m.is_file() => Ok(p),
        Ok(_) => Err(Error::Invalid(format!(
            "“{}”是一个文件夹，不是文件。请选择 .xlsx、.xls 或 .csv 文件。",
            p.display()
        ))),
        Err(_) => Err(Error::Invalid(format!(
            "找不到文件“{}”。请确认路径正确，文件没有被移动或删除。",
            p.display()
        ))),
    }
}

/// A file to write: its folder exists, its extension is `ext`, and it is not `protected`
/// (the database itself).
pub fn output_file(path: &str, ext: &str, protected: &Path) -> Result<PathBuf> {
    let mut p = PathBuf::from(path.trim());
    if p.as_os_str().is_empty() {
        return Err(Error::Invalid("请先选择保存位置。".into()));
    }
    if !p
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
    {
        p.as_mut_os_string().push(format!(".{ext}"));
    }
    let dir = p
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(Error::Invalid(format!(
            "文件夹“{}”不存在。请选择一个已有的文件夹。",
            dir.display()
        )));
    }
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    };
    if same(&p, protected) {
        return Err(Error::Invalid(
            "不能覆盖正在使用的数据库文件，请换一个文件名。".into(),
        ));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_and_outputs_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("台账.xlsx");
        std::fs::write(&file, b"x").unwrap();
        assert_eq!(input_file(file.to_str().unwrap()).unwrap(), file);
        assert!(input_file("").unwrap_err().to_string().contains("请先选择"));
        assert!(input_file(dir.path().to_str().unwrap())
            .unwrap_err()
            .to_string()
            .contains("文件夹"));
        assert!(input_file("/没有/这个.xlsx")
            .unwrap_err()
            .to_string()
            .contains("找不到文件"));

        let db = dir.path().join("huce.db");
        std::fs::write(&db, b"db").unwrap();
        let out = output_file(dir.path().join("导出").to_str().unwrap(), "xlsx", &db).unwrap();
        assert_eq!(out.extension().unwrap(), "xlsx", "the extension is added");
        assert!(output_file("/没有这个文件夹/a.xlsx", "xlsx", &db)
            .unwrap_err()
            .to_string()
            .contains("不存在"));
        let db_as_xlsx = dir.path().join("huce.db");
        assert!(output_file(db_as_xlsx.to_str().unwrap(), "db", &db)
            .unwrap_err()
            .to_string()
            .contains("数据库"));
    }
}
