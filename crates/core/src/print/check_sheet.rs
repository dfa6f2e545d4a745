//! 区级抽查现场核查表: one A4 page per sampled toilet, in the sample's order — the household and
//! the toilet's baseline, the last inspection on record, and boxes and lines for the district's
//! checker: 农户状态, 是否正常使用, the problem checklist by part, remarks and signatures.

use crate::store::sql::Db;

use super::layout::{self, Align, Doc, Face, TableStyle};
use super::page::{chinese_date, finished, page_footer, Printed};
use crate::error::{Error, Result};
use crate::fieldwork::inspections::InspectionRecord;
use crate::fieldwork::problem_items::ProblemItem;
use crate::model::{HouseholdStatus, ProblemPart, Toilet};
use crate::places::households::{self, Disclosure, HouseholdDetail};
use crate::reports::sampling::Sample;
use crate::store::settings::TownSettings;

/// Draws a box and its label for each of `labels` on one line from `x`; returns where it ends.
pub(super) fn boxes(doc: &mut Doc, x: f32, top: f32, labels: &[&str], size: f32) -> f32 {
    let page = doc.page_count() - 1;
    let side = size * 0.85;
    let mut x = x;
    for l in labels {
        doc.rect(page, x, top + size * 0.12, side, side, false);
        x += side + 3.0;
        doc.text_at(page, x, top, l, Face::Regular, size);
        x += layout::measure(l, Face::Regular, size) + 14.0;
    }
    x
}

/// A line with a bold lead-in and boxes after it; moves the cursor down.
pub(super) fn box_line(doc: &mut Doc, lead: &str, labels: &[&str], tail: &str) {
    let size = 10.5;
    let page = doc.page_count() - 1;
    let (m, y) = (doc.margin, doc.y);
    doc.text_at(page, m, y, lead, Face::Bold, size);
    let x = boxes(
        doc,
        m + layout::measure(lead, Face::Bold, size) + 4.0,
        y,
        labels,
        size,
    );
    if !tail.is_empty() {
        doc.text_at(page, x - 10.0, y, tail, Face::Regular, size);
    }
    doc.y += size * 2.0;
}

/// The problem checklist grouped by part: the part's name on the left, its items in three
/// columns, each with a box. `numbered`: each item carries the number the 录入核查 form's
/// finder takes (items counted in the parts' order).
pub(super) fn checklist(doc: &mut Doc, items: &[ProblemItem], numbered: bool) {
    let page = doc.page_count() - 1;
    let (m, w) = (doc.margin, doc.inner_width());
    let label_w = 86.0;
    let cols = 3;
    let cell = (w - label_w) / cols as f32;
    let row_h = 15.5;
    let mut number = 0;
    for part in ProblemPart::ALL {
        let of_part: Vec<&ProblemItem> = items.iter().filter(|i| i.part == *part).collect();
        if of_part.is_empty() {
            continue;
        }
        let top = doc.y;
        let rows = of_part.len().div_ceil(cols);
        let h = rows as f32 * row_h + 4.0;
        doc.rect(page, m, top, w, h, false);
        doc.line(page, m + label_w, top, m + label_w, top + h, 0.6, false);
        doc.text_in(
            page,
            m + 3.0,
            label_w - 6.0,
            top + (h - 9.5) / 2.0,
            part.label(),
            Face::Bold,
            9.5,
            Align::Left,
        );
        for (k, item) in of_part.iter().enumerate() {
            let x = m + label_w + 6.0 + (k % cols) as f32 * cell;
            let y = top + 3.0 + (k / cols) as f32 * row_h + 2.0;
            number += 1;
            let text = if numbered {
                format!("{number} {}", item.name)
            } else {
                item.name.clone()
            };
            let room = cell - 28.0;
            let size = (room / layout::measure(&text, Face::Regular, 1.0)).clamp(6.5, 9.5);
            boxes(doc, x, y, &[text.as_str()], size);
        }
        doc.y = top + h;
    }
}

