//! 入户排查表 for the village self-check: one A4 page per toilet (a household without a toilet
//! gets one page), pre-filled with the baseline to check at the door, laid out in the order of the
//! 录入核查 form so keying a sheet in is one pass down the form: 核查类别 and date, the 调查组,
//! 农户状态, 是否正常使用, 无问题 / the numbered 问题口径 by part, 台账更正, 备注, signatures.
//! The keys the form takes (1/0, W/Y, the item numbers) are printed beside the boxes. A blank
//! sheet serves a household found at the door that is not on the list.

use crate::store::sql::Db;

use super::check_sheet::{box_line, checklist};
use super::layout::{Column, Doc, Face, TableStyle};
use super::page::{chinese_date, finished, page_footer, scope_filter, Printed};
use crate::error::{Error, Result};
use crate::fieldwork::problem_items::ProblemItem;
use crate::model::{HouseholdStatus, Location, TechMode, UseStatus};
use crate::places::households::Scope;
use crate::places::idcard;
use crate::store::settings::TownSettings;

/// One page's household and toilet (`toilet` None: no toilet registered, or a blank sheet).
#[derive(Default)]
struct Line {
    household_id: Option<i64>,
    head_name: String,
    id_number: Option<String>,
    address: Option<String>,
    place: String,
    toilet: Option<ToiletLine>,
    toilets: i64,
}

struct ToiletLine {
    seq: i64,
    tech_mode: Option<TechMode>,
    location: Option<Location>,
    build_year: Option<i64>,
    subsidized: Option<bool>,
    subsidy_year: Option<i64>,
    use_status: Option<UseStatus>,
    is_sanitary: Option<bool>,
}

const BLANK: &str = "____________";

/// A sheet on a new page. A sheet is one page: when a long address or name would push it
/// over, the household table's cells are held to two lines each (set smaller, then cut).
fn sheet(doc: &mut Doc, town: &TownSettings, items: &[ProblemItem], l: &Line) {
    doc.new_page();
    for fitted in [false, true] {
        if doc
            .draw_within_page(|d| draw_sheet(d, town, items, l, fitted))
            .is_ok()
        {
            return;
        }
    }
    // Not even so (a checklist longer than a page): printed whole, over two pages.
    draw_sheet(doc, town, items, l, true);
}

/// The lines a cell of the household table takes when its cells are fitted.
const CELL_LINES: usize = 2;

