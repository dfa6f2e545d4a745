//! 月通报: the monthly progress bulletin — a summary written from the numbers, the table per
//! village with the town's total, the ranking (综合进度) with the villages behind the plan, and a
//! bar chart of each village's 排查率 and 销号率, drawn as vector rectangles and lines.
//!
//! The table's columns and cells are the report's ([`crate::reports::bulletin`]), shared with
//! its Excel version.

use crate::store::sql::Db;

use super::layout::{self, Align, Column, Doc, Face};
use super::page::{chinese_date, table_document_with, Printed};
use crate::error::{Error, Result};
use crate::model::percent_text;
use crate::reports::bulletin::{bulletin_as_of, bulletin_cells, Cell, BULLETIN_COLUMNS};
use crate::reports::progress::{self, Counts, Progress};
use crate::store::settings::TownSettings;

fn names_with_scores(p: &Progress, idx: &[usize]) -> String {
    idx.iter()
        .map(|&i| format!("{}（{}）", p.villages[i].name, p.villages[i].rates.score))
        .collect::<Vec<_>>()
        .join("、")
}

/// The summary paragraphs, written from the numbers.
fn summary(p: &Progress) -> Vec<String> {
    let t = &p.town;
    let mut out = Vec::new();
    out.push(format!(
        "截至{}，全镇{}个行政村纳入摸排整改范围的农户{}户、户厕{}个{}；已入户排查户厕{}个，排查率{}，其中镇级复核{}个。",
        chinese_date(&p.as_of),
        p.villages.len(),
        t.households,
        t.toilets,
        if t.no_toilet > 0 {
            format!("，另有无厕所户{}户（不计入户厕数和排查率）", t.no_toilet)
        } else {
            String::new()
        },
        t.inspected,
        t.rates.inspected,
        t.rechecked
    ));
    if t.problems == 0 {
        out.push("排查中尚未发现问题厕所。".into());
    } else {
        out.push(format!(
            "排查发现问题厕所{}个，其中立行立改{}个、纳入全区改厕计划{}个、镇筹资农户自改{}个、整改类别待定{}个；已完成整改{}个，已验收销号{}个，销号率{}；逾期未整改{}个，已整改但逾期待验收{}个。",
            t.problems,
            t.immediate_fix,
            t.plan_district,
            t.plan_town_funded,
            t.undecided,
            t.rectified,
            t.closed,
            t.rates.closed,
            t.overdue_unrectified,
            t.overdue_awaiting
        ));
    }
    let n = p.ranking.len();
    if n > 0 {
        let top = n.min(3);
        let mut s = format!(
            "按综合进度排名，前{}位是{}",
            top,
            names_with_scores(p, &p.ranking[..top])
        );
        let bottom = (n - top).min(3);
        if bottom > 0 {
            s.push_str(&format!(
                "；后{}位是{}",
                bottom,
                names_with_scores(p, &p.ranking[n - bottom..])
            ));
        }
        s.push('。');
        out.push(s);
    }
    for ph in &p.phases {
        let (Some(m), Some(expected), Some(actual)) = (ph.phase.measure, ph.expected, ph.actual)
        else {
            continue;
        };
        if ph.state == "未开始" {
            continue;
        }
        let mut s = format!(
            "“{}”阶段（{}至{}，{}）：{}按计划应达{}，全镇实际{}；",
            ph.phase.name,
            chinese_date(&ph.phase.start),
            chinese_date(&ph.phase.end),
            ph.state,
            m.label(),
            percent_text(expected),
            percent_text(actual)
        );
        if ph.behind.is_empty() {
            s.push_str("各村均达到进度要求。");
        } else {
            s.push_str(&format!("进度滞后的村：{}。", ph.behind.join("、")));
        }
        out.push(s);
    }
    out
}

const BLUE: [f32; 3] = [0.20, 0.42, 0.68];
const ORANGE: [f32; 3] = [0.93, 0.58, 0.20];

