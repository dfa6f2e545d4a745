//! 照片导入: cadres send photos from their phones, without a form. A folder of photos named by
//! household (农户编号, 身份证号 or 户主, optionally with 村 and 社 in front and a number after:
//! 石鱼村1社张建国-2.jpg) is matched to the households; each photo goes to its household's latest
//! inspection, with the time it was taken (EXIF). A photo already there is skipped; the same
//! photo (by content) under two households is flagged and attached to neither.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::params;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::access::accounts::Account;
use crate::access::permissions::Action;
use crate::error::{Error, Result};
use crate::fieldwork::photos;
use crate::store::sql::{Db, Optional};

/// What happens to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoFate {
    /// Attached to the household's latest inspection.
    Attach,
    /// Already attached there: skipped.
    AlreadyThere,
    /// The same photo twice in the folder for one household: the copy is skipped.
    Duplicate,
    /// The same photo under two households: attached to neither, to be sorted out.
    TwoHouseholds,
    /// No household matched the name (or several did).
    Unmatched,
    /// The household has no inspection to attach to, or it is signed off.
    NoInspection,
}

/// One photo of the folder, matched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhotoLine {
    pub file: String,
    pub household_id: Option<i64>,
    /// 村社 户主, when matched.
    pub household: String,
    pub inspection_id: Option<i64>,
    /// EXIF 拍摄时间, `YYYY-MM-DD HH:MM`.
    pub taken_at: Option<String>,
    pub fate: PhotoFate,
    pub note: String,
    #[serde(skip)]
    path: PathBuf,
    #[serde(skip)]
    hash: String,
}

/// The whole folder's plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhotoPlan {
    pub lines: Vec<PhotoLine>,
    pub attach: usize,
}

/// The household a file's name names: the stem without a copy number, then 农户编号, 身份证号,
/// or a unique 户主 (with 村 / 社 in front when given).
fn household_of(conn: Db<'_>, stem: &str) -> Result<std::result::Result<(i64, String), String>> {
    let mut s: String = stem.trim().to_string();
    // A copy number: "-2", "_3", "（2）", "(2)", " 2".
    for sep in ['-', '_', '（', '(', ' '] {
        if let Some(i) = s.rfind(sep) {
            let tail = s[i + sep.len_utf8()..].trim_end_matches([')', '）']);
            if i > 0
                && !tail.is_empty()
                && tail.len() <= 3
                && tail.chars().all(|c| c.is_ascii_digit())
            {
                s.truncate(i);
            }
        }
    }
    let s = s.trim();
    let describe = |id: i64| -> Result<String> {
        conn.query_row(
            "SELECT v.name || g.name || ' ' || h.head_name FROM households h
             JOIN villages v ON v.id = h.village_id JOIN village_groups g ON g.id = h.group_id WHERE h.id = ?1",
            [id],
            |r| r.get(0),
        )
    };
    if s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty() && s.len() < 15 {
        let id: Option<i64> = conn
            .query_row(
                "SELECT id FROM households WHERE id = ?1",
                [s.parse::<i64>().unwrap_or(-1)],
                |r| r.get(0),
            )
            .optional()?;
        return Ok(match id {
            Some(id) => Ok((id, describe(id)?)),
            None => Err(format!("没有农户编号为 {s} 的农户")),
        });
    }
    let id_number = crate::places::idcard::normalize(s);
    if id_number.len() == 18 && crate::places::idcard::is_valid(&id_number) {
        let id: Option<i64> = conn
            .query_row(
                "SELECT id FROM households WHERE id_number = ?1",
                [&id_number],
                |r| r.get(0),
            )
            .optional()?;
        return Ok(match id {
            Some(id) => Ok((id, describe(id)?)),
            None => Err("台账中没有这个身份证号".into()),
        });
    }
    // A name, perhaps after its village and 社: households whose name ends the text and whose
    // village and 社 (when the text has more in front) are in it.
    let mut stmt = conn.prepare_cached(
        "SELECT h.id, v.name, g.name FROM households h JOIN villages v ON v.id = h.village_id
         JOIN village_groups g ON g.id = h.group_id
         WHERE ?1 LIKE '%' || h.head_name",
    )?;
    let found: Vec<(i64, String, String)> = stmt
        .query_map([s], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let narrowed: Vec<&(i64, String, String)> = {
        let placed: Vec<_> = found
            .iter()
            .filter(|(_, v, g)| s.contains(v.as_str()) && s.contains(g.as_str()))
            .collect();
        if placed.is_empty() {
            found.iter().collect()
        } else {
            placed
        }
    };
    Ok(match narrowed.as_slice() {
        [one] => Ok((one.0, describe(one.0)?)),
        [] => Err("找不到这个户主：文件名请写成户主姓名、农户编号或身份证号".into()),
        many => Err(format!(
            "有 {} 户户主同名：请在文件名前写上村和社（例如 石鱼村1社张建国.jpg）",
            many.len()
        )),
    })
}

/// EXIF DateTimeOriginal (or DateTime) as `YYYY-MM-DD HH:MM`.
fn taken_at(path: &Path) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    let mut reader = std::io::BufReader::new(file);
    let exif = exif::Reader::new().read_from_container(&mut reader).ok()?;
    let field = exif
        .get_field(exif::Tag::DateTimeOriginal, exif::In::PRIMARY)
        .or_else(|| exif.get_field(exif::Tag::DateTime, exif::In::PRIMARY))?;
    let text = field.display_value().to_string();
    // "2022-09-20 10:31:05" or "2022:09:20 10:31:05".
    let t = text.replace(':', "-");
    let (date, time) = t.split_once(' ')?;
    let time = time.replace('-', ":");
    Some(format!("{date} {}", time.get(..5)?))
}