fn draw_sheet(doc: &mut Doc, town: &TownSettings, items: &[ProblemItem], l: &Line, fitted: bool) {
    if !l.head_name.is_empty() {
        doc.check(&format!("农户{}", l.head_name), &l.head_name);
    }
    doc.centered(
        &format!("{}农村户厕问题摸排入户排查表", town.town_name),
        Face::Bold,
        16.0,
        4.0,
    );
    let number = match (l.household_id, &l.toilet) {
        (Some(h), Some(t)) => format!("表号 {h}-{}", t.seq),
        (Some(h), None) => format!("表号 {h}-0"),
        _ => "新增农户（名单上没有的农户）".into(),
    };
    let which = match &l.toilet {
        Some(t) => format!("第 {} 个户厕（本户共 {} 个）", t.seq, l.toilets),
        None if l.household_id.is_some() => "台账中本户没有户厕".into(),
        None => "户厕情况现场填写".into(),
    };
    // A long place name is set smaller, then cut: the sheet's number stays whole.
    doc.centered_parts(
        if l.place.is_empty() {
            "______村______社"
        } else {
            &l.place
        },
        &format!(" · {which} · {number}"),
        Face::Regular,
        9.5,
        8.0,
    );

    doc.paragraph(
        if l.household_id.is_some() {
            "一、农户和户厕（台账底数，请逐项核对，有误的在“四、台账更正”中写明）"
        } else {
            "一、农户和户厕（名单上没有的农户，现场填写）"
        },
        Face::Bold,
        11.0,
        false,
    );
    let or_blank = |s: Option<String>| s.unwrap_or_else(|| BLANK.into());
    let t = l.toilet.as_ref();
    let label = |s: Option<&'static str>| s.unwrap_or("未登记").to_string();
    let yes_no = |b: Option<bool>| label(b.map(|b| if b { "是" } else { "否" }));
    let blank_sheet = l.household_id.is_none();
    let cell = |known: String| if blank_sheet { BLANK.into() } else { known };
    let rows = vec![
        vec![
            "户主".into(),
            cell(l.head_name.clone()),
            "身份证号".into(),
            cell(or_blank(l.id_number.as_deref().map(idcard::mask_id))),
        ],
        vec![
            "住址".into(),
            cell(or_blank(l.address.clone())),
            "技术模式".into(),
            cell(label(t.and_then(|t| t.tech_mode).map(|m| m.label()))),
        ],
        vec![
            "厕所位置".into(),
            cell(label(t.and_then(|t| t.location).map(|m| m.label()))),
            "建设（改造）年度".into(),
            cell(
                t.and_then(|t| t.build_year)
                    .map_or_else(|| "未登记".into(), |y| format!("{y}年")),
            ),
        ],
        vec![
            "是否财政补助".into(),
            cell(yes_no(t.and_then(|t| t.subsidized))),
            "补助年度".into(),
            cell(
                t.and_then(|t| t.subsidy_year)
                    .map_or_else(|| "—".into(), |y| format!("{y}年")),
            ),
        ],
        vec![
            "使用状态".into(),
            cell(label(t.and_then(|t| t.use_status).map(|m| m.label()))),
            "是否卫生厕所".into(),
            cell(yes_no(t.and_then(|t| t.is_sanitary))),
        ],
    ];
    if let Some(a) = &l.address {
        doc.check(&format!("农户{}的住址", l.head_name), a);
    }
    // Where the table ends when no cell wraps: the form below starts there on every such page,
    // so the file keeps one copy of it (a long address pushes it down on its own page).
    let plain_end = doc.y + rows.len() as f32 * (9.5 * 1.45 + 2.0 * 3.0);
    let weights = [1.1, 2.2, 1.3, 1.9];
    let style = TableStyle {
        header: false,
        size: 9.5,
        header_size: 9.5,
        padding: 3.0,
    };
    doc.plain_table(&weights, &rows, &style, fitted.then_some(CELL_LINES));
    if doc.y <= plain_end + 0.5 {
        doc.y = plain_end;
    }

    doc.y += 6.0;
    doc.begin_shared();
    doc.paragraph(
        "二、基本情况（框旁的字母、数字是录入时按的键）",
        Face::Bold,
        11.0,
        false,
    );
    doc.y += 2.0;
    box_line(
        doc,
        "核查类别：",
        &["村级自查", "镇级复核", "区级抽查"],
        "      核查日期：______年____月____日",
    );
    doc.paragraph(
        "入户调查组成员（至少 2 人）：______________  ______________  ______________",
        Face::Regular,
        10.5,
        false,
    );
    doc.y += 6.0;
    let statuses: Vec<String> = HouseholdStatus::ALL
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{} {}", i + 1, s.label()))
        .collect();
    let statuses: Vec<&str> = statuses.iter().map(String::as_str).collect();
    box_line(doc, "农户、户厕情况：", &statuses, "______");
    box_line(doc, "户厕是否正常使用：", &["1 是", "0 否"], "");

    doc.paragraph("三、核查结果", Face::Bold, 11.0, false);
    doc.y += 2.0;
    box_line(
        doc,
        "是否发现问题：",
        &["W 无问题", "Y 有问题（在下面勾选，影响使用的写明原因）"],
        "",
    );
    doc.y -= 4.0;
    checklist(doc, items, true);
    doc.y += 6.0;
    box_line(
        doc,
        "影响使用问题的原因：",
        &[
            "1 施工不到位",
            "2 产品质量不过关",
            "3 技术模式不适宜",
            "4 其他",
        ],
        "",
    );

    doc.paragraph(
        "四、台账更正（与台账底数不一致时填写）",
        Face::Bold,
        11.0,
        false,
    );
    doc.table(
        &[
            Column::left("项目", 1.3),
            Column::left("台账底数", 2.0),
            Column::left("实际情况", 2.6),
        ],
        &[
            vec![String::new(), String::new(), String::new()],
            vec![String::new(), String::new(), String::new()],
        ],
        &TableStyle {
            header: true,
            size: 10.0,
            header_size: 9.5,
            padding: 4.0,
        },
        &mut |_| {},
    );
    doc.y += 6.0;
    doc.paragraph(
        "备注：__________________________________________________________________",
        Face::Regular,
        10.5,
        false,
    );
    doc.y += 10.0;
    doc.paragraph(
        "入户调查人（签字）：______________  ______________      户主（签字或按手印）：______________",
        Face::Regular,
        10.5,
        false,
    );
    doc.end_shared();
}