/// The last inspection in words, or that there is none.
fn last_inspection(i: Option<&InspectionRecord>) -> String {
    let Some(i) = i else {
        return "尚无核查记录。".into();
    };
    let yes_no = |b: Option<bool>| b.map_or("未填", |b| if b { "是" } else { "否" });
    let mut problems = if i.problems.is_empty() {
        if i.has_problems {
            "有问题（未列明）".to_string()
        } else {
            "无问题".to_string()
        }
    } else {
        i.problems
            .iter()
            .map(|p| {
                format!(
                    "{}（{}）",
                    p.name,
                    if p.stops_use {
                        "影响使用"
                    } else {
                        "不影响使用"
                    }
                )
            })
            .collect::<Vec<_>>()
            .join("、")
    };
    // The sheet is one page: a very long list is cut, the household's file has it all.
    if problems.chars().count() > 160 {
        problems = problems.chars().take(158).collect::<String>() + "……";
    }
    let status = match i.status_note.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(note) if i.household_status != HouseholdStatus::Normal => {
            format!("{}（{}）", i.household_status.label(), note.trim())
        }
        _ => i.household_status.label().to_string(),
    };
    format!(
        "{}，{}，调查组：{}；农户状态：{}；是否正常使用：{}；发现的问题：{}。",
        i.kind.label(),
        chinese_date(&i.inspected_on),
        if i.members.is_empty() {
            "—".to_string()
        } else {
            i.members.join("、")
        },
        status,
        yes_no(i.in_normal_use),
        problems
    )
}

struct Sheet<'a> {
    town: &'a TownSettings,
    sample: &'a Sample,
    number: usize,
    household: &'a HouseholdDetail,
    toilet: &'a Toilet,
    last: Option<&'a InspectionRecord>,
    items: &'a [ProblemItem],
}

/// How tightly a sheet is set. A sheet is one page: the first of [`FITS`] that fits is
/// printed, and past the last the last inspection is cut to the lines there is room for.
#[derive(Debug, Clone, Copy)]
struct Fit {
    /// Each cell of the household table is held to [`CELL_LINES`] lines: a longer text is set
    /// smaller with its lines closer, and cut (marked …) only when not even that holds it.
    cells: bool,
    /// The space between the parts and between the remark lines gives way.
    tight: bool,
    /// The last inspection's type size.
    last_size: f32,
    /// The last inspection cut to this many lines, its end marked.
    last_lines: Option<usize>,
}

/// As an ordinary sheet is set, then tighter step by step.
const FITS: [Fit; 4] = [
    Fit {
        cells: false,
        tight: false,
        last_size: 10.0,
        last_lines: None,
    },
    Fit {
        cells: true,
        tight: false,
        last_size: 10.0,
        last_lines: None,
    },
    Fit {
        cells: true,
        tight: true,
        last_size: 10.0,
        last_lines: None,
    },
    Fit {
        cells: true,
        tight: true,
        last_size: 9.0,
        last_lines: None,
    },
];

/// The lines a cell of the household table may take when its cells are fitted.
const CELL_LINES: usize = 2;

/// Draws the last inspection's text at the cursor, in `size` type, cut to `lines` lines when
/// given (the cut marked: the household's file has it all).
fn last_inspection_text(doc: &mut Doc, text: &str, size: f32, lines: Option<usize>) {
    let Some(keep) = lines else {
        doc.paragraph(text, Face::Regular, size, false);
        return;
    };
    let width = doc.inner_width();
    let mut wrapped = layout::wrap(text, Face::Regular, size, width);
    if wrapped.len() > keep {
        wrapped.truncate(keep.max(1));
        if let Some(last) = wrapped.last_mut() {
            layout::cut_to(last, Face::Regular, width, size);
        }
    }
    for line in wrapped {
        doc.paragraph(&line, Face::Regular, size, false);
    }
}

