//! Excel export (导出): the 改厕台账 (every toilet with its household and baseline fields) and the
//! household list, as .xlsx with a title row, Chinese headers the importer reads back, a frozen
//! header, fitting column widths and ID numbers as text. Exporting and importing the same file
//! changes nothing.

use std::path::Path;

use rust_xlsxwriter::Workbook;

use super::xlsx::{header_row, titled_sheet, write_title, xlsx_err, Val};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::{HouseholdCategory, Location, TechMode, UseStatus};
use crate::places::households::Scope;
use crate::places::idcard;
use crate::store::settings::TownSettings;
use crate::store::sql::Db;

/// Whether personal data is written in full or masked (the default for anything that leaves
/// the office; a full export is for re-import and is recorded by the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Personal {
    Masked,
    Full,
}

impl Personal {
    /// The ID number and phone as this export writes them.
    fn apply(
        self,
        id_number: Option<String>,
        phone: Option<String>,
    ) -> (Option<String>, Option<String>) {
        match self {
            Personal::Full => (id_number, phone),
            Personal::Masked => (
                id_number.map(|s| idcard::mask_id(&s)),
                phone.map(|s| idcard::mask_phone(&s)),
            ),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ExportSummary {
    pub households: usize,
    pub rows: usize,
}

const LEDGER_HEADERS: &[(&str, f64)] = &[
    ("序号", 6.0),
    ("行政村", 10.0),
    ("社", 6.0),
    ("户主姓名", 10.0),
    ("身份证号", 21.0),
    ("联系电话", 14.0),
    ("住址", 30.0),
    ("户籍人口", 8.0),
    ("常住人口", 8.0),
    ("户类别", 9.0),
    ("是否常住", 8.0),
    ("技术模式", 16.0),
    ("厕所位置", 8.0),
    ("建设（改造）年度", 10.0),
    ("是否财政补助", 8.0),
    ("补助年度", 8.0),
    ("补助金额（元）", 10.0),
    ("项目名称", 28.0),
    ("是否卫生厕所", 8.0),
    ("使用状态", 12.0),
];

/// What an export template may add after the ledger's columns: the toilet's latest check and
/// its latest case, so an upload sheet (监测平台) carries results, not only the baseline.
const RESULT_HEADERS: &[(&str, f64)] = &[
    ("最近核查类别", 10.0),
    ("最近核查日期", 11.0),
    ("农户状态（核查）", 10.0),
    ("是否正常使用（核查）", 9.0),
    ("核查发现的问题", 30.0),
    ("整改类别", 22.0),
    ("整改状态", 12.0),
    ("计划完成时间", 10.0),
    ("销号日期", 11.0),
];

/// Every toilet of `scope` with its latest check and case, in [`RESULT_HEADERS`] order.
fn results(db: Db<'_>, scope: Scope) -> Result<std::collections::HashMap<i64, Vec<Val>>> {
    use crate::model::{CaseState, Category, HouseholdStatus, InspectionKind};
    let (filter, scope_id) = scope_filter(scope);
    let mut out = std::collections::HashMap::new();
    db.for_each(&format!(
        "WITH last AS (
            SELECT t.id AS toilet,
                   (SELECT i.id FROM inspections i WHERE i.toilet_id = t.id
                    ORDER BY i.inspected_on DESC, i.id DESC LIMIT 1) AS insp,
                   (SELECT r.id FROM rectifications r WHERE r.toilet_id = t.id
                    ORDER BY r.id DESC LIMIT 1) AS rect
            FROM toilets t JOIN households h ON h.id = t.household_id WHERE {filter})
         SELECT last.toilet, i.kind, i.inspected_on, i.household_status, i.in_normal_use, i.has_problems,
                (SELECT string_agg(pi.name, '、' ORDER BY ip.item_id) FROM inspection_problems ip
                 JOIN problem_items pi ON pi.id = ip.item_id WHERE ip.inspection_id = i.id),
                r.category, r.state, r.planned_month,
                (SELECT e.happened_on FROM rectification_events e WHERE e.rectification_id = r.id
                   AND e.kind = 'move' AND e.to_state = 'closed' ORDER BY e.id DESC LIMIT 1)
         FROM last LEFT JOIN inspections i ON i.id = last.insp
         LEFT JOIN rectifications r ON r.id = last.rect"
    ), [scope_id], |r| {
        let kind: Option<InspectionKind> = r.get(1)?;
        let state: Option<CaseState> = r.get(8)?;
        let problems: Option<String> = r.get(6)?;
        let has_problems: Option<bool> = r.get(5)?;
        out.insert(
            r.get::<_, i64>(0)?,
            vec![
                Val::text(kind.map(|k| k.label().to_string())),
                Val::text(r.get(2)?),
                Val::text(
                    r.get::<_, Option<HouseholdStatus>>(3)?
                        .map(|s| s.label().to_string()),
                ),
                Val::text(kind.and(Some(yes_no(r.get(4)?))).map(str::to_string)),
                Val::text(match (kind, has_problems, problems) {
                    (None, _, _) => None,
                    (_, _, Some(p)) => Some(p),
                    (_, Some(false), None) => Some("无问题".into()),
                    _ => None,
                }),
                Val::text(match (state, r.get::<_, Option<Category>>(7)?) {
                    (None, _) => None,
                    (Some(_), Some(c)) => Some(c.label().to_string()),
                    (Some(_), None) => Some("待确定".into()),
                }),
                Val::text(state.map(|s| s.label().to_string())),
                Val::text(r.get(9)?),
                Val::text(r.get(10)?),
            ],
        );
        Ok(())
    })?;
    Ok(out)
}

fn scope_filter(scope: Scope) -> (&'static str, i64) {
    match scope {
        Scope::Town => ("1 = ?1", 1),
        Scope::Village(id) => ("h.village_id = ?1", id),
        Scope::Group(id) => ("h.group_id = ?1", id),
    }
}

fn yes_no(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "是",
        Some(false) => "否",
        None => "",
    }
}

/// Calls `each` with the values of every 改厕台账 row of `scope`, in [`LEDGER_HEADERS`] order
/// (one row per toilet; a household without toilets gets one row, its 技术模式 "无厕所" when it
/// is a 无厕所户, so the file imports back the same). Returns the counts.
pub fn ledger_rows<'a>(
    db: impl Into<Db<'a>>,
    scope: Scope,
    personal: Personal,
    mut each: impl FnMut(&[Val], Option<i64>) -> Result<()>,
) -> Result<ExportSummary> {
    let (filter, scope_id) = scope_filter(scope);
    let (mut n, mut households, mut last) = (0usize, 0usize, None);
    let num = |v: Option<i64>| v.map(|v| Val::Number(v as f64)).unwrap_or(Val::Empty);
    let flag = |v: Option<bool>| Val::text(Some(yes_no(v).to_string()));
    db.into().for_each(&format!(
        "SELECT v.name, g.name, h.head_name, h.id_number, h.phone, h.address, h.registered_pop, h.resident_pop,
                h.category, h.is_resident,
                coalesce(t.tech_mode, CASE WHEN t.id IS NULL AND h.no_toilet = 1 THEN 'no_toilet' END),
                t.location, t.build_year, t.subsidized, t.subsidy_year,
                t.subsidy_amount_fen, t.project_name, t.is_sanitary, t.use_status, h.id, t.id
         FROM households h
         JOIN villages v ON v.id = h.village_id
         JOIN village_groups g ON g.id = h.group_id
         LEFT JOIN toilets t ON t.household_id = h.id
         WHERE {filter}
         ORDER BY v.sort_order, v.id, g.sort_order, g.number NULLS FIRST, g.id, h.id, t.seq NULLS FIRST"
    ), [scope_id], |r| {
        n += 1;
        let hid: i64 = r.get(19)?;
        if last != Some(hid) {
            households += 1;
            last = Some(hid);
        }
        let (id_number, phone) = personal.apply(r.get(3)?, r.get(4)?);
        let category: HouseholdCategory = r.get(8)?;
        let values = [
            Val::Number(n as f64),
            Val::text(r.get(0)?),
            Val::text(r.get(1)?),
            Val::text(r.get(2)?),
            Val::text(id_number),
            Val::text(phone),
            Val::text(r.get(5)?),
            num(r.get(6)?),
            num(r.get(7)?),
            Val::text(Some(category.label().to_string())),
            flag(r.get(9)?),
            Val::text(
                r.get::<_, Option<TechMode>>(10)?
                    .map(|m| m.label().to_string()),
            ),
            Val::text(
                r.get::<_, Option<Location>>(11)?
                    .map(|m| m.label().to_string()),
            ),
            num(r.get(12)?),
            flag(r.get(13)?),
            num(r.get(14)?),
            r.get::<_, Option<i64>>(15)?
                .map(|fen| Val::Number(fen as f64 / 100.0))
                .unwrap_or(Val::Empty),
            Val::text(r.get(16)?),
            flag(r.get(17)?),
            Val::text(
                r.get::<_, Option<UseStatus>>(18)?
                    .map(|m| m.label().to_string()),
            ),
        ];
        each(&values, r.get(20)?)
    })?;
    Ok(ExportSummary {
        households,
        rows: n,
    })
}

