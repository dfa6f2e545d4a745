//! Excel export (导出): the 改厕台账 (every toilet with its household and baseline fields) and the
//! household list, as .xlsx with a title row, Chinese headers the importer reads back, a frozen
//! header, fitting column widths and ID numbers as text. Exporting and importing the same file
//! changes nothing.

use std::path::Path;

use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::households::Scope;
use crate::idcard;
use crate::model::{HouseholdCategory, Location, TechMode, UseStatus};
use crate::settings::TownSettings;
use rusqlite::Connection;

/// Whether personal data is written in full or masked (the default for anything that leaves
/// the office; a full export is for re-import and is recorded by the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Personal {
    Masked,
    Full,
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

fn xlsx_err(path: &Path) -> impl Fn(XlsxError) -> Error + '_ {
    move |e| {
        Error::Invalid(format!(
            "写入 Excel 文件“{}”失败（{e}）。请确认文件没有在 Excel 中打开、磁盘有空间后重试。",
            path.display()
        ))
    }
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

fn write_title(sheet: &mut Worksheet, title: &str, subtitle: &str, path: &Path) -> Result<()> {
    let e = xlsx_err(path);
    sheet
        .write_string_with_format(0, 0, title, &Format::new().set_bold().set_font_size(16))
        .map_err(&e)?;
    sheet.write_string(1, 0, subtitle).map_err(&e)?;
    Ok(())
}

