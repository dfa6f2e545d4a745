//! 问题厕所台账 as the district asks for it in .xlsx: one row per problem toilet with the
//! household, the toilet, the problems (with 影响使用 and the cause), the category, the plan
//! (measures, responsible, deadline, money), the state and its dates (found, rectified, closed
//! out, verifier), overdue, the notice and 报区研究. ID numbers masked; the export is audited.

use std::collections::HashMap;
use std::path::Path;

use rust_xlsxwriter::Workbook;

use crate::error::Result;
use crate::fieldwork::rectification::{self, LedgerFilter, PaperState};
use crate::ledger_io::export::{save_audited, ExportSummary, Personal};
use crate::ledger_io::xlsx::{titled_sheet, xlsx_err, Val};
use crate::model::Cause;
use crate::places::idcard;
use crate::store::settings::TownSettings;
use crate::store::sql::{self, Db};

/// The columns, as the district's sheet names them.
pub const COLUMNS: [(&str, f64); 24] = [
    ("序号", 6.0),
    ("行政村", 10.0),
    ("社", 6.0),
    ("户主", 9.0),
    ("身份证号", 20.0),
    ("户厕序号", 7.0),
    ("技术模式", 14.0),
    ("财政补助年度", 9.0),
    ("发现日期", 11.0),
    ("存在问题", 36.0),
    ("是否影响使用", 8.0),
    ("整改类别", 22.0),
    ("整改措施", 26.0),
    ("责任人", 9.0),
    ("计划完成时间", 10.0),
    ("资金来源", 16.0),
    ("整改状态", 12.0),
    ("整改完成日期", 11.0),
    ("销号日期", 11.0),
    ("验收人", 9.0),
    ("是否逾期", 11.0),
    ("告知单", 12.0),
    ("报区研究", 8.0),
    ("农户编号", 9.0),
];

/// What the ledger's row does not carry: the plan's text, the ID, the problems with their
/// causes, and the dates of rectification and close-out with the verifier.
#[derive(Default)]
struct Extra {
    measures: Option<String>,
    funding: Option<String>,
    id_number: Option<String>,
    problems: Vec<String>,
    rectified_on: Option<String>,
    closed_on: Option<String>,
    verifier: Option<String>,
}

fn extras(conn: Db<'_>, ids: &[i64]) -> Result<HashMap<i64, Extra>> {
    let list = serde_json::to_string(ids).expect("ids serialise");
    let in_list = sql::json_ids(conn.engine(), "?1");
    let mut out: HashMap<i64, Extra> = HashMap::new();
    conn.for_each(
        &format!(
            "SELECT r.id, r.measures, r.funding, h.id_number FROM rectifications r
             JOIN households h ON h.id = r.household_id
             WHERE r.id IN ({in_list})"
        ),
        [&list],
        |r| {
            let e = out.entry(r.get(0)?).or_default();
            e.measures = r.get(1)?;
            e.funding = r.get(2)?;
            e.id_number = r.get::<_, Option<String>>(3)?.map(|s| idcard::mask_id(&s));
            Ok(())
        },
    )?;
    conn.for_each(
        &format!(
            "SELECT r.id, pi.name, ip.stops_use, ip.cause FROM rectifications r
             JOIN inspection_problems ip ON ip.inspection_id = r.inspection_id
             JOIN problem_items pi ON pi.id = ip.item_id
             WHERE r.id IN ({in_list})
             ORDER BY r.id, pi.sort_order, pi.id"
        ),
        [&list],
        |r| {
            let (name, stops, cause): (String, bool, Option<Cause>) =
                (r.get(1)?, r.get(2)?, r.get(3)?);
            let mut text = name;
            match (stops, cause) {
                (true, Some(c)) => text.push_str(&format!("（影响使用，{}）", c.label())),
                (true, None) => text.push_str("（影响使用）"),
                (false, _) => {}
            }
            out.entry(r.get(0)?).or_default().problems.push(text);
            Ok(())
        },
    )?;
    // The latest move into 已整改待验收 and into 已销号 (a reopened case keeps its history).
    conn.for_each(
        &format!(
            "SELECT e.rectification_id, e.to_state, e.happened_on, s.name FROM rectification_events e
             LEFT JOIN staff s ON s.id = e.verifier_id
             WHERE e.rectification_id IN ({in_list})
               AND e.kind = 'move' AND e.to_state IN ('awaiting_acceptance', 'closed')
             ORDER BY e.id"
        ),
        [&list],
        |r| {
            let e = out.entry(r.get(0)?).or_default();
            let to: String = r.get(1)?;
            if to == "closed" {
                e.closed_on = r.get(2)?;
                e.verifier = r.get(3)?;
            } else {
                e.rectified_on = r.get(2)?;
            }
            Ok(())
        },
    )?;
    Ok(out)
}