/// A sheet on a new page, set by the first of [`FITS`] that fits it there.
fn sheet_page(doc: &mut Doc, s: &Sheet) {
    doc.new_page();
    let mut over = 0.0;
    for fit in FITS {
        match doc.draw_within_page(|d| draw_sheet(d, s, fit)) {
            Ok(()) => return,
            Err(o) => over = o,
        }
    }
    // Even the tightest is too long: the last inspection gives up the lines it went over by.
    let tightest = FITS[FITS.len() - 1];
    let size = tightest.last_size;
    let lines = layout::wrap(
        &last_inspection(s.last),
        Face::Regular,
        size,
        doc.inner_width(),
    )
    .len();
    let drop = (over / (size * 1.75)).ceil() as usize;
    let fit = Fit {
        last_lines: Some(lines.saturating_sub(drop).max(1)),
        ..tightest
    };
    if doc.draw_within_page(|d| draw_sheet(d, s, fit)).is_err() {
        // Only a sheet whose fixed parts overrun a page (a very long checklist) gets here:
        // printed whole, over two pages.
        draw_sheet(doc, s, fit);
    }
}

fn draw_sheet(doc: &mut Doc, s: &Sheet, fit: Fit) {
    let h = s.household;
    let t = s.toilet;
    doc.check(&format!("农户{}", h.head_name), &h.head_name);
    doc.centered(
        &format!("{}农村户厕区级抽查现场核查表", s.town.town_name),
        Face::Bold,
        16.0,
        6.0,
    );
    doc.centered(
        &format!(
            "第 {} 号抽查样本 · 第 {} / {} 个户厕 · 抽样日期：{} · {}",
            s.sample.id,
            s.number,
            s.sample.toilets.len(),
            s.sample
                .created_at
                .get(..10)
                .map(chinese_date)
                .unwrap_or_default(),
            s.sample.origin()
        ),
        Face::Regular,
        9.5,
        10.0,
    );

    doc.paragraph("一、农户和户厕（台账底数）", Face::Bold, 11.5, false);
    let unknown = || "未登记".to_string();
    let yes_no = |b: Option<bool>| b.map_or("未登记", |b| if b { "是" } else { "否" });
    let rows = vec![
        vec![
            "行政村·社".into(),
            format!("{}{}", h.village_name, h.group_name),
            "户主".into(),
            h.head_name.clone(),
        ],
        vec![
            "身份证号".into(),
            h.id_number.clone().unwrap_or_else(unknown),
            "联系电话".into(),
            h.phone.clone().unwrap_or_else(unknown),
        ],
        vec![
            "住址".into(),
            h.address.clone().unwrap_or_else(unknown),
            "户厕".into(),
            format!("第 {} 个（本户共 {} 个）", t.seq, h.toilets.len()),
        ],
        vec![
            "技术模式".into(),
            t.tech_mode.map_or("未登记", |m| m.label()).into(),
            "建设（改造）年份".into(),
            t.build_year.map_or_else(unknown, |y| format!("{y}年")),
        ],
        vec![
            "是否财政补助".into(),
            yes_no(t.subsidized).into(),
            "补助年份".into(),
            t.subsidy_year
                .map_or_else(|| "—".into(), |y| format!("{y}年")),
        ],
        vec![
            "使用状态".into(),
            t.use_status.map_or("未登记", |m| m.label()).into(),
            "厕所位置".into(),
            t.location.map_or("未登记", |m| m.label()).into(),
        ],
    ];
    if let Some(a) = &h.address {
        doc.check(&format!("农户{}的住址", h.head_name), a);
    }
    let weights = [1.0, 2.2, 1.1, 2.1];
    let style = TableStyle {
        header: false,
        size: 10.0,
        header_size: 10.0,
        padding: 3.5,
    };
    doc.plain_table(&weights, &rows, &style, fit.cells.then_some(CELL_LINES));
    // The space between the parts: less on a tight sheet.
    let gap = |space: f32| if fit.tight { space - 4.0 } else { space };

    doc.y += gap(8.0);
    doc.paragraph("二、最近一次核查", Face::Bold, 11.5, false);
    last_inspection_text(doc, &last_inspection(s.last), fit.last_size, fit.last_lines);

    doc.y += gap(8.0);
    doc.paragraph("三、抽查核实（抽查人现场填写）", Face::Bold, 11.5, false);
    doc.y += 2.0;
    let statuses: Vec<&str> = HouseholdStatus::ALL.iter().map(|s| s.label()).collect();
    box_line(doc, "农户状态：", &statuses, "________");
    box_line(doc, "是否正常使用：", &["是", "否"], "");
    box_line(
        doc,
        "与台账底数是否一致：",
        &["一致", "不一致（在备注中写明）"],
        "",
    );
    box_line(doc, "核查发现的问题：", &["无问题"], "");
    doc.y -= 4.0;
    checklist(doc, s.items, false);

    doc.y += gap(10.0);
    doc.paragraph("问题说明及备注：", Face::Bold, 10.5, false);
    let page = doc.page_count() - 1;
    let (m, w) = (doc.margin, doc.inner_width());
    for _ in 0..3 {
        doc.y += gap(20.0);
        let y = doc.y;
        doc.line(page, m, y, m + w, y, 0.4, false);
    }
    doc.y += gap(22.0);
    doc.paragraph(
        "抽查人（签字）：________________    ________________        抽查日期：______年____月____日",
        Face::Regular,
        10.5,
        false,
    );
    doc.y += 6.0;
    doc.paragraph(
        "户主（签字或按手印）：________________        联系电话：________________",
        Face::Regular,
        10.5,
        false,
    );
}

