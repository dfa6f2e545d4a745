//! The district's own spot-check list (区里指定的抽查名单): the district picks the households it
//! checks and sends a list (.xlsx / .xls / .csv) of household numbers, ID numbers or names. The
//! list is matched to the households (by 农户编号, else 身份证号, else 户主 with 村 and 社 when
//! given), every toilet of a matched household goes into a sample in the list's order, keyed in
//! as 区级抽查; what cannot be matched is said row by row.

use std::collections::HashSet;
use std::path::Path;

use rusqlite::params;
use serde::Serialize;

use super::sampling::{keep, Drawn, Sample, SampleBatch, SampleSize, SampleSpec};
use crate::error::{Error, Result};
use crate::ledger_io::import::read::{read_file, Cell};
use crate::model::InspectionKind;
use crate::places::idcard;
use crate::store::sql::{Db, Stmt};

/// A row of the list that matched no household, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListMiss {
    /// The spreadsheet's row (1-based, as Excel shows it).
    pub row: usize,
    /// What the row said.
    pub text: String,
    pub reason: String,
}

/// How a list met the households.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListMatch {
    pub file_name: String,
    /// Matched households, in the list's order (a household listed twice counts once).
    pub households: Vec<i64>,
    /// Their toilets, in the list's order.
    pub toilets: Vec<i64>,
    pub misses: Vec<ListMiss>,
    /// How the rows were read: which columns were found.
    pub columns: String,
}

#[derive(Default)]
struct Columns {
    number: Option<usize>,
    id: Option<usize>,
    name: Option<usize>,
    village: Option<usize>,
    group: Option<usize>,
}

fn find_columns(row: &[Cell]) -> Columns {
    let mut c = Columns::default();
    for (i, cell) in row.iter().enumerate() {
        let t: String = cell.text.chars().filter(|c| !c.is_whitespace()).collect();
        if t.contains("身份证") || t.contains("证件号") {
            c.id.get_or_insert(i);
        } else if t.contains("编号") {
            c.number.get_or_insert(i);
        } else if t.contains("户主") || t.contains("姓名") {
            c.name.get_or_insert(i);
        } else if t.contains("村") && !t.contains("社") && !t.contains("组") {
            c.village.get_or_insert(i);
        } else if t == "社" || t.ends_with('社') || t.contains("组") {
            c.group.get_or_insert(i);
        }
    }
    c
}

impl Columns {
    fn any(&self) -> bool {
        self.number.is_some() || self.id.is_some() || self.name.is_some()
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (name, col) in [
            ("农户编号", self.number),
            ("身份证号", self.id),
            ("户主", self.name),
            ("行政村", self.village),
            ("社", self.group),
        ] {
            if col.is_some() {
                parts.push(name);
            }
        }
        parts.join("、")
    }
}

