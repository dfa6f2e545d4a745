//! 月通报 as numbers: the month a bulletin counts to, the table's columns and each row's cells
//! (shared by the printed bulletin, [`crate::print::bulletin`], and the Excel one here).

use std::path::Path;

use chrono::{Datelike, Months, NaiveDate};
use rust_xlsxwriter::{Format, Workbook};

use crate::error::{Error, Result};
use crate::ledger_io::xlsx::{percent_format, titled_sheet, xlsx_err};
use crate::reports::progress::Counts;
use crate::store::settings::TownSettings;
use crate::store::sql::Db;

/// The bulletin table's columns: header, weight in the PDF, width in Excel.
///
/// 逾期 is two columns: 逾期未整改 (the farmer's rectification is late) and 逾期待验收 (rectified,
/// the town's acceptance is late); together they are every open case past its deadline.
pub const BULLETIN_COLUMNS: [(&str, f32, f64); 16] = [
    ("村", 1.3, 12.0),
    ("户数", 0.8, 8.0),
    ("厕所数", 0.8, 8.0),
    ("已排查", 0.8, 8.0),
    ("排查率", 0.85, 9.0),
    ("问题厕所", 0.8, 9.0),
    ("立行立改", 0.8, 9.0),
    ("纳入全区计划", 0.9, 12.0),
    ("镇筹资农户自改", 0.95, 14.0),
    ("待定类别", 0.8, 9.0),
    ("已整改", 0.8, 8.0),
    ("已销号", 0.8, 8.0),
    ("销号率", 0.85, 9.0),
    ("逾期未整改", 0.75, 10.0),
    ("逾期待验收", 0.75, 10.0),
    ("排名", 0.6, 7.0),
];

/// One cell of the bulletin table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Count(i64),
    /// Per cent, 0–100.
    Percent(f64),
}

impl Cell {
    /// As printed: percentages to one decimal.
    pub fn text(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Count(n) => n.to_string(),
            Cell::Percent(p) => crate::model::percent_text(*p),
        }
    }
}

/// The cells of one row (a village, or the town with `rank` None), in [`BULLETIN_COLUMNS`]
/// order. A place without problem toilets has no 销号率 to show ("—").
pub fn bulletin_cells(c: &Counts, rank: Option<usize>) -> Vec<Cell> {
    vec![
        Cell::Text(c.name.clone()),
        Cell::Count(c.households),
        Cell::Count(c.toilets),
        Cell::Count(c.inspected),
        Cell::Percent(c.inspected_percent()),
        Cell::Count(c.problems),
        Cell::Count(c.immediate_fix),
        Cell::Count(c.plan_district),
        Cell::Count(c.plan_town_funded),
        Cell::Count(c.undecided),
        Cell::Count(c.rectified),
        Cell::Count(c.closed),
        match c.closed_percent() {
            None => Cell::Text("—".into()),
            Some(p) => Cell::Percent(p),
        },
        Cell::Count(c.overdue_unrectified),
        Cell::Count(c.overdue_awaiting),
        rank.map_or_else(|| Cell::Text("—".into()), |r| Cell::Count(r as i64)),
    ]
}

/// The date a month's bulletin counts to: the month's last day, or `today` in the current
/// month. Refuses a malformed month and a month that has not begun.
pub fn bulletin_as_of(month: &str, today: &str) -> Result<String> {
    let m = month.trim();
    let bad = || {
        Error::Invalid(format!(
            "月份“{month}”格式不对。请按“2022-10”的格式填写四位年份和两位月份（01 到 12）。"
        ))
    };
    if m.len() != 7 || m.as_bytes()[4] != b'-' {
        return Err(bad());
    }
    let first = NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").map_err(|_| bad())?;
    let now = NaiveDate::parse_from_str(today.trim(), "%Y-%m-%d").map_err(|_| {
        Error::Invalid(format!(
            "今天的日期“{today}”无法识别。请检查电脑的日期设置后重试。"
        ))
    })?;
    let this_month = now.with_day(1).expect("day 1 exists");
    if first > this_month {
        return Err(Error::Invalid(format!(
            "{}年{}月还没有到，不能出这个月的通报。请选择{}年{}月或更早的月份。",
            first.year(),
            first.month(),
            now.year(),
            now.month()
        )));
    }
    if first == this_month {
        return Ok(now.to_string());
    }
    let last = first
        .checked_add_months(Months::new(1))
        .and_then(|d| d.pred_opt())
        .ok_or_else(bad)?;
    Ok(last.to_string())
}

