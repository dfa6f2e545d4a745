//! 问题厕所台账 and 改厕台账: landscape tables, the header repeated on every page, 第 x 页 共 y 页,
//! 制表人/审核人.

use crate::store::sql::Db;
use rusqlite::params;

use super::layout::{Column, Doc};
use super::page::{chinese_date, scope_filter, table_document, Printed, TablePages};
use crate::error::Result;
use crate::fieldwork::rectification::{self, LedgerFilter};
use crate::model::{CaseState, TechMode};
use crate::places::households::Scope;
use crate::places::idcard::mask_id;
use crate::store::settings::TownSettings;

/// 问题厕所台账 of the cases matching `filter` (landscape table).
pub fn problem_ledger<'a>(
    db: impl Into<Db<'a>>,
    filter: &LedgerFilter,
    today: &str,
    scope_title: &str,
) -> Result<Printed> {
    let conn = db.into();
    let town = TownSettings::load(conn)?;
    let page = rectification::ledger(conn, filter, today, 0, i64::MAX)?;
    let columns = [
        Column::center("序号", 0.5),
        Column::left("行政村·社", 1.3),
        Column::left("户主", 0.8),
        Column::left("户厕", 1.55),
        Column::left("发现的问题", 2.3),
        Column::left("整改类别", 1.75),
        Column::center("整改状态", 1.2),
        Column::center("计划完成", 0.9),
        Column::left("责任人", 0.8),
        Column::center("核查日期", 1.0),
    ];
    let mut doc = Doc::new("问题厕所台账", true, 15.0);
    doc.bottom = doc.height - doc.margin - 16.0;
    let rows: Vec<Vec<String>> = page
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            doc.check(&format!("农户{}", r.head_name), &r.head_name);
            vec![
                (i + 1).to_string(),
                format!("{}{}", r.village_name, r.group_name),
                r.head_name.clone(),
                format!(
                    "第{}个 {}",
                    r.toilet_seq,
                    r.tech_mode.map_or("—", |t| t.label())
                ),
                r.problems.clone(),
                r.category
                    .map_or("待确定".into(), |c| c.label().to_string()),
                // 待整改（逾期未整改）, or 已整改待验收（逾期待验收）: the town's acceptance
                // is late, not the farmer. The lateness on a line of its own.
                match r.overdue {
                    Some(late) => format!("{}\n（{}）", r.state.label(), late.label()),
                    None => r.state.label().to_string(),
                },
                r.planned_month.clone().unwrap_or_else(|| "—".into()),
                r.responsible.clone().unwrap_or_default(),
                r.inspected_on.clone(),
            ]
        })
        .collect();
    let title = format!("{}问题厕所台账", town.town_name);
    let subtitle = format!(
        "{} · 共 {} 个问题户厕 · 制表日期：{}",
        scope_title,
        rows.len(),
        chinese_date(today)
    );
    table_document(doc, &title, &subtitle, &columns, &rows, true, |_, _| {})
}

/// The 改厕台账's columns.
pub(crate) const TOILET_LEDGER_COLUMNS: [Column; 12] = [
    Column::center("序号", 0.55),
    Column::left("行政村·社", 1.3),
    Column::left("户主", 0.8),
    Column::left("身份证号", 1.75),
    Column::center("户厕", 0.45),
    Column::left("技术模式", 1.4),
    Column::center("位置", 0.5),
    Column::center("建设年度", 0.7),
    Column::center("财政补助", 0.65),
    Column::center("补助年度", 0.7),
    Column::center("使用状态", 1.1),
    Column::left("核查与整改", 1.4),
];

/// 改厕台账: every toilet of the place with its baseline and its current field status. A
/// town's runs to a thousand pages and more: each row goes to its page as it is read, and each
/// page to the file when the next begins, so memory does not grow with the town (#19).
pub fn toilet_ledger<'a>(
    db: impl Into<Db<'a>>,
    scope: Scope,
    today: &str,
    scope_title: &str,
) -> Result<Printed> {
    let conn = db.into();
    let town = TownSettings::load(conn)?;
    let (filter, id) = scope_filter(scope);
    let from = format!(
        "FROM toilets t JOIN households h ON h.id = t.household_id
         JOIN villages v ON v.id = h.village_id JOIN village_groups g ON g.id = h.group_id
         WHERE {filter}"
    );
    let count: i64 = conn.query_row(&format!("SELECT count(*) {from}"), params![id], |r| {
        r.get(0)
    })?;
    let mut stmt = conn.prepare(&format!(
        "SELECT v.name, g.name, h.head_name, h.id_number, t.seq, t.tech_mode, t.location, t.build_year,
                t.subsidized, t.subsidy_year, t.use_status,
                (SELECT count(*) FROM inspections i WHERE i.toilet_id = t.id),
                (SELECT r.state FROM rectifications r WHERE r.toilet_id = t.id ORDER BY r.id DESC LIMIT 1)
         {from}
         ORDER BY v.sort_order, v.id, g.sort_order, g.id, h.id, t.seq"
    ))?;
    let columns = TOILET_LEDGER_COLUMNS;
    let title = format!("{}农村改厕台账", town.town_name);
    let subtitle = format!(
        "{} · 共 {} 个户厕 · 制表日期：{}",
        scope_title,
        count,
        chinese_date(today)
    );
    let mut doc = Doc::new("改厕台账", true, 15.0);
    doc.bottom = doc.height - doc.margin - 16.0;
    let mut pages = TablePages::start(doc, &title, &subtitle, &columns);
    let mut n = 0;
    stmt.for_each(params![id], |r| {
        let name: String = r.get(2)?;
        pages.doc().check(&format!("农户{name}"), &name);
        let yes_no = |b: Option<bool>| b.map_or("—", |b| if b { "是" } else { "否" });
        let state: Option<CaseState> = r.get(12)?;
        let inspected: i64 = r.get(11)?;
        n += 1;
        pages.row(&[
            n.to_string(),
            format!("{}{}", r.get::<_, String>(0)?, r.get::<_, String>(1)?),
            name,
            r.get::<_, Option<String>>(3)?
                .as_deref()
                .map(mask_id)
                .unwrap_or_default(),
            r.get::<_, i64>(4)?.to_string(),
            r.get::<_, Option<TechMode>>(5)?
                .map_or("—", |t| t.label())
                .to_string(),
            r.get::<_, Option<crate::model::Location>>(6)?
                .map_or("—", |t| t.label())
                .to_string(),
            r.get::<_, Option<i64>>(7)?
                .map_or("—".into(), |y| y.to_string()),
            yes_no(r.get(8)?).to_string(),
            r.get::<_, Option<i64>>(9)?
                .map_or("—".into(), |y| y.to_string()),
            r.get::<_, Option<crate::model::UseStatus>>(10)?
                .map_or("—", |t| t.label())
                .to_string(),
            match (inspected, state) {
                (0, _) => "未核查".to_string(),
                (_, None) => "已核查，无问题".to_string(),
                (_, Some(s)) => format!("问题{}", s.label()),
            },
        ]);
        Ok(())
    })?;
    pages.finish(true)
}