/// 区级抽查现场核查表 of a sample: one page per sampled toilet, in the sample's order.
pub fn check_sheets<'a>(db: impl Into<Db<'a>>, sample_id: i64, today: &str) -> Result<Printed> {
    let conn = db.into();
    let town = TownSettings::load(conn)?;
    let sample = crate::reports::sampling::sample(conn, sample_id)?;
    if sample.toilets.is_empty() {
        return Err(Error::Invalid(format!(
            "第 {sample_id} 号抽查样本中没有户厕，没有可打印的核查表。请重新抽样。"
        )));
    }
    let items = crate::fieldwork::problem_items::problem_items(conn, false)?;
    let mut doc = Doc::new("区级抽查现场核查表", false, 15.0);
    doc.bottom = doc.height - doc.margin - 10.0;
    let mut household_of = conn.prepare_cached("SELECT household_id FROM toilets WHERE id = ?1")?;
    for (k, toilet_id) in sample.toilets.iter().enumerate() {
        let household_id: i64 = household_of.query_row([toilet_id], |r| r.get(0))?;
        let household = households::detail(conn, household_id, Disclosure::Masked)?;
        let Some(toilet) = household.toilets.iter().find(|t| t.id == *toilet_id) else {
            continue;
        };
        let file = crate::fieldwork::inspections::field_file(conn, household_id)?;
        // Newest first: the first of this toilet's is the last one made.
        let last = file.inspections.iter().find(|i| i.toilet_id == *toilet_id);
        sheet_page(
            &mut doc,
            &Sheet {
                town: &town,
                sample: &sample,
                number: k + 1,
                household: &household,
                toilet,
                last,
                items: &items,
            },
        );
    }
    let printed_on = format!("打印日期：{}", chinese_date(today));
    doc.each_page(|d, page, n, total| {
        page_footer(d, page, n, total, false);
        let y = d.height - d.margin * 0.75;
        let m = d.margin;
        d.text_at(page, m, y, &printed_on, Face::Regular, 9.0);
    });
    finished(doc)
}