/// The bar chart: two bars per village (排查率, 销号率) on a 0–100% axis, with a legend.
fn chart(doc: &mut Doc, p: &Progress, head: &dyn Fn(&mut Doc)) {
    let plot_h = 190.0;
    // Heading, legend, plot, names and note, and the issuer's two lines below.
    let need = 21.0 + 14.0 + 22.0 + plot_h + 36.0 + 46.0;
    if doc.y + need > doc.bottom {
        doc.new_page();
        head(doc);
    }
    doc.paragraph("四、各村排查率和销号率", Face::Bold, 12.0, false);
    let page = doc.page_count() - 1;
    let (m, w) = (doc.margin, doc.inner_width());
    let x0 = m + 34.0;
    let x1 = m + w;

    // Legend, right-aligned above the plot.
    let legend_y = doc.y;
    let mut lx = x1;
    for (label, colour) in [("销号率", ORANGE), ("排查率", BLUE)] {
        let tw = layout::measure(label, Face::Regular, 9.0);
        lx -= tw;
        doc.text_at(page, lx, legend_y, label, Face::Regular, 9.0);
        lx -= 14.0;
        doc.fill_rect(page, lx, legend_y + 0.5, 10.0, 8.0, colour);
        lx -= 16.0;
    }
    let top = legend_y + 22.0;
    let base = top + plot_h;

    // Axis and grid: 0–100% in steps of 20.
    for k in (0..=100).step_by(20) {
        let y = base - plot_h * k as f32 / 100.0;
        let width = if k == 0 { 0.8 } else { 0.25 };
        doc.line(page, x0, y, x1, y, width, false);
        doc.text_in(
            page,
            m,
            x0 - m - 4.0,
            y - 4.0,
            &format!("{k}%"),
            Face::Regular,
            8.0,
            Align::Right,
        );
    }
    doc.line(page, x0, top, x0, base, 0.8, false);

    let n = p.villages.len().max(1);
    let group = (x1 - x0) / n as f32;
    let bar = (group * 0.34).min(26.0);
    let value_size = 6.5_f32.min(bar * 0.42).max(4.5);
    for (i, v) in p.villages.iter().enumerate() {
        let centre = x0 + group * (i as f32 + 0.5);
        for (k, (value, colour)) in [
            (Some(v.inspected_percent()), BLUE),
            (v.closed_percent(), ORANGE),
        ]
        .into_iter()
        .enumerate()
        {
            let bx = if k == 0 {
                centre - bar - 1.0
            } else {
                centre + 1.0
            };
            // No problem toilets: no 销号率 bar, a dash.
            let h = plot_h * value.unwrap_or(0.0).clamp(0.0, 100.0) as f32 / 100.0;
            if h > 0.0 {
                doc.fill_rect(page, bx, base - h, bar, h, colour);
            }
            doc.text_in(
                page,
                bx - 4.0,
                bar + 8.0,
                base - h - value_size - 2.0,
                &value.map_or("—".to_string(), |v| format!("{v:.0}")),
                Face::Regular,
                value_size,
                Align::Center,
            );
        }
        // The village's name under its bars, shrunk to fit its slot.
        let room = group - 4.0;
        let size = (room / layout::measure(&v.name, Face::Regular, 1.0)).min(9.0);
        doc.text_in(
            page,
            centre - group / 2.0,
            group,
            base + 5.0,
            &v.name,
            Face::Regular,
            size,
            Align::Center,
        );
    }
    doc.y = base + 22.0;
    doc.paragraph(
        "（柱上数字为百分比；没有问题厕所的村没有销号率，记“—”。）",
        Face::Regular,
        8.5,
        false,
    );
}