fn masked_note(personal: Personal) -> &'static str {
    if personal == Personal::Masked {
        "　身份证号、电话已隐去中间位"
    } else {
        ""
    }
}

/// The date part of a caller's time (`YYYY-MM-DD…`).
fn day_of(now: &str) -> &str {
    now.get(..10).unwrap_or(now)
}

/// Writes the 改厕台账 of `scope`: one row per toilet (a household without toilets gets one row).
pub fn toilet_ledger<'a>(
    db: impl Into<Db<'a>>,
    scope: Scope,
    personal: Personal,
    path: &Path,
    now: &str,
) -> Result<ExportSummary> {
    let columns: Vec<TemplateColumn> = LEDGER_HEADERS
        .iter()
        .map(|(h, _)| TemplateColumn {
            source: h.to_string(),
            header: h.to_string(),
        })
        .collect();
    write_ledger(db.into(), scope, personal, path, now, "改厕台账", &columns)
}

/// Writes ledger rows with the given columns (source column → header) in the given order.
fn write_ledger(
    db: Db<'_>,
    scope: Scope,
    personal: Personal,
    path: &Path,
    now: &str,
    title: &str,
    columns: &[TemplateColumn],
) -> Result<ExportSummary> {
    let e = xlsx_err(path);
    let mut picks = Vec::with_capacity(columns.len());
    let all: Vec<(&str, f64)> = LEDGER_HEADERS
        .iter()
        .chain(RESULT_HEADERS)
        .copied()
        .collect();
    for c in columns {
        let i = all
            .iter()
            .position(|(h, _)| *h == c.source)
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "导出模板里的列“{}”不存在。请在模板中重新选择这一列。",
                    c.source
                ))
            })?;
        picks.push(i);
    }
    let town = TownSettings::load(db)?;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet_with_constant_memory().map_err(&e)?;
    sheet.set_name(sheet_name(title)).map_err(&e)?;
    let (filter, scope_id) = scope_filter(scope);
    let (households, toilets): (i64, i64) = db.query_row(
        &format!("SELECT COUNT(*), (SELECT COUNT(*) FROM toilets t JOIN households h ON h.id = t.household_id WHERE {filter}) FROM households h WHERE {filter}"),
        [scope_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    write_title(
        sheet,
        &format!("{}{}{title}", town.district_name, town.town_name),
        &format!(
            "导出日期：{}　共 {households} 户、{toilets} 个户厕{}",
            day_of(now),
            masked_note(personal)
        ),
        path,
    )?;
    let headers: Vec<(&str, f64)> = columns
        .iter()
        .zip(&picks)
        .map(|(c, i)| (c.header.as_str(), all[*i].1))
        .collect();
    header_row(sheet, &headers, path)?;
    let mut row = 3u32;
    let n = LEDGER_HEADERS.len();
    let results = if picks.iter().any(|i| *i >= n) {
        results(db, scope)?
    } else {
        Default::default()
    };
    let summary = ledger_rows(db, scope, personal, |values, toilet| {
        for (col, i) in picks.iter().enumerate() {
            let v = if *i < n {
                &values[*i]
            } else {
                toilet
                    .and_then(|t| results.get(&t))
                    .map_or(&Val::Empty, |r| &r[*i - n])
            };
            v.write(sheet, row, col as u16).map_err(&e)?;
        }
        row += 1;
        Ok(())
    })?;
    save_audited(
        db,
        &mut book,
        personal,
        title,
        path,
        summary.households,
        now,
    )?;
    Ok(summary)
}

/// Saves a workbook. One with full ID numbers and phones is recorded in the audit log first:
/// it is written under a temporary name, the entry is committed, and only then does the file
/// get its name — an unaudited export of personal data never exists.
pub(crate) fn save_audited<'a>(
    db: impl Into<Db<'a>>,
    book: &mut Workbook,
    personal: Personal,
    what: &str,
    path: &Path,
    households: usize,
    now: &str,
) -> Result<()> {
    if personal == Personal::Masked {
        return book.save(path).map_err(xlsx_err(path));
    }
    let part = crate::store::backup::part_path(path);
    book.save(&part).map_err(xlsx_err(path))?;
    // The entry and the file's name go together: a file that cannot be named (a folder of that
    // name, a file open in Excel) takes its entry back with it.
    let done = db.into().atomically(|db| {
        crate::store::audit::append(
            db,
            now,
            "export.personal",
            "export",
            path.display(),
            &format!("导出含完整身份证号和电话的{what}（{households} 户）"),
            serde_json::json!({ "path": path.display().to_string(), "households": households }),
        )?;
        std::fs::rename(&part, path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })
    });
    if done.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    done
}