/// 月通报 table of `month` (`YYYY-MM`) as .xlsx: a title row, the header, one row per village in
/// the town's order, and the 全镇合计 row; rates are numbers shown as 0.0%. The numbers are those
/// of [`crate::print::bulletin`]. Returns the rows written below the header (villages + total).
pub fn bulletin_xlsx<'a>(
    db: impl Into<Db<'a>>,
    month: &str,
    today: &str,
    path: &Path,
) -> Result<usize> {
    let conn = db.into();
    let as_of = bulletin_as_of(month, today)?;
    let p = crate::reports::progress::progress(conn, &as_of)?;
    let town = TownSettings::load(conn)?;
    let e = xlsx_err(path);
    let headers: Vec<(&str, f64)> = BULLETIN_COLUMNS.iter().map(|(h, _, w)| (*h, *w)).collect();
    let mut book = Workbook::new();
    let sheet = titled_sheet(
        &mut book,
        "月通报",
        &format!("{}农村户厕问题摸排整改工作月通报", town.town_name),
        &format!(
            "{}年{}月　统计截至 {as_of}　导出日期：{today}　排名按综合进度 =（排查率 + 销号率）÷ 2，逾期待验收的按已销号计（镇里验收滞后不降低村的名次）",
            as_of.get(..4).unwrap_or(&as_of),
            as_of.get(5..7).unwrap_or("").trim_start_matches('0')
        ),
        &headers,
        path,
    )?;
    let pct = percent_format();
    let bold = Format::new().set_bold();
    let bold_pct = percent_format().set_bold();
    let total = crate::reports::progress::Counts {
        name: "全镇合计".into(),
        ..p.town.clone()
    };
    let rows = p
        .villages
        .iter()
        .map(|v| (bulletin_cells(v, Some(v.rank)), false))
        .chain(std::iter::once((bulletin_cells(&total, None), true)));
    let mut n = 0u32;
    for (cells, is_total) in rows {
        let row = 3 + n;
        n += 1;
        for (c, cell) in cells.iter().enumerate() {
            let c = c as u16;
            let (plain, rate) = if is_total {
                (&bold, &bold_pct)
            } else {
                (&Format::new(), &pct)
            };
            match cell {
                Cell::Text(t) => sheet.write_string_with_format(row, c, t, plain),
                Cell::Count(v) => sheet.write_number_with_format(row, c, *v as f64, plain),
                Cell::Percent(v) => sheet.write_number_with_format(row, c, v / 100.0, rate),
            }
            .map_err(&e)?;
        }
    }
    // The cases reported to the district, as the printed bulletin's last section lists them.
    let escalated = crate::fieldwork::escalation::escalations(conn, &as_of)?;
    let sheet = titled_sheet(
        &mut book,
        "报区研究解决",
        &format!("{}报区人居办研究解决的问题户厕", town.town_name),
        &format!("统计截至 {as_of}　共 {} 个，未销号", escalated.len()),
        &[
            ("行政村", 12.0),
            ("社", 8.0),
            ("户主", 10.0),
            ("户厕", 6.0),
            ("问题", 30.0),
            ("整改状态", 12.0),
            ("上报日期", 11.0),
            ("上报原因", 36.0),
            ("答复日期", 11.0),
            ("区人居办答复", 36.0),
        ],
        path,
    )?;
    for (i, c) in escalated.iter().enumerate() {
        let row = 3 + i as u32;
        let cells = [
            c.village.as_str(),
            &c.group,
            &c.head_name,
            &format!("第{}个", c.toilet_seq),
            &c.problems,
            c.state.label(),
            &c.escalated_on,
            &c.reason,
            c.replied_on.as_deref().unwrap_or(""),
            c.reply.as_deref().unwrap_or(""),
        ];
        for (col, v) in cells.iter().enumerate() {
            sheet.write_string(row, col as u16, *v).map_err(&e)?;
        }
    }
    book.save(path).map_err(&e)?;
    Ok(n as usize)
}
