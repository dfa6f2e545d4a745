//! 工作总结 draft: the season's numbers as a .docx the office edits in WPS or Word — households
//! and toilets checked, problems by part and type, categories, rectified, closed, overdue,
//! escalated, what the re-checks and the baseline comparison found, the village table and the
//! month-by-month line. Written with docx-rs; the file gets its name only when complete.

use std::collections::BTreeMap;
use std::path::Path;

use crate::store::sql::Db;
use docx_rs::{
    AlignmentType, Docx, Paragraph, Run, RunFonts, Table, TableCell, TableLayoutType, TableRow,
    WidthType,
};

use crate::error::{Error, Result};
use crate::model::{rate_text, Category, ProblemPart};
use crate::places::households::Scope;
use crate::store::settings::TownSettings;

/// The numbers the draft states, for the caller (and the tests) to check.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SummaryNumbers {
    pub households: i64,
    pub toilets: i64,
    pub inspected: i64,
    pub problems: i64,
    pub closed: i64,
    /// 逾期未整改 and 逾期待验收 (rectified, the town's acceptance late).
    pub overdue_unrectified: i64,
    pub overdue_awaiting: i64,
    pub escalated: usize,
    pub between_checks: usize,
    pub baseline: usize,
    pub months: usize,
}

fn run(text: &str, size: usize, bold: bool) -> Run {
    let r = Run::new()
        .add_text(text)
        .size(size)
        .fonts(RunFonts::new().east_asia("宋体").ascii("Times New Roman"));
    if bold {
        r.bold()
    } else {
        r
    }
}

fn para(text: &str) -> Paragraph {
    Paragraph::new().add_run(run(text, 24, false))
}

fn heading(text: &str) -> Paragraph {
    Paragraph::new().add_run(run(text, 28, true))
}

/// The width of the text line of the page (A4, docx-rs's margins), in twentieths of a point.
const LINE_DXA: usize = 11906 - 2 * 1701;

/// How wide `text` is at the tables' 10.5 pt, with the cell's margins: a CJK character a full
/// em, another one about 0.7 em — as wide as the widest serif face that stands in for Times
/// New Roman (DejaVu Serif where Times is not installed; its `%` is almost an em).
fn text_dxa(text: &str) -> usize {
    text.chars()
        .map(|c| if c.is_ascii() { 150 } else { 215 })
        .sum::<usize>()
        + 2 * 108
        + 40
}

/// Column widths for a table on the line: each column as wide as its widest cell, so numbers
/// and rates stay on one line (LibreOffice and WPS keep the widths a file gives them), and what
/// is left of the line shared out among the headers that need more (a header may wrap; it is
/// CJK and breaks between characters). Only cells wider than the line together are narrowed.
fn column_widths(headers: &[&str], rows: &[Vec<String>]) -> Vec<usize> {
    let cells: Vec<usize> = (0..headers.len())
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|t| text_dxa(t))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let need: usize = cells.iter().sum();
    if need >= LINE_DXA {
        return cells.iter().map(|w| w * LINE_DXA / need).collect();
    }
    let short: Vec<usize> = headers
        .iter()
        .zip(&cells)
        .map(|(h, c)| text_dxa(h).saturating_sub(*c))
        .collect();
    let wanted: usize = short.iter().sum();
    let spare = LINE_DXA - need;
    cells
        .iter()
        .zip(&short)
        .map(|(c, s)| c + (s * spare.min(wanted)).checked_div(wanted).unwrap_or(0))
        .collect()
}

fn table(headers: &[&str], rows: &[Vec<String>]) -> Table {
    let widths = column_widths(headers, rows);
    let cell = |t: &str, bold: bool, w: usize| {
        TableCell::new()
            .add_paragraph(Paragraph::new().add_run(run(t, 21, bold)))
            .width(w, WidthType::Dxa)
    };
    let mut out = vec![TableRow::new(
        headers
            .iter()
            .zip(&widths)
            .map(|(h, w)| cell(h, true, *w))
            .collect(),
    )];
    for r in rows {
        out.push(TableRow::new(
            r.iter()
                .zip(&widths)
                .map(|(t, w)| cell(t, false, *w))
                .collect(),
        ));
    }
    Table::new(out)
        .set_grid(widths)
        .layout(TableLayoutType::Fixed)
}