/// The ranking section: how it is computed, then the villages best first with how far each is
/// behind the plan.
fn ranking(doc: &mut Doc, p: &Progress, head: &dyn Fn(&mut Doc)) {
    if doc.y + 120.0 > doc.bottom {
        doc.new_page();
        head(doc);
    }
    doc.y += 12.0;
    doc.paragraph("三、各村综合进度排名", Face::Bold, 12.0, false);
    doc.paragraph(
        &format!(
            "排名按综合进度从高到低：综合进度 = （排查率 + 销号率）÷ 2。排查率 = 已排查户厕数 ÷ 户厕总数；销号率 = 已销号问题厕所数 ÷ 问题厕所数；没有问题厕所的村没有销号率，综合进度只看排查率。逾期待验收（农户已整改，超过计划完成时间镇里尚未验收销号）的问题厕所在排名和“进度情况”中按已销号计，村不因镇里验收滞后降低名次或列为滞后。问题发现率 = 问题厕所数 ÷ 已排查户厕数，全镇为 {}，明显低于全镇的村请核实是否漏报。综合进度相同的村名次并列。“进度情况”对照镇工作方案各阶段的进度要求。",
            p.town.rates.found
        ),
        Face::Regular,
        10.0,
        true,
    );
    let columns = [
        Column::center("名次", 0.5),
        Column::left("行政村", 1.0),
        Column::right("排查率", 0.7),
        Column::right("问题发现率", 0.8),
        Column::right("销号率", 0.7),
        Column::right("逾期待验收", 0.8),
        Column::right("综合进度", 0.75),
        Column::left("进度情况", 3.6),
    ];
    let rows: Vec<Vec<String>> = p
        .ranking
        .iter()
        .map(|&i| {
            let v = &p.villages[i];
            vec![
                v.rank.to_string(),
                v.name.clone(),
                v.rates.inspected.clone(),
                found_beside_town(v, &p.town),
                v.rates.closed.clone(),
                v.overdue_awaiting.to_string(),
                v.rates.score.clone(),
                if v.behind.is_empty() {
                    "按计划推进".into()
                } else {
                    format!("滞后——{}", v.behind.join("；"))
                },
            ]
        })
        .collect();
    doc.table(&columns, &rows, &layout::TableStyle::default(), &mut |d| {
        head(d)
    });
}

/// 月通报 of `month` (`YYYY-MM`): numbers as of the month's last day, or `today` in the
/// current month.
pub fn bulletin<'a>(db: impl Into<Db<'a>>, month: &str, today: &str) -> Result<Printed> {
    let conn = db.into();
    let as_of = bulletin_as_of(month, today)?;
    let p = progress::progress(conn, &as_of)?;
    if p.villages.is_empty() {
        return Err(Error::Invalid(
            "数据库中还没有行政村，无法生成月通报。请先导入台账。".into(),
        ));
    }
    let town = TownSettings::load(conn)?;
    let mut doc = Doc::new("农村户厕问题摸排整改工作月通报", true, 15.0);
    doc.bottom = doc.height - doc.margin - 16.0;
    for v in &p.villages {
        doc.check("行政村", &v.name);
    }
    let columns: Vec<Column> = BULLETIN_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, (title, weight, _))| Column {
            title,
            weight: *weight,
            align: if i == 0 { Align::Left } else { Align::Right },
        })
        .collect();
    let mut rows: Vec<Vec<String>> = p
        .villages
        .iter()
        .map(|v| {
            bulletin_cells(v, Some(v.rank))
                .iter()
                .map(Cell::text)
                .collect()
        })
        .collect();
    let total = Counts {
        name: "全镇合计".into(),
        ..p.town.clone()
    };
    rows.push(
        bulletin_cells(&total, None)
            .iter()
            .map(Cell::text)
            .collect(),
    );

    let title = format!("{}农村户厕问题摸排整改工作月通报", town.town_name);
    let subtitle = format!(
        "{}年{}月 · 统计截至{} · 印发日期：{}",
        as_of.get(..4).unwrap_or(&as_of),
        as_of.get(5..7).unwrap_or("").trim_start_matches('0'),
        chinese_date(&as_of),
        chinese_date(today)
    );
    let mut paragraphs = summary(&p);
    // 查缺补漏 of the month and since the start.
    let month_start = format!("{}-01", as_of.get(..7).unwrap_or(&as_of));
    let month = crate::fieldwork::found::gaps(conn, &month_start, &as_of)?;
    let all = crate::fieldwork::found::gaps(conn, "2000-01-01", &as_of)?;
    paragraphs.push(format!(
        "查缺补漏：本月入户核查新增农户 {} 户、新增户厕 {} 个，核查中更正台账 {} 处，发现户已迁出 {} 户；累计新增农户 {} 户、新增户厕 {} 个，更正台账 {} 处，户已迁出 {} 户。",
        month.households_added,
        month.toilets_added,
        month.corrections,
        month.moved_out,
        all.households_added,
        all.toilets_added,
        all.corrections,
        all.moved_out
    ));
    let escalated = crate::fieldwork::escalation::escalations(conn, &as_of)?;
    let issuer = format!("{}农村户厕问题摸排整改工作专班", town.town_name);
    table_document_with(
        doc,
        &title,
        &subtitle,
        |d| {
            d.paragraph("一、总体情况", Face::Bold, 12.0, false);
            for s in &paragraphs {
                d.paragraph(s, Face::Regular, 10.5, true);
            }
            d.y += 6.0;
            d.paragraph("二、各村进度", Face::Bold, 12.0, false);
        },
        &columns,
        &rows,
        false,
        |d, head| {
            ranking(d, &p, head);
            d.y += 12.0;
            chart(d, &p, head);
            d.y += 10.0;
            escalations(d, &escalated, head);
            d.y += 10.0;
            if d.y + 36.0 > d.bottom {
                d.new_page();
                head(d);
            }
            let page = d.page_count() - 1;
            let (m, w, y) = (d.margin, d.inner_width(), d.y);
            d.text_in(page, m, w, y, &issuer, Face::Regular, 10.5, Align::Right);
            d.text_in(
                page,
                m,
                w,
                y + 18.0,
                &chinese_date(today),
                Face::Regular,
                10.5,
                Align::Right,
            );
        },
    )
}