/// One column of an export template: which ledger column, under which header.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TemplateColumn {
    /// A header of the 改厕台账 (e.g. 身份证号).
    pub source: String,
    /// The header the receiving system expects (e.g. 证件号码).
    pub header: String,
}

/// A saved column template, e.g. for 重庆市防止返贫大数据监测平台, whose layout is not public:
/// the office picks and orders the columns and names their headers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExportTemplate {
    pub name: String,
    pub columns: Vec<TemplateColumn>,
}

/// The columns a template can use: the ledger's, then the latest check's and case's.
pub fn template_sources() -> Vec<&'static str> {
    LEDGER_HEADERS
        .iter()
        .chain(RESULT_HEADERS)
        .map(|(h, _)| *h)
        .collect()
}

const TEMPLATE_PREFIX: &str = "export_template:";

/// Saves (or replaces) a template after checking it.
/// A worksheet name Excel takes for `title`: none of \ / ? * : [ ], not starting or ending
/// with an apostrophe, not Excel's own History, at most 31 characters.
fn sheet_name(title: &str) -> String {
    let name: String = title
        .chars()
        .map(|c| match c {
            '\\' | '/' | '?' | '*' | ':' | '[' | ']' => '_',
            c => c,
        })
        .collect();
    let name = name.trim().trim_matches('\'');
    let name = if name.is_empty() || name.eq_ignore_ascii_case("history") {
        format!("{name}（导出）")
    } else {
        name.to_string()
    };
    name.chars().take(31).collect()
}