/// Matches the list in `path` to the households (nothing is written).
pub fn match_list<'a>(db: impl Into<Db<'a>>, path: &Path) -> Result<ListMatch> {
    let conn = db.into();
    let sheets = read_file(path)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let sheet = sheets
        .into_iter()
        .find(|s| !s.rows.is_empty())
        .ok_or_else(|| Error::Invalid(format!("“{file_name}”里没有内容。请检查文件。")))?;
    // The header: the first of the first rows naming a number, an ID or a name column.
    let (header, cols) = sheet
        .rows
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, r)| (i, find_columns(r)))
        .find(|(_, c)| c.any())
        .ok_or_else(|| {
            Error::Invalid(format!(
                "“{file_name}”里找不到“农户编号”“身份证号”或“户主”列。请在名单的第一行写上列名。"
            ))
        })?;
    let mut households = Vec::new();
    let mut seen = HashSet::new();
    let mut misses = Vec::new();
    let cell = |r: &[Cell], c: Option<usize>| -> Option<String> {
        c.and_then(|c| r.get(c))
            .map(|c| c.text.trim().to_string())
            .filter(|t| !t.is_empty())
    };
    let mut by_number = conn.prepare_cached("SELECT id FROM households WHERE id = ?1")?;
    let mut by_id = conn.prepare_cached("SELECT id FROM households WHERE id_number = ?1")?;
    let mut by_name = conn.prepare_cached(
        "SELECT h.id FROM households h JOIN villages v ON v.id = h.village_id
         JOIN village_groups g ON g.id = h.group_id
         WHERE h.head_name = ?1 AND (CAST(?2 AS text) IS NULL OR v.name = ?2)
           AND (CAST(?3 AS text) IS NULL OR g.name = ?3 OR g.name = ?3 || '社')",
    )?;
    for (k, r) in sheet.rows.iter().enumerate().skip(header + 1) {
        let row = k + 1;
        let (number, id, name) = (
            cell(r, cols.number),
            cell(r, cols.id).map(|i| idcard::normalize(&i)),
            cell(r, cols.name),
        );
        let text = [number.clone(), id.clone(), name.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        if text.is_empty() {
            continue;
        }
        let ids = |stmt: &mut Stmt, p: &[&dyn rusqlite::ToSql]| -> Result<Vec<i64>> {
            Ok(stmt
                .query_map(p, |r| r.get::<_, i64>(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?)
        };
        let found: Vec<i64> = if let Some(n) = number.as_deref().and_then(|n| n.parse::<i64>().ok())
        {
            ids(&mut by_number, &[&n])?
        } else if let Some(i) = &id {
            ids(&mut by_id, &[i])?
        } else if let Some(n) = &name {
            let (v, g) = (cell(r, cols.village), cell(r, cols.group));
            ids(&mut by_name, params![n, v, g])?
        } else {
            Vec::new()
        };
        match found.as_slice() {
            [one] => {
                if seen.insert(*one) {
                    households.push(*one);
                }
            }
            [] => misses.push(ListMiss {
                row,
                text,
                reason: "找不到这一户：请核对农户编号、身份证号或户主姓名".into(),
            }),
            many => misses.push(ListMiss {
                row,
                text,
                reason: format!(
                    "有 {} 户户主同名，无法确定是哪一户：请在名单中写明身份证号，或写明村、社",
                    many.len()
                ),
            }),
        }
    }
    let mut toilets = Vec::new();
    let mut of =
        conn.prepare_cached("SELECT id FROM toilets WHERE household_id = ?1 ORDER BY seq")?;
    for h in &households {
        let ids = of
            .query_map([h], |r| r.get::<_, i64>(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        if ids.is_empty() {
            misses.push(ListMiss {
                row: 0,
                text: format!("农户编号 {h}"),
                reason: "这一户台账中没有户厕，不列入抽查样本".into(),
            });
        }
        toilets.extend(ids);
    }
    Ok(ListMatch {
        file_name,
        households,
        toilets,
        misses,
        columns: cols.describe(),
    })
}

/// Matches the list and keeps its households' toilets as a sample keyed in as 区级抽查.
pub fn keep_list<'a>(
    db: impl Into<Db<'a>>,
    path: &Path,
    actor: &str,
    now: &str,
) -> Result<(Sample, ListMatch)> {
    let conn = db.into();
    let m = match_list(conn, path)?;
    if m.toilets.is_empty() {
        return Err(Error::Invalid(format!(
            "“{}”中没有一户能对上本镇的农户（共 {} 行没有对上）。请核对名单后再导入。",
            m.file_name,
            m.misses.len()
        )));
    }
    let population: i64 = conn.query_row("SELECT count(*) FROM toilets", [], |r| r.get(0))?;
    let spec = SampleSpec {
        villages: vec![],
        size: SampleSize::Count(m.toilets.len()),
        min_per_village: 0,
        oversample_problems: false,
        seed: None,
        batch: Some(SampleBatch {
            toilets: m.toilets.clone(),
            kind: InspectionKind::DistrictSpot,
            purpose: format!("区里指定的抽查名单（{}）", m.file_name),
            listed: true,
        }),
    };
    let sample = keep(
        conn,
        &spec,
        Drawn {
            seed: 0,
            seed_drawn: false,
            method: format!(
                "区人居办指定的抽查名单“{}”：{} 户、{} 个户厕，按名单顺序；{} 行没有对上。",
                m.file_name,
                m.households.len(),
                m.toilets.len(),
                m.misses.iter().filter(|x| x.row > 0).count()
            ),
            population: population as usize,
            toilets: m.toilets.clone(),
        },
        actor,
        now,
    )?;
    Ok((sample, m))
}