/// The note for a photo taken more than a day before or after the inspection it goes to: a
/// photo of an earlier visit passed off as this one is what a check of 办公室摸排 looks for, and
/// a later one may be of the rectification. Still attached: the clerk decides.
fn taken_apart(taken_at: Option<&str>, inspected_on: &str) -> Option<String> {
    let day = |t: &str| chrono::NaiveDate::parse_from_str(t.get(..10)?, "%Y-%m-%d").ok();
    let (taken, inspected) = (day(taken_at?)?, day(inspected_on)?);
    let days = (taken - inspected).num_days();
    let taken_on = taken.format("%Y-%m-%d");
    match days {
        -1..=1 => None,
        d if d < 0 => Some(format!(
            "拍摄于 {taken_on}，比这户最近一次核查（{inspected_on}）早 {} 天：请核实是否是这次入户拍的",
            -d
        )),
        d => Some(format!(
            "拍摄于 {taken_on}，比这户最近一次核查（{inspected_on}）晚 {d} 天：如是整改照片，请在整改记录中上传"
        )),
    }
}

fn hash_of(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::Invalid(format!(
            "照片“{}”读不出来（{e}），请检查文件。",
            path.display()
        ))
    })?;
    Ok(format!("{:x}", Sha256::digest(&bytes)))
}