pub fn save_template<'a>(db: impl Into<Db<'a>>, t: &ExportTemplate, now: &str) -> Result<()> {
    let name = t.name.trim();
    if name.is_empty() || name.chars().count() > 40 {
        return Err(Error::Invalid(
            "模板名称不能为空，也不要超过 40 个字。".into(),
        ));
    }
    if t.columns.is_empty() {
        return Err(Error::Invalid("模板里至少要有一列。".into()));
    }
    for c in &t.columns {
        if !template_sources().contains(&c.source.as_str()) {
            return Err(Error::Invalid(format!(
                "没有“{}”这一列，请从可选的列中选择。",
                c.source
            )));
        }
        if c.header.trim().is_empty() {
            return Err(Error::Invalid(format!(
                "“{}”这一列的表头名称不能为空。",
                c.source
            )));
        }
    }
    let t = ExportTemplate {
        name: name.to_string(),
        columns: t.columns.clone(),
    };
    let json = serde_json::to_string(&t).expect("templates serialise");
    let key = format!("{TEMPLATE_PREFIX}{name}");
    db.into().atomically(|db| {
        let old = crate::store::settings::get(db, &key)?;
        crate::store::settings::set(db, &key, &json)?;
        crate::store::audit::append(
            db,
            now,
            "settings.template",
            "settings",
            &key,
            &format!(
                "{}导出模板“{name}”（{} 列）",
                if old.is_some() { "修改" } else { "保存" },
                t.columns.len()
            ),
            serde_json::json!({ "template": [old, json] }),
        )?;
        Ok(())
    })
}

/// Every saved template, by name.
pub fn templates<'a>(db: impl Into<Db<'a>>) -> Result<Vec<ExportTemplate>> {
    let mut stmt = db
        .into()
        .prepare("SELECT value FROM settings WHERE key >= ?1 AND key < ?2 ORDER BY key")?;
    let rows = stmt.query_map(
        [
            TEMPLATE_PREFIX.to_string(),
            format!("{TEMPLATE_PREFIX}\u{10FFFF}"),
        ],
        |r| r.get::<_, String>(0),
    )?;
    let mut out = Vec::new();
    for json in rows {
        if let Ok(t) = serde_json::from_str(&json?) {
            out.push(t);
        }
    }
    Ok(out)
}