/// The households and toilets of `scope`, one line per page, in village, 社, household and
/// toilet order.
fn lines(conn: Db<'_>, scope: Scope, each: &mut dyn FnMut(Line)) -> Result<()> {
    let (filter, id) = scope_filter(scope);
    conn.for_each(
        &format!(
            "SELECT h.id, h.head_name, h.id_number, h.address, v.name || g.name,
                (SELECT count(*) FROM toilets x WHERE x.household_id = h.id),
                t.seq, t.tech_mode, t.location, t.build_year, t.subsidized, t.subsidy_year,
                t.use_status, t.is_sanitary
         FROM households h JOIN villages v ON v.id = h.village_id
         JOIN village_groups g ON g.id = h.group_id
         LEFT JOIN toilets t ON t.household_id = h.id
         WHERE {filter}
         ORDER BY v.sort_order, v.id, g.sort_order, g.id, h.id, t.seq"
        ),
        [id],
        |r| {
            let seq: Option<i64> = r.get(6)?;
            each(Line {
                household_id: Some(r.get(0)?),
                head_name: r.get(1)?,
                id_number: r.get(2)?,
                address: r.get(3)?,
                place: r.get(4)?,
                toilets: r.get(5)?,
                toilet: match seq {
                    Some(seq) => Some(ToiletLine {
                        seq,
                        tech_mode: r.get(7)?,
                        location: r.get(8)?,
                        build_year: r.get(9)?,
                        subsidized: r.get(10)?,
                        subsidy_year: r.get(11)?,
                        use_status: r.get(12)?,
                        is_sanitary: r.get(13)?,
                    }),
                    None => None,
                },
            });
            Ok(())
        },
    )
}

/// 入户排查表 of every household of `scope` (a village or a 社; the town for a whole print run),
/// pre-filled; with `blanks` blank sheets after them for households found at the door.
/// `progress(done, total)` is told as pages are laid out.
pub fn survey_sheets<'a>(
    db: impl Into<Db<'a>>,
    scope: Scope,
    blanks: usize,
    today: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Printed> {
    let conn = db.into();
    let town = TownSettings::load(conn)?;
    let items = crate::fieldwork::problem_items::problem_items(conn, false)?;
    let (filter, id) = scope_filter(scope);
    let total: usize = conn.query_row(
        &format!(
            "SELECT coalesce(sum(greatest((SELECT count(*) FROM toilets t
                                           WHERE t.household_id = h.id), 1)), 0)
             FROM households h WHERE {filter}"
        ),
        [id],
        |r| r.get::<_, i64>(0),
    )? as usize;
    if total == 0 && blanks == 0 {
        return Err(Error::Invalid(
            "所选范围内没有农户，没有可打印的入户排查表。请换一个行政村或社；名单上没有的农户可以打印空白排查表。"
                .into(),
        ));
    }
    let mut doc = Doc::new("农村户厕问题摸排入户排查表", false, 13.0);
    doc.bottom = doc.height - doc.margin - 8.0;
    let mut done = 0;
    lines(conn, scope, &mut |l| {
        if done % 100 == 0 {
            progress(done, total + blanks);
        }
        sheet(&mut doc, &town, &items, &l);
        done += 1;
    })?;
    for _ in 0..blanks {
        sheet(&mut doc, &town, &items, &Line::default());
    }
    progress(total + blanks, total + blanks);
    let printed_on = format!("打印日期：{}", chinese_date(today));
    doc.each_page(|d, page, n, total| {
        page_footer(d, page, n, total, false);
        let y = d.height - d.margin * 0.75;
        let m = d.margin;
        d.text_at(page, m, y, &printed_on, Face::Regular, 9.0);
    });
    finished(doc)
}