/// Matches every photo of `folder` (nothing is written).
pub fn plan<'a>(db: impl Into<Db<'a>>, folder: &Path) -> Result<PhotoPlan> {
    let conn = db.into();
    let entries = std::fs::read_dir(folder).map_err(|e| {
        Error::Invalid(format!(
            "打不开文件夹“{}”（{e}），请重新选择。",
            folder.display()
        ))
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    ["jpg", "jpeg", "png"].contains(&e.to_ascii_lowercase().as_str())
                })
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::Invalid(format!(
            "文件夹“{}”里没有照片（.jpg、.jpeg、.png）。",
            folder.display()
        )));
    }
    let mut lines = Vec::new();
    let mut latest = conn.prepare_cached(
        "SELECT i.id, i.inspected_on FROM inspections i JOIN toilets t ON t.id = i.toilet_id
         WHERE t.household_id = ?1 ORDER BY i.inspected_on DESC, i.id DESC LIMIT 1",
    )?;
    let mut attached = conn.prepare_cached(
        "SELECT t.household_id FROM inspection_photos p JOIN inspections i ON i.id = p.inspection_id
         JOIN toilets t ON t.id = i.toilet_id WHERE p.hash = ?1",
    )?;
    for path in files {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = path
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let hash = hash_of(&path)?;
        let mut line = PhotoLine {
            file,
            household_id: None,
            household: String::new(),
            inspection_id: None,
            taken_at: taken_at(&path),
            fate: PhotoFate::Unmatched,
            note: String::new(),
            path,
            hash,
        };
        match household_of(conn, &stem)? {
            Err(why) => line.note = why,
            Ok((id, who)) => {
                line.household_id = Some(id);
                line.household = who;
                let inspection: Option<(i64, String)> = latest
                    .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                match inspection {
                    None => {
                        line.fate = PhotoFate::NoInspection;
                        line.note = "这户还没有核查记录，请先录入核查表再导入照片".into();
                    }
                    Some((i, _))
                        if crate::fieldwork::signoff::refuse_if_locked(conn, i).is_err() =>
                    {
                        line.fate = PhotoFate::NoInspection;
                        line.inspection_id = Some(i);
                        line.note = "这户最近的核查结果已审核签字锁定，不能再添照片".into();
                    }
                    Some((i, inspected_on)) => {
                        line.inspection_id = Some(i);
                        line.fate = PhotoFate::Attach;
                        line.note = taken_apart(line.taken_at.as_deref(), &inspected_on)
                            .unwrap_or_default();
                    }
                }
                // The same content already with another household's inspection.
                let others: Vec<i64> = attached
                    .query_map([&line.hash], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                if others.contains(&id) && line.fate == PhotoFate::Attach {
                    let on_this: bool = conn
                        .query_row(
                            "SELECT EXISTS (SELECT 1 FROM inspection_photos WHERE inspection_id = ?1 AND hash = ?2)",
                            params![line.inspection_id, line.hash],
                            |r| r.get(0),
                        )?;
                    if on_this {
                        line.fate = PhotoFate::AlreadyThere;
                        line.note = "这张照片已经在这户的核查记录里".into();
                    }
                }
                if let Some(other) = others.iter().find(|o| **o != id) {
                    line.fate = PhotoFate::TwoHouseholds;
                    line.note =
                        format!("同一张照片已用在另一户（农户编号 {other}），请核对是哪一户的");
                }
            }
        }
        lines.push(line);
    }
    // Within the folder: the same content twice for one household, or for two households.
    let mut by_hash: HashMap<String, Vec<usize>> = HashMap::new();
    for (k, l) in lines.iter().enumerate() {
        by_hash.entry(l.hash.clone()).or_default().push(k);
    }
    for ks in by_hash.values().filter(|ks| ks.len() > 1) {
        let households: std::collections::HashSet<i64> =
            ks.iter().filter_map(|k| lines[*k].household_id).collect();
        if households.len() > 1 {
            let names: Vec<String> = ks.iter().map(|k| lines[*k].file.clone()).collect();
            for k in ks {
                if lines[*k].household_id.is_some() {
                    lines[*k].fate = PhotoFate::TwoHouseholds;
                    lines[*k].note = format!("同一张照片用在了不同农户：{}", names.join("、"));
                }
            }
        } else {
            let ks: Vec<usize> = ks
                .iter()
                .copied()
                .filter(|k| lines[*k].household_id.is_some())
                .collect();
            if ks.len() < 2 {
                continue;
            }
            // The copy is the longer name (张建国-2.jpg beside 张建国.jpg).
            let mut ks = ks.clone();
            ks.sort_by_key(|k| (lines[*k].file.chars().count(), lines[*k].file.clone()));
            for k in &ks[1..] {
                if lines[*k].fate == PhotoFate::Attach {
                    lines[*k].fate = PhotoFate::Duplicate;
                    lines[*k].note = format!("与“{}”是同一张照片，已跳过", lines[ks[0]].file);
                }
            }
        }
    }
    let attach = lines.iter().filter(|l| l.fate == PhotoFate::Attach).count();
    Ok(PhotoPlan { lines, attach })
}

/// Imports the folder's photos as planned, as `by`, into the photo folder `dir`: one transaction
/// for the records (the files are copied first, by content, so nothing half-done remains).
pub fn import<'a>(
    db: impl Into<Db<'a>>,
    by: &Account,
    folder: &Path,
    dir: &Path,
    now: &str,
) -> Result<PhotoPlan> {
    by.require(Action::RecordInspection)?;
    let conn = db.into();
    let plan = plan(conn, folder)?;
    if plan.attach == 0 {
        return Err(Error::Invalid(
            "没有可以导入的照片（都已导入、对不上农户或需要先核对）。请看清单中的说明。".into(),
        ));
    }
    let mut stored = Vec::new();
    for l in plan.lines.iter().filter(|l| l.fate == PhotoFate::Attach) {
        let p = photos::store(conn, dir, &l.path, now)?;
        stored.push((l, p.hash));
    }
    conn.atomically(|conn| {
        for (l, hash) in &stored {
            conn.execute(
                "INSERT INTO inspection_photos (inspection_id, hash) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![l.inspection_id, hash],
            )?;
            if let Some(t) = &l.taken_at {
                conn.execute(
                    "UPDATE photos SET taken_at = ?2 WHERE hash = ?1 AND taken_at IS NULL",
                    params![hash, t],
                )?;
            }
        }
        crate::store::audit::append(
            conn,
            now,
            "photo.import",
            "photos",
            folder.display().to_string(),
            &format!(
                "{}从文件夹导入照片 {} 张，挂到各户最近的核查记录",
                by.actor(),
                stored.len()
            ),
            serde_json::json!({ "files": stored.iter().map(|(l, h)| (l.file.clone(), h.clone())).collect::<Vec<_>>() }),
        )?;
        Ok(())
    })?;
    Ok(plan)
}