/// Deletes a saved template (nothing when there is none by that name).
pub fn delete_template<'a>(db: impl Into<Db<'a>>, name: &str, now: &str) -> Result<()> {
    let key = format!("{TEMPLATE_PREFIX}{name}");
    db.into().atomically(|db| {
        let old = crate::store::settings::get(db, &key)?;
        if old.is_none() {
            return Ok(());
        }
        db.execute("DELETE FROM settings WHERE key = ?1", [&key])?;
        crate::store::audit::append(
            db,
            now,
            "settings.template",
            "settings",
            &key,
            &format!("删除导出模板“{name}”"),
            serde_json::json!({ "template": [old, serde_json::Value::Null] }),
        )?;
        Ok(())
    })
}

/// Exports the ledger of `scope` with a saved template's columns and headers.
pub fn with_template<'a>(
    db: impl Into<Db<'a>>,
    name: &str,
    scope: Scope,
    personal: Personal,
    path: &Path,
    now: &str,
) -> Result<ExportSummary> {
    let db = db.into();
    let t = templates(db)?
        .into_iter()
        .find(|t| t.name == name)
        .ok_or_else(|| {
            Error::Invalid(format!(
                "没有名为“{name}”的导出模板。请先在“导出 Excel”里建立模板。"
            ))
        })?;
    write_ledger(db, scope, personal, path, now, &t.name, &t.columns)
}

/// The household list: the ledger's household columns (序号 … 是否常住) and the toilet count.
fn household_headers() -> Vec<(&'static str, f64)> {
    LEDGER_HEADERS[..11]
        .iter()
        .copied()
        .chain([("户厕数", 8.0)])
        .collect()
}

/// Writes the household list (农户名单) of `scope`.
pub fn household_list<'a>(
    db: impl Into<Db<'a>>,
    scope: Scope,
    personal: Personal,
    path: &Path,
    now: &str,
) -> Result<ExportSummary> {
    let db = db.into();
    let e = xlsx_err(path);
    let town = TownSettings::load(db)?;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet_with_constant_memory().map_err(&e)?;
    sheet.set_name("农户名单").map_err(&e)?;
    let (filter, scope_id) = scope_filter(scope);
    let count: i64 = db.query_row(
        &format!("SELECT COUNT(*) FROM households h WHERE {filter}"),
        [scope_id],
        |r| r.get(0),
    )?;
    let masked_note = if personal == Personal::Masked {
        "　身份证号、电话已隐去中间位"
    } else {
        ""
    };
    write_title(
        sheet,
        &format!("{}{}农户名单", town.district_name, town.town_name),
        &format!("导出日期：{}　共 {count} 户{masked_note}", day_of(now)),
        path,
    )?;
    header_row(sheet, &household_headers(), path)?;
    let mut n: u32 = 0;
    db.for_each(&format!(
        "SELECT v.name, g.name, h.head_name, h.id_number, h.phone, h.address, h.registered_pop, h.resident_pop,
                h.category, h.is_resident, (SELECT COUNT(*) FROM toilets t WHERE t.household_id = h.id)
         FROM households h
         JOIN villages v ON v.id = h.village_id
         JOIN village_groups g ON g.id = h.group_id
         WHERE {filter}
         ORDER BY v.sort_order, v.id, g.sort_order, g.number NULLS FIRST, g.id, h.id"
    ), [scope_id], |r| {
        let row = 3 + n;
        n += 1;
        let (id_number, phone) = personal.apply(r.get(3)?, r.get(4)?);
        let category: HouseholdCategory = r.get(8)?;
        sheet.write_number(row, 0, n as f64).map_err(&e)?;
        let texts: [(u16, Option<String>); 8] = [
            (1, r.get(0)?),
            (2, r.get(1)?),
            (3, r.get(2)?),
            (4, id_number),
            (5, phone),
            (6, r.get(5)?),
            (9, Some(category.label().to_string())),
            (10, Some(yes_no(r.get(9)?).to_string())),
        ];
        for (c, t) in texts {
            if let Some(t) = t.filter(|t| !t.is_empty()) {
                sheet.write_string(row, c, t).map_err(&e)?;
            }
        }
        for (c, i) in [(7u16, 6usize), (8, 7), (11, 10)] {
            if let Some(v) = r.get::<_, Option<i64>>(i)? {
                sheet.write_number(row, c, v as f64).map_err(&e)?;
            }
        }
        Ok(())
    })?;
    save_audited(db, &mut book, personal, "农户名单", path, n as usize, now)?;
    Ok(ExportSummary {
        households: n as usize,
        rows: n as usize,
    })
}

