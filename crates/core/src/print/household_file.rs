//! 户档案 (一户一档): a household's file for a district spot check — baseline, every inspection
//! with its photos, corrections and the history of its problem cases.

use crate::store::sql::Db;

use super::layout::{Align, Column, Doc, Face, TableStyle};
use super::page::{chinese_date, finished, page_footer, Printed};
use super::photo;
use crate::error::Result;
use crate::fieldwork::rectification::{self};
use crate::store::settings::TownSettings;

/// The household's file for a district spot check: the household, each toilet's baseline and
/// its corrections, every inspection with its group, problems and photos (upright, scaled), and
/// every problem case with its history.
pub fn household_file<'a>(
    db: impl Into<Db<'a>>,
    household_id: i64,
    photo_dir: &std::path::Path,
    today: &str,
) -> Result<Printed> {
    let conn = db.into();
    household_files(conn, &[household_id], photo_dir, today)
}

/// The files of several households in one PDF (for a spot-check sample), each starting on a
/// new page, in the order given.
pub fn household_files<'a>(
    db: impl Into<Db<'a>>,
    household_ids: &[i64],
    photo_dir: &std::path::Path,
    today: &str,
) -> Result<Printed> {
    let conn = db.into();
    if household_ids.is_empty() {
        return Err(crate::Error::Invalid("没有要打印档案的农户。".into()));
    }
    let town = TownSettings::load(conn)?;
    let mut doc = Doc::new("农村户厕档案", false, 20.0);
    doc.bottom = doc.height - doc.margin - 10.0;
    for &id in household_ids {
        household_pages(&mut doc, conn, &town, id, photo_dir, today)?;
    }
    doc.each_page(|d, page, n, total| page_footer(d, page, n, total, false));
    finished(doc)
}