/// Writes the 改厕台账 of `scope`: one row per toilet (a household without toilets gets one row).
pub fn toilet_ledger(
    conn: &Connection,
    scope: Scope,
    personal: Personal,
    path: &Path,
    today: &str,
) -> Result<ExportSummary> {
    let e = xlsx_err(path);
    let town = TownSettings::load(conn)?;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet_with_constant_memory().map_err(&e)?;
    sheet.set_name("改厕台账").map_err(&e)?;
    let (filter, scope_id) = scope_filter(scope);
    let (households, toilets): (i64, i64) = conn.query_row(
        &format!("SELECT COUNT(*), (SELECT COUNT(*) FROM toilets t JOIN households h ON h.id = t.household_id WHERE {filter}) FROM households h WHERE {filter}"),
        [scope_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    write_title(
        sheet,
        &format!("{}{}改厕台账", town.district_name, town.town_name),
        &format!(
            "导出日期：{today}　共 {households} 户、{toilets} 个户厕{}",
            if personal == Personal::Masked {
                "　身份证号、电话已隐去中间位"
            } else {
                ""
            }
        ),
        path,
    )?;
    header_row(sheet, LEDGER_HEADERS, path)?;

    let mut stmt = conn.prepare(&format!(
        "SELECT v.name, g.name, h.head_name, h.id_number, h.phone, h.address, h.registered_pop, h.resident_pop,
                h.category, h.is_resident, t.tech_mode, t.location, t.build_year, t.subsidized, t.subsidy_year,
                t.subsidy_amount_fen, t.project_name, t.is_sanitary, t.use_status, h.id
         FROM households h
         JOIN villages v ON v.id = h.village_id
         JOIN village_groups g ON g.id = h.group_id
         LEFT JOIN toilets t ON t.household_id = h.id
         WHERE {filter}
         ORDER BY v.sort_order, v.id, g.sort_order, g.number, g.id, h.id, t.seq"
    ))?;
    let mut rows = stmt.query([scope_id])?;
    let mut n: u32 = 0;
    let mut last_household = None;
    let mut household_count = 0;
    while let Some(r) = rows.next()? {
        let row = 3 + n;
        n += 1;
        let hid: i64 = r.get(19)?;
        if last_household != Some(hid) {
            household_count += 1;
            last_household = Some(hid);
        }
        let id_number: Option<String> = r.get(3)?;
        let phone: Option<String> = r.get(4)?;
        let (id_number, phone) = match personal {
            Personal::Full => (id_number, phone),
            Personal::Masked => (
                id_number.map(|s| idcard::mask_id(&s)),
                phone.map(|s| idcard::mask_phone(&s)),
            ),
        };
        let category: HouseholdCategory = r.get(8)?;
        let texts: [(u16, Option<String>); 12] = [
            (1, r.get(0)?),
            (2, r.get(1)?),
            (3, r.get(2)?),
            (4, id_number),
            (5, phone),
            (6, r.get(5)?),
            (9, Some(category.label().to_string())),
            (10, Some(yes_no(r.get(9)?).to_string())),
            (
                11,
                r.get::<_, Option<TechMode>>(10)?
                    .map(|m| m.label().to_string()),
            ),
            (
                12,
                r.get::<_, Option<Location>>(11)?
                    .map(|m| m.label().to_string()),
            ),
            (17, r.get(16)?),
            (
                19,
                r.get::<_, Option<UseStatus>>(18)?
                    .map(|m| m.label().to_string()),
            ),
        ];
        sheet.write_number(row, 0, n as f64).map_err(&e)?;
        for (c, t) in texts {
            if let Some(t) = t.filter(|t| !t.is_empty()) {
                sheet.write_string(row, c, t).map_err(&e)?;
            }
        }
        for (c, i) in [(7u16, 6usize), (8, 7), (13, 12), (15, 14)] {
            if let Some(v) = r.get::<_, Option<i64>>(i)? {
                sheet.write_number(row, c, v as f64).map_err(&e)?;
            }
        }
        for (c, i) in [(14u16, 13usize), (18, 17)] {
            let s = yes_no(r.get(i)?);
            if !s.is_empty() {
                sheet.write_string(row, c, s).map_err(&e)?;
            }
        }
        if let Some(fen) = r.get::<_, Option<i64>>(15)? {
            sheet
                .write_number(row, 16, fen as f64 / 100.0)
                .map_err(&e)?;
        }
    }
    book.save(path).map_err(&e)?;
    Ok(ExportSummary {
        households: household_count,
        rows: n as usize,
    })
}

const HOUSEHOLD_HEADERS: &[(&str, f64)] = &[
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
    ("户厕数", 8.0),
];

fn header_row(sheet: &mut Worksheet, headers: &[(&str, f64)], path: &Path) -> Result<()> {
    let e = xlsx_err(path);
    let head = Format::new()
        .set_bold()
        .set_background_color("#E7F3EC")
        .set_align(FormatAlign::Center)
        .set_text_wrap();
    for (c, (h, w)) in headers.iter().enumerate() {
        sheet.set_column_width(c as u16, *w).map_err(&e)?;
        sheet
            .write_string_with_format(2, c as u16, *h, &head)
            .map_err(&e)?;
    }
    sheet.set_freeze_panes(3, 0).map_err(&e)?;
    Ok(())
}

/// Writes the household list (农户名单) of `scope`.
pub fn household_list(
    conn: &Connection,
    scope: Scope,
    personal: Personal,
    path: &Path,
    today: &str,
) -> Result<ExportSummary> {
    let e = xlsx_err(path);
    let town = TownSettings::load(conn)?;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet_with_constant_memory().map_err(&e)?;
    sheet.set_name("农户名单").map_err(&e)?;
    let (filter, scope_id) = scope_filter(scope);
    let count: i64 = conn.query_row(
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
        &format!("导出日期：{today}　共 {count} 户{masked_note}"),
        path,
    )?;
    header_row(sheet, HOUSEHOLD_HEADERS, path)?;
    let mut stmt = conn.prepare(&format!(
        "SELECT v.name, g.name, h.head_name, h.id_number, h.phone, h.address, h.registered_pop, h.resident_pop,
                h.category, h.is_resident, (SELECT COUNT(*) FROM toilets t WHERE t.household_id = h.id)
         FROM households h
         JOIN villages v ON v.id = h.village_id
         JOIN village_groups g ON g.id = h.group_id
         WHERE {filter}
         ORDER BY v.sort_order, v.id, g.sort_order, g.number, g.id, h.id"
    ))?;
    let mut rows = stmt.query([scope_id])?;
    let mut n: u32 = 0;
    while let Some(r) = rows.next()? {
        let row = 3 + n;
        n += 1;
        let (id_number, phone): (Option<String>, Option<String>) = (r.get(3)?, r.get(4)?);
        let (id_number, phone) = match personal {
            Personal::Full => (id_number, phone),
            Personal::Masked => (
                id_number.map(|s| idcard::mask_id(&s)),
                phone.map(|s| idcard::mask_phone(&s)),
            ),
        };
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
    }
    book.save(path).map_err(&e)?;
    Ok(ExportSummary {
        households: n as usize,
        rows: n as usize,
    })
}