/// 五、报区人居办研究解决的问题: every case reported to the district and not closed out.
fn escalations(
    doc: &mut Doc,
    list: &[crate::fieldwork::escalation::Escalation],
    head: &dyn Fn(&mut Doc),
) {
    if doc.y + 60.0 > doc.bottom {
        doc.new_page();
        head(doc);
    }
    doc.paragraph("五、报区人居办研究解决的问题", Face::Bold, 12.0, false);
    if list.is_empty() {
        doc.paragraph(
            "截至统计日，没有报区人居办研究解决的问题。",
            Face::Regular,
            10.5,
            true,
        );
        return;
    }
    doc.paragraph(
        &format!(
            "截至统计日，有 {} 个问题户厕镇里无法自行解决，已报区人居办研究：",
            list.len()
        ),
        Face::Regular,
        10.5,
        true,
    );
    for (i, e) in list.iter().enumerate() {
        doc.check("户主", &e.head_name);
        doc.paragraph(
            &format!(
                "{}. {}{}{}家第{}个户厕（{}）：{}。{}上报，原因：{}{}",
                i + 1,
                e.village,
                e.group,
                e.head_name,
                e.toilet_seq,
                e.state.label(),
                if e.problems.is_empty() {
                    "问题见台账"
                } else {
                    &e.problems
                },
                e.escalated_on,
                e.reason,
                match (&e.replied_on, &e.reply) {
                    (Some(on), Some(r)) => format!("；区人居办 {on} 答复：{r}"),
                    _ => "；尚未答复".into(),
                }
            ),
            Face::Regular,
            10.0,
            false,
        );
    }
}

/// A village's 问题发现率, marked when it is under half the town's (a village that reports
/// nothing stands out).
fn found_beside_town(v: &progress::Counts, town: &progress::Counts) -> String {
    if v.inspected > 0 && town.problems > 0 && v.found_percent() * 2.0 < town.found_percent() {
        format!("{}↓", v.rates.found)
    } else {
        v.rates.found.clone()
    }
}