/// Problems of the open and closed cases by part and item: (part, item, toilets).
fn problems_by_item(conn: Db<'_>, as_of: &str) -> Result<Vec<(ProblemPart, String, i64)>> {
    let mut stmt = conn.prepare(
        "SELECT pi.part, pi.name, count(DISTINCT r.toilet_id) FROM rectifications r
         JOIN inspections i ON i.id = r.inspection_id
         JOIN inspection_problems ip ON ip.inspection_id = r.inspection_id
         JOIN problem_items pi ON pi.id = ip.item_id
         WHERE i.inspected_on <= ?1
         GROUP BY pi.id ORDER BY pi.part, count(DISTINCT r.toilet_id) DESC, pi.sort_order",
    )?;
    let rows = stmt
        .query_map([as_of], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<Vec<(ProblemPart, String, i64)>>>()?;
    let order = |p: &ProblemPart| ProblemPart::ALL.iter().position(|x| x == p);
    let mut rows = rows;
    rows.sort_by_key(|r| (order(&r.0), -r.2));
    Ok(rows)
}

/// Writes the 工作总结 draft as of `as_of` (`YYYY-MM-DD`) to `path`.
pub fn summary_docx<'a>(db: impl Into<Db<'a>>, as_of: &str, path: &Path) -> Result<SummaryNumbers> {
    let conn = db.into();
    let town = TownSettings::load(conn)?;
    let p = crate::reports::progress::progress(conn, as_of)?;
    let t = &p.town;
    let escalated = crate::fieldwork::escalation::escalations(conn, as_of)?;
    let compare = crate::reports::compare::compare(conn, Scope::Town)?;
    let between = compare
        .differences
        .iter()
        .filter(|d| d.between_checks)
        .map(|d| (d.household_id, d.toilet_seq))
        .collect::<std::collections::HashSet<_>>()
        .len();
    let baseline = compare
        .differences
        .iter()
        .filter(|d| !d.between_checks)
        .map(|d| (d.household_id, d.toilet_seq))
        .collect::<std::collections::HashSet<_>>()
        .len();
    let gaps = crate::fieldwork::found::gaps(conn, "2000-01-01", as_of)?;
    let items = problems_by_item(conn, as_of)?;
    // The month-by-month line: the last point of each month.
    let mut months: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    for pt in &p.timeline {
        months.insert(
            pt.date.get(..7).unwrap_or(&pt.date).to_string(),
            (pt.inspected, pt.problems, pt.closed),
        );
    }

    let date = match (as_of.get(..4), as_of.get(5..7), as_of.get(8..10)) {
        (Some(y), Some(m), Some(d)) => format!(
            "{y}年{}月{}日",
            m.trim_start_matches('0'),
            d.trim_start_matches('0')
        ),
        _ => as_of.to_string(),
    };
    let plan = crate::print::NoticeSettings::load(conn)?
        .plan_title
        .replace("{镇}", &town.town_name);
    let mut doc = Docx::new()
        .add_paragraph(
            Paragraph::new()
                .add_run(run(
                    &format!("{}农村户厕问题摸排整改工作总结（初稿）", town.town_name),
                    36,
                    true,
                ))
                .align(AlignmentType::Center),
        )
        .add_paragraph(
            Paragraph::new()
                .add_run(run(
                    &format!("统计截至{date}。本稿由程序根据台账和核查记录生成，数字请核对，文字请修改补充后使用。"),
                    21,
                    false,
                ))
                .align(AlignmentType::Center),
        );
    doc = doc.add_paragraph(heading("一、工作开展情况")).add_paragraph(para(&format!(
        "按照{plan}要求，全镇共有农户 {} 户、户厕 {} 个（另有无厕所户 {} 户）。截至{date}，已入户排查户厕 {} 个，排查率 {}；镇级复核 {} 个，复核率 {}。",
        t.households,
        t.toilets,
        t.no_toilet,
        t.inspected,
        t.rates.inspected,
        t.rechecked,
        t.rates.rechecked
    )));
    doc = doc
        .add_paragraph(heading("二、发现的问题"))
        .add_paragraph(para(&format!(
            "排查发现问题户厕 {} 个，问题发现率 {}。各部位问题如下表（一个户厕可有多个问题）。",
            t.problems, t.rates.found
        )));
    let item_rows: Vec<Vec<String>> = items
        .iter()
        .map(|(part, name, n)| vec![part.label().to_string(), name.clone(), n.to_string()])
        .collect();
    doc = doc.add_table(table(&["部位", "问题", "户厕数"], &item_rows));
    doc = doc.add_paragraph(heading("三、分类整改和销号")).add_paragraph(para(&format!(
        "问题户厕中，{} {} 个，{} {} 个，{} {} 个，尚待确定类别 {} 个。已整改 {} 个，其中已验收销号 {} 个，销号率 {}；逾期未整改 {} 个，已整改但逾期待验收 {} 个；报区人居办研究解决 {} 个。",
        Category::ImmediateFix.label(),
        t.immediate_fix,
        Category::PlanDistrict.label(),
        t.plan_district,
        Category::PlanTownFunded.label(),
        t.plan_town_funded,
        t.undecided,
        t.rectified,
        t.closed,
        t.rates.closed,
        t.overdue_unrectified,
        t.overdue_awaiting,
        escalated.len()
    )));
    doc = doc.add_paragraph(heading("四、复核比对和查缺补漏")).add_paragraph(para(&format!(
        "村级自查与镇级复核、区级抽查比对，有 {between} 个户厕的核查结果不一致（衡量调查组工作质量）；核查发现与台账底数不一致的户厕 {baseline} 个。入户核查新增农户 {} 户、新增户厕 {} 个，核查中更正台账 {} 处，发现户已迁出 {} 户。",
        gaps.households_added, gaps.toilets_added, gaps.corrections, gaps.moved_out
    )));
    doc = doc.add_paragraph(heading("五、各村情况"));
    let village_rows: Vec<Vec<String>> = p
        .villages
        .iter()
        .chain([t])
        .map(|v| {
            vec![
                if std::ptr::eq(v, t) {
                    "全镇".to_string()
                } else {
                    v.name.clone()
                },
                v.households.to_string(),
                v.toilets.to_string(),
                v.inspected.to_string(),
                v.rates.inspected.clone(),
                v.problems.to_string(),
                v.closed.to_string(),
                v.rates.closed.clone(),
                v.overdue_unrectified.to_string(),
                v.overdue_awaiting.to_string(),
            ]
        })
        .collect();
    doc = doc.add_table(table(
        &[
            "行政村",
            "户数",
            "户厕",
            "已排查",
            "排查率",
            "问题户厕",
            "已销号",
            "销号率",
            "逾期未整改",
            "逾期待验收",
        ],
        &village_rows,
    ));
    doc = doc.add_paragraph(heading("六、逐月进展"));
    let month_rows: Vec<Vec<String>> = months
        .iter()
        .map(|(m, (i, pr, c))| {
            vec![
                m.clone(),
                i.to_string(),
                rate_text(*i, t.toilets),
                pr.to_string(),
                c.to_string(),
            ]
        })
        .collect();
    doc = doc.add_table(table(
        &["月份", "累计排查户厕", "排查率", "累计问题户厕", "累计销号"],
        &month_rows,
    ));
    doc = doc
        .add_paragraph(heading("七、存在的困难和问题"))
        .add_paragraph(para("（请填写）"))
        .add_paragraph(heading("八、下一步工作打算"))
        .add_paragraph(para("（请填写）"))
        .add_paragraph(
            Paragraph::new()
                .add_run(run(
                    &format!("{}农村户厕问题摸排整改工作专班", town.town_name),
                    24,
                    false,
                ))
                .align(AlignmentType::Right),
        )
        .add_paragraph(
            Paragraph::new()
                .add_run(run(&date, 24, false))
                .align(AlignmentType::Right),
        );

    // Written whole under a temporary name, then renamed: no half-written file.
    let part = path.with_extension("docx.part");
    let write = || -> std::result::Result<(), String> {
        let file = std::fs::File::create(&part).map_err(|e| e.to_string())?;
        doc.build().pack(file).map_err(|e| e.to_string())?;
        std::fs::rename(&part, path).map_err(|e| e.to_string())
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&part);
        return Err(Error::Invalid(format!(
            "工作总结没有写成：{}（{e}）。请换一个保存位置，或关闭正在打开这个文件的 WPS/Word 后重试。",
            path.display()
        )));
    }
    Ok(SummaryNumbers {
        households: t.households,
        toilets: t.toilets,
        inspected: t.inspected,
        problems: t.problems,
        closed: t.closed,
        overdue_unrectified: t.overdue_unrectified,
        overdue_awaiting: t.overdue_awaiting,
        escalated: escalated.len(),
        between_checks: between,
        baseline,
        months: months.len(),
    })
}