/// 工作清单 of `scope` (a worklist of the household list) as .xlsx, masked; audited like every
/// export.
pub fn worklist_xlsx<'a>(
    db: impl Into<Db<'a>>,
    scope: Scope,
    list: &crate::places::households::ListFilter,
    scope_title: &str,
    path: &Path,
    now: &str,
) -> Result<ExportSummary> {
    let db = db.into();
    let e = xlsx_err(path);
    let town = TownSettings::load(db)?;
    let rows = crate::places::households::list_all(db, scope, list)?;
    let mut book = Workbook::new();
    let name = list.name();
    let sheet = titled_sheet(
        &mut book,
        "工作清单",
        &format!("{}{scope_title}工作清单：{name}", town.town_name),
        &format!(
            "导出日期：{}　共 {} 户　身份证号已隐去中间位",
            day_of(now),
            rows.len()
        ),
        &[
            ("序号", 6.0),
            ("行政村", 10.0),
            ("社", 6.0),
            ("户主", 10.0),
            ("身份证号", 21.0),
            ("户厕数", 7.0),
            ("核查", 14.0),
            ("入户核实情况", 30.0),
            ("农户编号", 9.0),
        ],
        path,
    )?;
    for (i, r) in rows.iter().enumerate() {
        let row = 3 + i as u32;
        let values = [
            Val::Number((i + 1) as f64),
            Val::Text(r.village_name.clone()),
            Val::Text(r.group_name.clone()),
            Val::Text(r.head_name.clone()),
            Val::text(r.id_number_masked.clone()),
            Val::Number(r.toilet_count as f64),
            Val::Text(r.check.label().into()),
            Val::text(None),
            Val::Number(r.id as f64),
        ];
        for (col, v) in values.iter().enumerate() {
            v.write(sheet, row, col as u16).map_err(&e)?;
        }
    }
    save_audited(
        db,
        &mut book,
        Personal::Masked,
        &format!("工作清单（{name}）"),
        path,
        rows.len(),
        now,
    )?;
    Ok(ExportSummary {
        households: rows.len(),
        rows: rows.len(),
    })
}

/// The 操作日志 entries matching `filter` (newest first) as xlsx; returns the rows written.
pub fn audit_xlsx<'a>(
    db: impl Into<Db<'a>>,
    filter: &crate::store::audit::Filter,
    path: &Path,
) -> Result<usize> {
    let db = db.into();
    let (total, entries) = crate::store::audit::list(db, filter, 0, i64::MAX)?;
    let verification = crate::store::audit::verify(db)?;
    let town = TownSettings::load(db)?;
    let e = xlsx_err(path);
    let mut book = Workbook::new();
    let sheet = titled_sheet(
        &mut book,
        "操作日志",
        &format!("{}农村户厕工作台操作日志", town.town_name),
        &format!("共 {total} 条（按筛选条件）。{}", verification.message()),
        &[
            ("编号", 8.0),
            ("时间", 22.0),
            ("操作人", 18.0),
            ("操作", 16.0),
            ("对象", 12.0),
            ("对象编号", 10.0),
            ("内容", 50.0),
            ("原值 → 新值", 60.0),
        ],
        path,
    )?;
    for (i, a) in entries.iter().enumerate() {
        let row = 3 + i as u32;
        let values = [
            Val::Number(a.id as f64),
            Val::Text(a.at.clone()),
            Val::Text(a.actor.clone()),
            Val::Text(a.action.clone()),
            Val::Text(a.entity.clone()),
            Val::Text(a.entity_id.clone()),
            Val::Text(a.summary.clone()),
            Val::Text(a.detail.clone()),
        ];
        for (col, v) in values.iter().enumerate() {
            v.write(sheet, row, col as u16).map_err(&e)?;
        }
    }
    book.save(path).map_err(&e)?;
    Ok(entries.len())
}
