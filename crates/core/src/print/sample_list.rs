//! 区级抽查样本清单: a spot-check sample with its seed and method printed, so it can be
//! reproduced, and blank columns for the checker.

use crate::store::sql::Db;

use super::layout::{Column, Doc, Face};
use super::page::{chinese_date, table_document, Printed};
use crate::error::Result;
use crate::model::TechMode;
use crate::store::settings::TownSettings;

/// The list of a spot-check sample, with its seed and method printed so it can be reproduced,
/// and blank columns for the checker.
pub fn sample_list<'a>(db: impl Into<Db<'a>>, sample_id: i64, today: &str) -> Result<Printed> {
    let conn = db.into();
    let town = TownSettings::load(conn)?;
    let sample = crate::reports::sampling::sample(conn, sample_id)?;
    let mut stmt = conn.prepare_cached(
        "SELECT v.name, g.name, h.head_name, t.seq, t.tech_mode, t.build_year, t.subsidized, t.subsidy_year,
                (SELECT CASE WHEN i.household_status <> 'normal' THEN '农户' || i.household_status
                             WHEN i.has_problems = 1 THEN '有问题' ELSE '无问题' END || '（' || i.inspected_on || '）'
                   FROM inspections i WHERE i.toilet_id = t.id ORDER BY i.id DESC LIMIT 1)
         FROM toilets t JOIN households h ON h.id = t.household_id
         JOIN villages v ON v.id = h.village_id JOIN village_groups g ON g.id = h.group_id WHERE t.id = ?1",
    )?;
    let mut doc = Doc::new("区级抽查样本清单", true, 15.0);
    doc.bottom = doc.height - doc.margin - 16.0;
    let mut rows = Vec::new();
    for (i, t) in sample.toilets.iter().enumerate() {
        let row = stmt.query_row([t], |r| {
            let subsidy = match (r.get::<_, Option<bool>>(6)?, r.get::<_, Option<i64>>(7)?) {
                (Some(true), Some(y)) => format!("是（{y}）"),
                (Some(true), None) => "是".into(),
                (Some(false), _) => "否".into(),
                _ => "—".into(),
            };
            let last: Option<String> = r.get(8)?;
            let last = last
                .map(|l| {
                    l.replace("农户vacant", "无人居住")
                        .replace("农户moved_out", "户已迁出")
                        .replace("农户demolished", "厕所已拆除")
                        .replace("农户other", "其他")
                })
                .unwrap_or_else(|| "未核查".into());
            Ok(vec![
                (i + 1).to_string(),
                format!("{}{}", r.get::<_, String>(0)?, r.get::<_, String>(1)?),
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?.to_string(),
                r.get::<_, Option<TechMode>>(4)?
                    .map_or("—", |m| m.label())
                    .to_string(),
                r.get::<_, Option<i64>>(5)?
                    .map_or("—".into(), |y| y.to_string()),
                subsidy,
                last,
                String::new(),
                String::new(),
            ])
        })?;
        doc.check(&format!("农户{}", row[2]), &row[2]);
        rows.push(row);
    }
    let columns = [
        Column::center("序号", 0.5),
        Column::left("行政村·社", 1.3),
        Column::left("户主", 0.8),
        Column::center("户厕", 0.45),
        Column::left("技术模式", 1.3),
        Column::center("建设年度", 0.7),
        Column::center("财政补助", 0.8),
        Column::left("最近一次核查", 1.5),
        Column::left("抽查结果", 1.6),
        Column::left("抽查人签字", 1.0),
    ];
    let title = format!(
        "{}区级抽查样本清单（第 {} 号样本）",
        town.town_name, sample.id
    );
    let subtitle = format!(
        "抽样时间：{} · {} · 共抽 {} 个户厕（总体 {} 个）· 打印日期：{}",
        sample
            .created_at
            .get(..10)
            .map(chinese_date)
            .unwrap_or_default(),
        sample.origin(),
        sample.toilets.len(),
        sample.population,
        chinese_date(today)
    );
    table_document(doc, &title, &subtitle, &columns, &rows, true, |doc, _| {
        doc.y += 10.0;
        doc.paragraph(
            &format!(
                "抽样方法：{}同一数据和同一随机种子可以重新得到完全相同的样本。",
                sample.method
            ),
            Face::Regular,
            9.5,
            false,
        );
    })
}