fn paper_text(p: Option<PaperState>) -> &'static str {
    match p {
        None => "无需告知单",
        Some(PaperState::Unprinted) => "未打印",
        Some(PaperState::Undelivered) => "未送达",
        Some(PaperState::ReceiptMissing) => "已送达，回执未收回",
        Some(PaperState::Returned) => "回执已收回",
    }
}

/// 问题厕所台账 of the ledger filter `f` as .xlsx at `path`, as of `today`.
pub fn problem_ledger_xlsx<'a>(
    db: impl Into<Db<'a>>,
    f: &LedgerFilter,
    scope_title: &str,
    today: &str,
    path: &Path,
    now: &str,
) -> Result<ExportSummary> {
    let conn = db.into();
    let e = xlsx_err(path);
    let town = TownSettings::load(conn)?;
    let page = rectification::ledger(conn, f, today, 0, i64::MAX)?;
    let ids: Vec<i64> = page.rows.iter().map(|r| r.case_id).collect();
    let extra = extras(conn, &ids)?;
    let mut book = Workbook::new();
    let sheet = titled_sheet(
        &mut book,
        "问题厕所台账",
        &format!(
            "{}{}{scope_title}农村户厕问题厕所台账",
            town.district_name, town.town_name
        ),
        &format!(
            "统计截至：{today}　共 {} 个问题户厕　身份证号已隐去中间位",
            page.rows.len()
        ),
        &COLUMNS,
        path,
    )?;
    let none = Extra::default();
    for (i, r) in page.rows.iter().enumerate() {
        let x = extra.get(&r.case_id).unwrap_or(&none);
        let row = 3 + i as u32;
        let text = |s: &Option<String>| Val::text(s.clone());
        let values = [
            Val::Number((i + 1) as f64),
            Val::Text(r.village_name.clone()),
            Val::Text(r.group_name.clone()),
            Val::Text(r.head_name.clone()),
            text(&x.id_number),
            Val::Number(r.toilet_seq as f64),
            Val::text(r.tech_mode.map(|m| m.label().to_string())),
            r.subsidy_year.map_or(Val::Empty, |y| Val::Number(y as f64)),
            Val::Text(r.inspected_on.clone()),
            Val::Text(if x.problems.is_empty() {
                r.problems.clone()
            } else {
                x.problems.join("；")
            }),
            Val::Text(if r.stops_use { "是" } else { "否" }.into()),
            Val::Text(r.category.map_or("待确定", |c| c.label()).into()),
            text(&x.measures),
            text(&r.responsible),
            text(&r.planned_month),
            text(&x.funding),
            Val::Text(r.state.label().into()),
            text(&x.rectified_on),
            text(&x.closed_on),
            text(&x.verifier),
            Val::Text(r.overdue.map_or("", |o| o.label()).into()),
            Val::Text(paper_text(r.paper).into()),
            Val::Text(if r.escalated { "已报区" } else { "" }.into()),
            Val::Number(r.household_id as f64),
        ];
        for (col, v) in values.iter().enumerate() {
            v.write(sheet, row, col as u16).map_err(&e)?;
        }
    }
    let n = page.rows.len();
    let households = page
        .rows
        .iter()
        .map(|r| r.household_id)
        .collect::<std::collections::HashSet<_>>()
        .len();
    save_audited(
        conn,
        &mut book,
        Personal::Masked,
        "问题厕所台账",
        path,
        n,
        now,
    )?;
    Ok(ExportSummary {
        households,
        rows: n,
    })
}
