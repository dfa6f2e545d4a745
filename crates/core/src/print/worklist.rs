//! 工作清单: the households of a worklist (未核查, 待复核, 有问题未定类, 待验收, 逾期未整改, 逾期待验收 …) of a place,
//! as the household list shows them, with a column for the result of the visit.

use crate::store::sql::Db;

use super::layout::{Column, Doc};
use super::page::{chinese_date, table_document, Printed};
use crate::error::{Error, Result};
use crate::places::households::{self, ListFilter, Scope};
use crate::store::settings::TownSettings;

/// 工作清单 of `scope` as a PDF table.
pub fn worklist<'a>(
    db: impl Into<Db<'a>>,
    scope: Scope,
    filter: &ListFilter,
    scope_title: &str,
    today: &str,
) -> Result<Printed> {
    let conn = db.into();
    let town = TownSettings::load(conn)?;
    let rows = households::list_all(conn, scope, filter)?;
    let name = filter.name();
    if rows.is_empty() {
        return Err(Error::Invalid(format!(
            "{scope_title}没有“{name}”的农户，清单是空的。"
        )));
    }
    let mut doc = Doc::new("工作清单", true, 15.0);
    doc.bottom = doc.height - doc.margin - 16.0;
    let table: Vec<Vec<String>> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            doc.check(&format!("农户{}", r.head_name), &r.head_name);
            vec![
                (i + 1).to_string(),
                format!("{}{}", r.village_name, r.group_name),
                r.head_name.clone(),
                r.id_number_masked
                    .clone()
                    .unwrap_or_else(|| "未登记".into()),
                r.toilet_count.to_string(),
                r.check.label().to_string(),
                String::new(),
                String::new(),
            ]
        })
        .collect();
    let columns = [
        Column::center("序号", 0.45),
        Column::left("行政村·社", 1.1),
        Column::left("户主", 0.8),
        Column::left("身份证号", 1.5),
        Column::center("户厕", 0.4),
        Column::left("核查", 1.0),
        Column::left("入户核实情况", 2.6),
        Column::left("核实人", 0.8),
    ];
    table_document(
        doc,
        &format!("{}{scope_title}工作清单：{name}", town.town_name),
        &format!(
            "共 {} 户　打印日期：{}　身份证号已隐去中间位",
            rows.len(),
            chinese_date(today)
        ),
        &columns,
        &table,
        true,
        |_, _| {},
    )
}