fn household_pages(
    doc: &mut Doc,
    conn: Db<'_>,
    town: &TownSettings,
    household_id: i64,
    photo_dir: &std::path::Path,
    today: &str,
) -> Result<()> {
    use crate::places::households::{self, Disclosure};
    let h = households::detail(conn, household_id, Disclosure::Masked)?;
    let file = crate::fieldwork::inspections::field_file(conn, household_id)?;
    doc.new_page();
    doc.check(&format!("农户{}", h.head_name), &h.head_name);
    doc.centered(
        &format!("{}农村户厕档案（一户一档）", town.town_name),
        Face::Bold,
        17.0,
        6.0,
    );
    doc.centered(
        &format!(
            "{}{} · 制表日期：{}",
            h.village_name,
            h.group_name,
            chinese_date(today)
        ),
        Face::Regular,
        9.5,
        10.0,
    );

    let info = TableStyle {
        header: false,
        size: 10.0,
        header_size: 10.0,
        padding: 4.0,
    };
    let four = [
        Column::left("", 1.0),
        Column::left("", 2.0),
        Column::left("", 1.0),
        Column::left("", 2.0),
    ];
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "未登记".into());
    let num = |v: Option<i64>, unit: &str| v.map_or("—".into(), |n| format!("{n}{unit}"));
    doc.paragraph("一、农户基本情况", Face::Bold, 12.0, false);
    doc.table(
        &four,
        &[
            vec![
                "户主".into(),
                h.head_name.clone(),
                "户类别".into(),
                h.category.label().into(),
            ],
            vec![
                "身份证号".into(),
                opt(&h.id_number),
                "联系电话".into(),
                opt(&h.phone),
            ],
            vec![
                "户籍人口".into(),
                num(h.registered_pop, "人"),
                "常住人口".into(),
                num(h.resident_pop, "人"),
            ],
            vec![
                "住址".into(),
                opt(&h.address),
                "是否常住".into(),
                if h.is_resident {
                    "常住".into()
                } else {
                    "不常住（外出）".into()
                },
            ],
        ],
        &info,
        &mut |_| {},
    );

    let yes_no = |b: Option<bool>| b.map_or("—", |b| if b { "是" } else { "否" }).to_string();
    doc.y += 10.0;
    doc.paragraph("二、户厕情况", Face::Bold, 12.0, false);
    if h.toilets.is_empty() {
        doc.paragraph(
            if h.no_toilet {
                "本户无厕所（无厕所户）。"
            } else {
                "本户尚未登记户厕。"
            },
            Face::Regular,
            10.5,
            false,
        );
    }
    for (k, t) in h.toilets.iter().enumerate() {
        if k > 0 {
            doc.y += 10.0;
        }
        doc.paragraph(
            &format!("（{}）第 {} 个户厕", ordinal(k + 1), t.seq),
            Face::Bold,
            11.5,
            false,
        );
        doc.table(
            &four,
            &[
                vec![
                    "技术模式".into(),
                    t.tech_mode.map_or("—", |m| m.label()).into(),
                    "厕所位置".into(),
                    t.location.map_or("—", |m| m.label()).into(),
                ],
                vec![
                    "建设（改造）年度".into(),
                    num(t.build_year, "年"),
                    "是否卫生厕所".into(),
                    yes_no(t.is_sanitary),
                ],
                vec![
                    "是否财政补助".into(),
                    yes_no(t.subsidized),
                    "补助年度".into(),
                    num(t.subsidy_year, "年"),
                ],
                vec![
                    "补助金额".into(),
                    t.subsidy_amount_fen
                        .map_or("—".into(), |f| format!("{:.2} 元", f as f64 / 100.0)),
                    "使用状态".into(),
                    t.use_status.map_or("—", |m| m.label()).into(),
                ],
                vec![
                    "项目名称".into(),
                    t.project_name.clone().unwrap_or_else(|| "—".into()),
                    "底数来源".into(),
                    t.baseline_source.label().into(),
                ],
            ],
            &info,
            &mut |_| {},
        );

        let inspections: Vec<_> = file
            .inspections
            .iter()
            .filter(|i| i.toilet_id == t.id)
            .collect();
        doc.y += 6.0;
        doc.paragraph(
            &format!("入户核查记录（{} 次）", inspections.len()),
            Face::Bold,
            11.0,
            false,
        );
        if inspections.is_empty() {
            doc.paragraph("尚未核查。", Face::Regular, 10.5, false);
        }
        for i in inspections.iter().rev() {
            let result = if i.household_status != crate::model::HouseholdStatus::Normal {
                match i
                    .status_note
                    .as_deref()
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                {
                    Some(note) => format!("{}（{note}）", i.household_status.label()),
                    None => i.household_status.label().to_string(),
                }
            } else if i.has_problems {
                i.problems
                    .iter()
                    .map(|p| {
                        format!(
                            "{}（{}{}{}）",
                            p.name,
                            if p.stops_use {
                                "影响使用"
                            } else {
                                "不影响使用"
                            },
                            p.cause
                                .map(|c| format!("，{}", c.label()))
                                .unwrap_or_default(),
                            p.remarks
                                .as_deref()
                                .map(str::trim)
                                .filter(|r| !r.is_empty())
                                .map(|r| format!("，{r}"))
                                .unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("；")
            } else {
                "无问题".into()
            };
            doc.paragraph(
                &format!(
                    "{} {}：调查组 {}；结果：{}。录入：{}。",
                    i.inspected_on,
                    i.kind.label(),
                    i.members.join("、"),
                    result,
                    i.recorded_by
                ),
                Face::Regular,
                10.5,
                false,
            );
            if let Some(remarks) = i
                .remarks
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
            {
                doc.paragraph(&format!("　备注：{remarks}"), Face::Regular, 10.0, false);
            }
            for c in &i.corrections {
                doc.paragraph(
                    &format!(
                        "　台账更正：{} {} → {}",
                        c.field,
                        c.old_value.as_deref().unwrap_or("（空）"),
                        c.new_value.as_deref().unwrap_or("（空）")
                    ),
                    Face::Regular,
                    10.0,
                    false,
                );
            }
            photos(doc, conn, photo_dir, &i.photos, &h.head_name);
        }
        for c in file.cases.iter().filter(|c| c.toilet_id == t.id) {
            let case = rectification::case(conn, c.id)?;
            doc.y += 4.0;
            doc.paragraph(
                &format!(
                    "问题整改：{}，当前{}{}",
                    case.category.map_or("类别待确定", |c| c.label()),
                    case.state.label(),
                    case.planned_month
                        .as_ref()
                        .map(|m| format!("，计划 {m} 完成"))
                        .unwrap_or_default()
                ),
                Face::Bold,
                10.5,
                false,
            );
            if let Some(n) = file.notices.iter().find(|n| n.case_id == c.id) {
                doc.paragraph(
                    &format!(
                        "告知单 {}：{}（{} 打印{}{}）",
                        n.number,
                        n.state.label(),
                        n.first_printed_at.get(..10).unwrap_or(""),
                        n.delivered_on
                            .as_ref()
                            .map(|d| format!(
                                "，{d} 由{}送达",
                                n.delivered_by.as_deref().unwrap_or("")
                            ))
                            .unwrap_or_default(),
                        n.receipt_on
                            .as_ref()
                            .map(|d| format!(
                                "，{d} 回执收回{}",
                                if n.receipt_scan.is_some() {
                                    "（有扫描件）"
                                } else {
                                    ""
                                }
                            ))
                            .unwrap_or_default()
                    ),
                    Face::Regular,
                    10.0,
                    false,
                );
            }
            if let Some(m) = &case.measures {
                doc.paragraph(
                    &format!(
                        "整改措施：{m}；责任人：{}",
                        case.responsible.as_deref().unwrap_or("—")
                    ),
                    Face::Regular,
                    10.0,
                    false,
                );
            }
            for e in &case.events {
                let what = match (e.kind.as_str(), e.from_state, e.to_state) {
                    ("opened", _, _) => "列入问题台账".to_string(),
                    ("category", _, _) => "确定整改类别".to_string(),
                    ("delivered", _, _) => "告知单送达".to_string(),
                    ("receipt", _, _) => "回执收回".to_string(),
                    ("recheck", _, _) => "复核更新问题".to_string(),
                    ("plan", _, _) => "验收单扫描件".to_string(),
                    ("escalated", _, _) => "报区人居办研究解决".to_string(),
                    ("reply", _, _) => "区人居办答复".to_string(),
                    (_, Some(a), Some(b)) => format!("{} → {}", a.label(), b.label()),
                    _ => e.kind.clone(),
                };
                doc.paragraph(
                    &format!(
                        "　{} {}（{}{}）{}",
                        e.happened_on,
                        what,
                        e.actor,
                        e.verifier
                            .as_ref()
                            .map(|v| format!("，验收人 {v}"))
                            .unwrap_or_default(),
                        e.remark
                            .as_ref()
                            .map(|r| format!("：{r}"))
                            .unwrap_or_default()
                    ),
                    Face::Regular,
                    10.0,
                    false,
                );
                if let Some(p) = &e.photo {
                    photos(doc, conn, photo_dir, std::slice::from_ref(p), &h.head_name);
                }
            }
        }
    }
    Ok(())
}

/// Photos three to a row, each turned upright and scaled to the column.
fn photos(doc: &mut Doc, conn: Db<'_>, dir: &std::path::Path, hashes: &[String], who: &str) {
    if hashes.is_empty() {
        return;
    }
    let gap = 8.0;
    let w = (doc.inner_width() - 2.0 * gap) / 3.0;
    for row in hashes.chunks(3) {
        let images: Vec<Option<image::DynamicImage>> = row
            .iter()
            .map(|h| {
                crate::fieldwork::photos::read(conn, dir, h)
                    .ok()
                    .and_then(|(b, _)| photo::prepare(&b).ok())
            })
            .collect();
        let tallest = images
            .iter()
            .map(|i| {
                i.as_ref()
                    .map_or(20.0, |i| w * i.height() as f32 / i.width().max(1) as f32)
            })
            .fold(0.0, f32::max);
        if doc.y + tallest + 4.0 > doc.bottom {
            doc.new_page();
        }
        let page = doc.page_count() - 1;
        let mut x = doc.margin;
        for img in &images {
            match img {
                Some(img) => {
                    doc.image(page, x, doc.y, w, img);
                }
                None => {
                    doc.warnings.push(format!(
                        "农户{who}的一张照片找不到或无法读取，档案中留了空位。"
                    ));
                    doc.rect(page, x, doc.y, w, 20.0, true);
                    doc.text_in(
                        page,
                        x,
                        w,
                        doc.y + 5.0,
                        "照片缺失",
                        Face::Regular,
                        9.0,
                        Align::Center,
                    );
                }
            }
            x += w + gap;
        }
        doc.y += tallest + 6.0;
    }
}

/// 一, 二, … 十九, 二十 …: the number of a subsection, （一）.
fn ordinal(n: usize) -> String {
    const DIGITS: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        1..=9 => DIGITS[n].to_string(),
        10 => "十".to_string(),
        11..=19 => format!("十{}", DIGITS[n - 10]),
        20..=99 => format!("{}十{}", DIGITS[n / 10], DIGITS[n % 10]),
        _ => n.to_string(),
    }
}
