//! 待核实清单: the values of imported ledgers that could not be taken, by village and 社, with
//! blank columns for the village to write what it found.

use crate::store::sql::Db;

use super::layout::{Column, Doc, Face};
use super::page::{chinese_date, table_document, Printed};
use crate::error::Result;
use crate::ledger_io::pending;
use crate::places::households::{Disclosure, Scope};
use crate::store::settings::TownSettings;

/// The open 待核实 entries of `scope` (ID and phone numbers masked, as on every printed list).
pub fn pending_list<'a>(
    db: impl Into<Db<'a>>,
    scope: Scope,
    scope_title: &str,
    today: &str,
) -> Result<Printed> {
    let conn = db.into();
    let town = TownSettings::load(conn)?;
    let entries = pending::list(conn, scope, Disclosure::Masked)?;
    let mut doc = Doc::new("待核实清单", true, 15.0);
    doc.bottom = doc.height - doc.margin - 16.0;
    let mut rows = Vec::new();
    for (i, p) in entries.iter().enumerate() {
        doc.check(&format!("农户{}", p.head_name), &p.head_name);
        rows.push(vec![
            (i + 1).to_string(),
            format!("{}{}", p.village, p.group),
            p.head_name.clone(),
            p.toilet_seq.map_or("—".into(), |s| s.to_string()),
            p.field_label.clone(),
            p.written.clone(),
            p.reason.clone(),
            String::new(),
            String::new(),
        ]);
    }
    let households = entries
        .iter()
        .map(|p| p.household_id)
        .collect::<std::collections::HashSet<_>>()
        .len();
    let columns = [
        Column::center("序号", 0.45),
        Column::left("行政村·社", 1.1),
        Column::left("户主", 0.8),
        Column::center("户厕", 0.4),
        Column::left("项目", 1.3),
        Column::left("台账原值", 1.2),
        Column::left("待核实原因", 2.6),
        Column::left("核实结果", 1.2),
        Column::left("核实人", 0.7),
    ];
    let title = match scope {
        Scope::Town => format!("{}农户台账待核实清单", town.town_name),
        _ => format!("{}{scope_title}农户台账待核实清单", town.town_name),
    };
    let subtitle = format!(
        "共 {households} 户 {} 项 · 打印日期：{}",
        entries.len(),
        chinese_date(today)
    );
    table_document(doc, &title, &subtitle, &columns, &rows, true, |doc, _| {
        doc.y += 10.0;
        let text = if entries.is_empty() {
            "没有待核实的内容：导入的台账每一项都已核实。"
        } else {
            "这些农户已在全镇名单里，只是上列各项在台账中写得不对或无法识别，暂时空着。请入户或查户口簿核实，在“核实结果”栏写明正确内容；镇里在程序“待核实”页逐项更正或确认留空，也可以把改正后的台账重新导入。"
        };
        doc.paragraph(text, Face::Regular, 9.5, false);
    })
}
