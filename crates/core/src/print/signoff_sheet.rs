//! 签字背书表 of a village or 社: the latest result of every toilet, who signed in the app, and the
//! audit log's 核对值 at printing.

use crate::store::sql::Db;
use rusqlite::params;

use super::layout::{Column, Doc, Face};
use super::page::{chinese_date, scope_filter, table_document, Printed};
use crate::error::Result;
use crate::model::{Category, InspectionKind};
use crate::places::households::Scope;
use crate::store::settings::TownSettings;

/// 签字背书表 of a village or 社: every inspected toilet with its latest result, and the
/// signature lines 排查人 / 审核人 / 负责人 — the inspectors on record named, the pen's space left.
pub fn signoff_sheet<'a>(
    db: impl Into<Db<'a>>,
    scope: Scope,
    now: chrono::NaiveDateTime,
    scope_title: &str,
) -> Result<Printed> {
    let conn = db.into();
    let today = &now.format("%Y-%m-%d").to_string();
    let town = TownSettings::load(conn)?;
    let (filter, id) = scope_filter(scope);
    let mut stmt = conn.prepare(&format!(
        "SELECT g.name, h.head_name, t.seq, i.inspected_on, i.kind, i.household_status, i.has_problems,
                (SELECT string_agg(pi.name, '、' ORDER BY p.item_id) FROM inspection_problems p JOIN problem_items pi ON pi.id = p.item_id
                  WHERE p.inspection_id = i.id),
                (SELECT r.category FROM rectifications r WHERE r.toilet_id = t.id ORDER BY r.id DESC LIMIT 1),
                (SELECT string_agg(s.name, '、' ORDER BY m.staff_id) FROM inspection_members m JOIN staff s ON s.id = m.staff_id
                  WHERE m.inspection_id = i.id),
                (SELECT so.signer || ' ' || substr(so.signed_at, 6, 5) FROM signoffs so
                  WHERE so.inspection_id = i.id AND so.step = 'review' AND so.cleared_at IS NULL),
                (SELECT so.signer || ' ' || substr(so.signed_at, 6, 5) FROM signoffs so
                  WHERE so.inspection_id = i.id AND so.step = 'responsible' AND so.cleared_at IS NULL)
         FROM toilets t JOIN households h ON h.id = t.household_id
         JOIN village_groups g ON g.id = h.group_id
         JOIN inspections i ON i.id = (SELECT max(x.id) FROM inspections x WHERE x.toilet_id = t.id)
         WHERE {filter}
         ORDER BY g.sort_order, g.id, h.id, t.seq"
    ))?;
    let mut doc = Doc::new("签字背书表", true, 15.0);
    doc.bottom = doc.height - doc.margin - 16.0;
    let mut rows = Vec::new();
    let mut inspectors: Vec<String> = Vec::new();
    // Who signed in the app, by step.
    let mut reviewers: Vec<String> = Vec::new();
    let mut leaders: Vec<String> = Vec::new();
    stmt.for_each(params![id], |r| {
        let name: String = r.get(1)?;
        doc.check(&format!("农户{name}"), &name);
        let kind: InspectionKind = r.get(4)?;
        let status: crate::model::HouseholdStatus = r.get(5)?;
        let has: bool = r.get(6)?;
        let problems: Option<String> = r.get(7)?;
        let category: Option<Category> = r.get(8)?;
        let members: Option<String> = r.get(9)?;
        let reviewed: Option<String> = r.get(10)?;
        let responsible: Option<String> = r.get(11)?;
        for (signed, list) in [(&reviewed, &mut reviewers), (&responsible, &mut leaders)] {
            if let Some(name) = signed.as_deref().and_then(|s| s.split(' ').next()) {
                if !list.iter().any(|x| x == name) {
                    list.push(name.to_string());
                }
            }
        }
        for m in members
            .as_deref()
            .unwrap_or("")
            .split('、')
            .filter(|s| !s.is_empty())
        {
            if !inspectors.iter().any(|x| x == m) {
                inspectors.push(m.to_string());
            }
        }
        let result = if status != crate::model::HouseholdStatus::Normal {
            status.label().to_string()
        } else if has {
            "有问题".to_string()
        } else {
            "无问题".to_string()
        };
        rows.push(vec![
            (rows.len() + 1).to_string(),
            r.get::<_, String>(0)?,
            name,
            r.get::<_, i64>(2)?.to_string(),
            r.get::<_, String>(3)?,
            kind.label().to_string(),
            result,
            problems.unwrap_or_default(),
            category
                .map_or(if has { "待确定" } else { "—" }, |c| c.label())
                .to_string(),
            members.unwrap_or_default(),
            reviewed.unwrap_or_default(),
            responsible.unwrap_or_default(),
        ]);
        Ok(())
    })?;
    if rows.is_empty() {
        return Err(crate::Error::Invalid(format!(
            "{scope_title}还没有核查记录，没有可以签字背书的内容。"
        )));
    }
    let columns = [
        Column::center("序号", 0.5),
        Column::center("社", 0.6),
        Column::left("户主", 0.8),
        Column::center("户厕", 0.45),
        Column::center("核查日期", 0.95),
        Column::center("核查类别", 0.8),
        Column::center("核查结果", 0.8),
        Column::left("发现的问题", 2.0),
        Column::left("整改类别", 1.3),
        Column::left("排查人", 1.2),
        Column::left("审核（系统内）", 1.0),
        Column::left("负责人（系统内）", 1.0),
    ];
    let title = format!("{}农村户厕问题摸排签字背书表", town.town_name);
    let subtitle = format!(
        "{} · 已核查户厕 {} 个 · 制表日期：{}",
        scope_title,
        rows.len(),
        chinese_date(today)
    );
    let names = inspectors.join("、");
    // The audit log's head, printed as an anchor a person can check later (see `anchors`), and
    // recorded beside the database file.
    let anchor = crate::store::audit::head(conn)?;
    // Beside the database file only: the server's anchors are its administrator's dumps.
    let file = match conn {
        Db::File(c) => c.path().filter(|p| !p.is_empty()).map(|p| (c, p)),
        Db::Server(_) => None,
    };
    if let (Some(_), Some((conn, db))) = (&anchor, file) {
        let at = now.format("%Y-%m-%d %H:%M:%S").to_string();
        // A second copy of what the log holds: a failure to write it loses nothing.
        let _ = crate::store::anchors::record_head(
            conn,
            std::path::Path::new(db),
            anchor.clone(),
            &at,
            &format!("打印签字背书表（{scope_title}）"),
        );
    }
    table_document(
        doc,
        &title,
        &subtitle,
        &columns,
        &rows,
        false,
        |doc, head| {
            // Signatures: 谁排查、谁审核、谁负责.
            let block = 140.0;
            if doc.y + block > doc.bottom {
                doc.new_page();
                head(doc);
            }
            doc.y += 14.0;
            doc.paragraph(
                "以上核查结果经本人逐户逐厕核实，真实准确。谁排查、谁审核、谁负责。",
                Face::Regular,
                10.5,
                false,
            );
            doc.y += 6.0;
            doc.check("排查人", &names);
            doc.paragraph(
                &format!(
                "排查人（{}）签字：________________________________    日期：______年____月____日",
                if names.is_empty() { "—" } else { &names }
            ),
                Face::Regular,
                10.5,
                false,
            );
            doc.y += 8.0;
            let in_app = |names: &[String]| {
                if names.is_empty() {
                    String::new()
                } else {
                    format!("（系统内已签：{}）", names.join("、"))
                }
            };
            doc.paragraph(
                &format!(
                    "审核人{}签字：________________________    日期：______年____月____日",
                    in_app(&reviewers)
                ),
                Face::Regular,
                10.5,
                false,
            );
            doc.y += 8.0;
            doc.paragraph(
                &format!(
                    "负责人（包村镇领导）{}签字：________________________    日期：______年____月____日",
                    in_app(&leaders)
                ),
                Face::Regular,
                10.5,
                false,
            );
            if let Some((id, hash)) = &anchor {
                doc.y += 8.0;
                doc.paragraph(
                    &format!(
                        "操作日志核对值（打印时）：{}。日后可在程序“操作日志”中输入核对，一致说明打印之后到这一条为止的记录没有被改动。",
                        crate::store::anchors::printed(*id, hash)
                    ),
                    Face::Regular,
                    9.0,
                    false,
                );
            }
        },
    )
}
