//! 整改告知单: one per problem toilet, with a 回执 below a cut line (and the same as HTML for a
//! preview).

use crate::store::sql::{Db, Optional};

use super::layout::{Align, Column, Doc, Face, TableStyle};
use super::page::{chinese_date, month_text, paper_pages, town_title, Printed};
use super::settings::NoticeSettings;
use crate::error::Result;
use crate::fieldwork::rectification::{self, LedgerFilter};
use crate::model::{CaseState, Category, Cause, TechMode};
use crate::places::idcard::{mask_id, mask_phone};
use crate::store::settings::TownSettings;

#[derive(Clone)]
pub(super) struct NoticeData {
    pub(super) case_id: i64,
    pub(super) head_name: String,
    pub(super) id_number: Option<String>,
    pub(super) phone: Option<String>,
    pub(super) village: String,
    pub(super) group: String,
    pub(super) address: Option<String>,
    pub(super) seq: i64,
    pub(super) tech_mode: Option<TechMode>,
    pub(super) build_year: Option<i64>,
    pub(super) subsidized: Option<bool>,
    pub(super) subsidy_year: Option<i64>,
    pub(super) inspected_on: String,
    pub(super) inspection_id: i64,
    pub(super) category: Option<Category>,
    pub(super) measures: Option<String>,
    pub(super) responsible: Option<String>,
    pub(super) planned_month: Option<String>,
    pub(super) funding: Option<String>,
    pub(super) state: CaseState,
    /// The phone of the 责任人 in the staff list: the one active staff member of that name
    /// with a phone (none when nobody or several of that name have one).
    pub(super) responsible_phone: Option<String>,
}

/// The columns of a case's notice, read by [`notice_row`].
const NOTICE_COLUMNS: &str =
    "SELECT r.id, h.head_name, h.id_number, h.phone, v.name, g.name, h.address, t.seq, t.tech_mode,
            t.build_year, t.subsidized, t.subsidy_year, i.inspected_on, i.id, r.category,
            r.measures, r.responsible, r.planned_month, r.funding, r.state,
            (SELECT CASE WHEN count(DISTINCT s.phone) = 1 THEN min(s.phone) END FROM staff s
              WHERE s.active = 1 AND s.phone IS NOT NULL AND s.phone <> ''
                AND s.name = replace(trim(r.responsible), ' ', ''))
     FROM rectifications r
     JOIN households h ON h.id = r.household_id
     JOIN villages v ON v.id = r.village_id
     JOIN village_groups g ON g.id = r.group_id
     JOIN toilets t ON t.id = r.toilet_id
     JOIN inspections i ON i.id = r.inspection_id";

fn notice_row(r: &crate::store::sql::Row<'_>) -> rusqlite::Result<NoticeData> {
    Ok(NoticeData {
        case_id: r.get(0)?,
        head_name: r.get(1)?,
        id_number: r.get(2)?,
        phone: r.get(3)?,
        village: r.get(4)?,
        group: r.get(5)?,
        address: r.get(6)?,
        seq: r.get(7)?,
        tech_mode: r.get(8)?,
        build_year: r.get(9)?,
        subsidized: r.get(10)?,
        subsidy_year: r.get(11)?,
        inspected_on: r.get(12)?,
        inspection_id: r.get(13)?,
        category: r.get(14)?,
        measures: r.get(15)?,
        responsible: r.get(16)?,
        planned_month: r.get(17)?,
        funding: r.get(18)?,
        state: r.get(19)?,
        responsible_phone: r.get(20)?,
    })
}

/// A problem as the paper words it: "name（影响使用，原因：…）：remarks".
fn problem_text(r: &crate::store::sql::Row<'_>, first: usize) -> rusqlite::Result<String> {
    let mut s: String = r.get(first)?;
    let stops: bool = r.get(first + 1)?;
    let cause: Option<Cause> = r.get(first + 2)?;
    let remarks: Option<String> = r.get(first + 3)?;
    s.push_str(if stops {
        "（影响使用"
    } else {
        "（不影响使用"
    });
    if let Some(c) = cause {
        s.push_str("，原因：");
        s.push_str(c.label());
    }
    s.push('）');
    if let Some(r) = remarks.filter(|r| !r.trim().is_empty()) {
        s.push('：');
        s.push_str(r.trim());
    }
    Ok(s)
}

/// The notice data of a run of cases, read a batch at a time: two queries per batch instead
/// of two per case, which on the server are two round trips instead of two thousand.
pub(super) struct NoticeReader<'a, 'i> {
    conn: Db<'a>,
    ids: &'i [i64],
    /// The batch read last: its first index into `ids`, and its cases by id.
    from: usize,
    batch: std::collections::HashMap<i64, (NoticeData, Vec<String>)>,
}

/// Cases per batch: a page's worth of memory, few round trips.
const NOTICE_BATCH: usize = 200;

impl<'a, 'i> NoticeReader<'a, 'i> {
    pub(super) fn new(conn: Db<'a>, ids: &'i [i64]) -> Self {
        NoticeReader {
            conn,
            ids,
            from: usize::MAX,
            batch: Default::default(),
        }
    }

    /// The case at `ids[k]` (read in batches from `k` on: ask in order).
    pub(super) fn take(&mut self, k: usize) -> Result<Option<(NoticeData, Vec<String>)>> {
        let Some(&id) = self.ids.get(k) else {
            return Ok(None);
        };
        if self.from == usize::MAX || k < self.from || k >= self.from + NOTICE_BATCH {
            self.load(k)?;
        }
        Ok(self.batch.get(&id).cloned())
    }

    fn load(&mut self, from: usize) -> Result<()> {
        let conn = self.conn;
        let chunk = &self.ids[from..(from + NOTICE_BATCH).min(self.ids.len())];
        let list = serde_json::to_string(chunk).expect("ids serialize");
        let ids = crate::store::sql::json_ids(conn.engine(), "?1");
        let mut batch = std::collections::HashMap::with_capacity(chunk.len());
        conn.prepare_cached(&format!("{NOTICE_COLUMNS} WHERE r.id IN ({ids})"))?
            .for_each([&list], |r| {
                let d = notice_row(r)?;
                batch.insert(d.case_id, (d, Vec::new()));
                Ok(())
            })?;
        let mut by_inspection: std::collections::HashMap<i64, Vec<String>> = Default::default();
        conn.prepare_cached(&format!(
            "SELECT p.inspection_id, pi.name, p.stops_use, p.cause, p.remarks
             FROM inspection_problems p JOIN problem_items pi ON pi.id = p.item_id
             WHERE p.inspection_id IN (SELECT inspection_id FROM rectifications WHERE id IN ({ids}))
             ORDER BY p.inspection_id, p.id"
        ))?
        .for_each([&list], |r| {
            by_inspection
                .entry(r.get(0)?)
                .or_default()
                .push(problem_text(r, 1)?);
            Ok(())
        })?;
        for (d, problems) in batch.values_mut() {
            if let Some(p) = by_inspection.get(&d.inspection_id) {
                problems.clone_from(p);
            }
        }
        self.from = from;
        self.batch = batch;
        Ok(())
    }
}

/// The cases a notice run covers, and those it leaves out: a notice is due for a planned case
/// (纳入全区改厕计划, 镇筹资农户自改) not yet rectified; a 立行立改 case is fixed on the spot and
/// needs none; an undecided case gets one once its category is confirmed; a case rectified and
/// waiting for the town's acceptance needs its 验收单, not a notice to rectify.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NoticeRun {
    pub cases: Vec<i64>,
    /// Open cases left out because their category is not confirmed yet.
    pub undecided: usize,
    /// Open 立行立改 cases (no notice is due).
    pub immediate: usize,
    /// Cases rectified and waiting for acceptance (已整改待验收).
    pub awaiting: usize,
}

impl NoticeRun {
    fn take(&mut self, id: i64, category: Option<Category>, state: CaseState) {
        match category {
            _ if state == CaseState::AwaitingAcceptance => self.awaiting += 1,
            None => self.undecided += 1,
            Some(Category::ImmediateFix) => self.immediate += 1,
            Some(_) => self.cases.push(id),
        }
    }

    /// What was left out and why, as the print dialog says it.
    pub fn left_out(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.undecided > 0 {
            notes.push(format!(
                "{} 户整改类别尚未确定，未打印告知单（确定类别后再打印）",
                self.undecided
            ));
        }
        if self.immediate > 0 {
            notes.push(format!(
                "{} 户属立行立改，现场整改，不需告知单",
                self.immediate
            ));
        }
        if self.awaiting > 0 {
            notes.push(format!(
                "{} 户已整改待验收，不再打印告知单（请打印整改验收单）",
                self.awaiting
            ));
        }
        notes
    }

    /// The error of a run with nothing to print.
    pub fn nothing_to_print(&self) -> crate::Error {
        let why = self.left_out();
        crate::Error::Invalid(if why.is_empty() {
            "所选范围内没有需要告知的问题户厕（已销号的不再打印告知单）。请换一个行政村或筛选条件。"
                .into()
        } else {
            format!(
                "所选范围内没有可以打印告知单的问题户厕：{}。",
                why.join("；")
            )
        })
    }
}

/// The notice run of the ledger filter's cases not closed out on `today`, in the ledger's order.
pub fn notice_cases<'a>(
    db: impl Into<Db<'a>>,
    filter: &LedgerFilter,
    today: &str,
) -> Result<NoticeRun> {
    let conn = db.into();
    let page = rectification::ledger(conn, filter, today, 0, i64::MAX)?;
    let mut run = NoticeRun::default();
    for r in page
        .rows
        .into_iter()
        .filter(|r| r.state != CaseState::Closed)
    {
        run.take(r.case_id, r.category, r.state);
    }
    Ok(run)
}

/// The notice run of the cases picked in the ledger: those not closed out, in the ledger's
/// place order, undecided and 立行立改 ones left out.
pub fn open_cases_among<'a>(db: impl Into<Db<'a>>, ids: &[i64]) -> Result<NoticeRun> {
    let conn = db.into();
    let mut stmt = conn.prepare_cached(
        "SELECT r.id, v.sort_order, g.sort_order, r.household_id, r.category, r.state FROM rectifications r
         JOIN villages v ON v.id = r.village_id JOIN village_groups g ON g.id = r.group_id
         WHERE r.id = ?1 AND r.state <> 'closed'",
    )?;
    let mut found = Vec::new();
    for id in ids {
        if let Some(row) = stmt
            .query_row([id], |r| {
                Ok((
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(0)?,
                    r.get::<_, Option<Category>>(4)?,
                    r.get::<_, CaseState>(5)?,
                ))
            })
            .optional()?
        {
            found.push(row);
        }
    }
    found.sort_unstable_by_key(|r| (r.0, r.1, r.2, r.3));
    found.dedup_by_key(|r| r.3);
    let mut run = NoticeRun::default();
    for r in found {
        run.take(r.3, r.4, r.5);
    }
    Ok(run)
}

/// 整改告知单: one per case, in the order given; a page each unless a case's problems run past
/// it. `progress(done, total)` is called as pages are laid out.
pub fn notices<'a>(
    db: impl Into<Db<'a>>,
    case_ids: &[i64],
    today: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Printed> {
    let conn = db.into();
    if case_ids.is_empty() {
        return Err(crate::Error::Invalid(
            "所选范围内没有需要告知的问题户厕（已销号的不再打印告知单）。请换一个行政村或筛选条件。".into(),
        ));
    }
    let town = TownSettings::load(conn)?;
    let settings = NoticeSettings::load(conn)?;
    let mut doc = Doc::new("农村户厕问题整改告知单", false, 22.0);
    doc.bottom = doc.height - doc.margin * 0.8;
    // Only a planned case gets a notice, whoever picked it.
    let mut left = NoticeRun::default();
    let mut printed = Vec::new();
    let mut past_deadline = Vec::new();
    let mut reader = NoticeReader::new(conn, case_ids);
    for k in 0..case_ids.len() {
        progress(k, case_ids.len());
        let Some((d, problems)) = reader.take(k)? else {
            continue;
        };
        let category = match d.category {
            Some(c) if c.is_planned() && d.state != CaseState::AwaitingAcceptance => c,
            other => {
                left.take(d.case_id, other, d.state);
                continue;
            }
        };
        doc.new_page();
        printed.push((d.case_id, category));
        if deadline_passed(&d.planned_month, today) {
            past_deadline.push(d.head_name.clone());
        }
        let body_text = settings.body(category, &town.town_name);
        notice_page(
            &mut doc, &town, &settings, &body_text, category, &d, &problems, today,
        );
    }
    progress(case_ids.len(), case_ids.len());
    let pages = doc.page_count();
    if pages == 0 {
        return Err(left.nothing_to_print());
    }
    let warnings = doc.warnings.clone();
    let mut notes = left.left_out();
    if !past_deadline.is_empty() {
        notes.push(past_deadline_note(&past_deadline));
    }
    Ok(Printed {
        pdf: doc.finish().map_err(super::page::temporary_file_error)?,
        pages,
        warnings,
        notes,
        notices: printed,
    })
}

/// The same notices as HTML (one per printed page), for comparing with a browser's
/// print-to-PDF in the benchmark.
pub fn notices_html<'a>(db: impl Into<Db<'a>>, case_ids: &[i64], today: &str) -> Result<String> {
    let conn = db.into();
    fn esc(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    }
    let town = TownSettings::load(conn)?;
    let settings = NoticeSettings::load(conn)?;
    let mut html = String::from(
        "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><style>\
         @page{size:A4;margin:22mm} body{font-family:'Noto Serif CJK SC',serif;font-size:11pt;line-height:1.75}\
         .p{page-break-after:always} h1{text-align:center;font-size:18pt} table{border-collapse:collapse;width:100%}\
         td{border:1px solid #000;padding:4pt} .seal{float:right;text-align:center} .cut{border-top:1px dashed #000;margin-top:40pt;text-align:center;font-size:8pt}\
         </style><body>",
    );
    let mut reader = NoticeReader::new(conn, case_ids);
    for k in 0..case_ids.len() {
        let Some((d, problems)) = reader.take(k)? else {
            continue;
        };
        let Some(category) = d.category.filter(|c| c.is_planned()) else {
            continue;
        };
        let body = settings.body(category, &town.town_name);
        let (contact_name, contact_phone) = contact(&settings, &d);
        html.push_str(&format!(
            "<div class=p><div style=\"text-align:right;font-size:9pt\">编号：{}-{:06}</div><h1>{}农村户厕问题整改告知单</h1><b>{}（户主）：</b>\
             <table><tr><td>户主<td>{}<td>身份证号<td>{}</tr><tr><td>行政村·社<td>{}{}<td>联系电话<td>{}</tr>\
             <tr><td>户厕<td>第{}个，{}<td>建设年度<td>{}</tr><tr><td>财政补助<td>{}<td>核查日期<td>{}</tr></table>\
             <p><b>一、核查发现的问题</b></p>{}<p><b>二、整改要求</b></p><p>整改类别：{}</p><p>整改措施：{}</p><p>完成时限：{}</p>\
             <p style=\"text-indent:2em\">{}</p><p>联系人：{}　联系电话：{}</p><div class=seal>（盖章）<br>{}人民政府<br>{}</div>\
             <div class=cut style=\"clear:both\">沿此线剪开，回执由村（社）收回</div><h2 style=\"text-align:center\">回　　执</h2>\
             <p style=\"text-indent:2em\">本户已收到编号为{}-{:06}的《农村户厕问题整改告知单》，{}。</p><p>户主（签字或按手印）：________　日期：____年__月__日</p></div>",
            esc(&town.town_name), d.case_id, esc(&town.town_name), esc(&d.head_name), esc(&d.head_name),
            d.id_number.as_deref().map(mask_id).unwrap_or_default(), esc(&d.village), esc(&d.group),
            d.phone.as_deref().map(mask_phone).unwrap_or_default(), d.seq, d.tech_mode.map_or("", |t| t.label()),
            d.build_year.map(|y| y.to_string()).unwrap_or_default(), d.subsidy_year.map(|y| y.to_string()).unwrap_or_default(),
            chinese_date(&d.inspected_on),
            problems.iter().enumerate().map(|(i, p)| format!("<p>{}. {}</p>", i + 1, esc(p))).collect::<String>(),
            category.label(), esc(d.measures.as_deref().unwrap_or("")), month_text(&d.planned_month),
            esc(&body), esc(&contact_name), esc(&contact_phone), esc(&town_title(&town)), chinese_date(today),
            esc(&town.town_name), d.case_id, promise(category),
        ));
    }
    html.push_str("</body></html>");
    Ok(html)
}

#[allow(clippy::too_many_arguments)]
fn notice_page(
    doc: &mut Doc,
    town: &TownSettings,
    settings: &NoticeSettings,
    body_text: &str,
    category: Category,
    d: &NoticeData,
    problems: &[String],
    today: &str,
) {
    let first = doc.page_count() - 1;
    let (m, w) = (doc.margin, doc.inner_width());
    let who = format!("农户{}（{}{}）", d.head_name, d.village, d.group);
    doc.check(&who, &d.head_name);
    doc.y = m - 18.0;
    let number = crate::fieldwork::paper::notice_number(&town.town_name, d.case_id);
    let number_line = format!("编号：{number}");
    doc.text_in(
        first,
        m,
        w,
        doc.y,
        &number_line,
        Face::Regular,
        9.0,
        Align::Right,
    );
    doc.y += 20.0;
    doc.centered(
        &format!("{}农村户厕问题整改告知单", town.town_name),
        Face::Bold,
        18.0,
        14.0,
    );
    doc.paragraph(
        &format!("{}（户主）：", d.head_name),
        Face::Bold,
        11.5,
        false,
    );
    doc.y += 2.0;

    household_table(doc, d, &who);
    doc.y += 10.0;

    doc.paragraph("一、核查发现的问题", Face::Bold, 11.5, false);
    for (i, p) in problems.iter().enumerate() {
        doc.paragraph(&format!("{}. {p}", i + 1), Face::Regular, 11.0, false);
    }
    doc.y += 4.0;
    doc.paragraph("二、整改要求", Face::Bold, 11.5, false);
    doc.paragraph(
        &format!("整改类别：{}", category.label()),
        Face::Regular,
        11.0,
        false,
    );
    let measures = d
        .measures
        .clone()
        .unwrap_or_else(|| "由镇、村研究确定后另行告知。".into());
    doc.paragraph(&format!("整改措施：{measures}"), Face::Regular, 11.0, false);
    let passed = if deadline_passed(&d.planned_month, today) {
        "（此时限已过，请与村、镇联系商定新的完成时间）"
    } else {
        ""
    };
    doc.paragraph(
        &format!("完成时限：{}{passed}", month_text(&d.planned_month)),
        Face::Regular,
        11.0,
        false,
    );
    // 责任人 and the money on one line: a short notice stays one page with its 回执.
    let funding = d
        .funding
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty());
    let funding = match category {
        Category::PlanTownFunded => {
            format!("镇补助资金：{}", funding.unwrap_or("按镇里的补助标准"))
        }
        _ => format!("资金来源：{}", funding.unwrap_or("全区改厕计划资金")),
    };
    let line = match &d.responsible {
        Some(r) => format!("责任人：{r}　　{funding}"),
        None => funding,
    };
    doc.paragraph(&line, Face::Regular, 11.0, false);
    doc.y += 4.0;
    doc.paragraph(body_text, Face::Regular, 11.0, true);
    let (name, phone) = contact(settings, d);
    let contact = format!(
        "联系人：{}    联系电话：{}",
        if name.is_empty() {
            "____________"
        } else {
            &name
        },
        if phone.is_empty() {
            "________________"
        } else {
            &phone
        }
    );
    let receipt = format!(
        "本户已收到编号为{number}的《农村户厕问题整改告知单》，知晓{}{}户主{}家第{}个户厕存在的问题，{}。",
        d.village, d.group, d.head_name, d.seq, promise(category)
    );
    let signature = "户主（签字或按手印）：________________        日期：______年____月____日";

    // The 联系人 line, the seal and date, the cut line and the 回执 stay together after the
    // text: on a new page when they do not fit below it.
    let block = 2.0
        + doc.paragraph_height(&contact, Face::Regular, 11.0, false)
        + 8.0
        + SEAL_TO_CUT
        // From the cut line to the 回执's title, the title and the space below it.
        + 14.0
        + 14.0
        + 10.0
        + doc.paragraph_height(&receipt, Face::Regular, 11.0, true)
        + 16.0
        + doc.paragraph_height(signature, Face::Regular, 11.0, false);
    if doc.y + block > doc.bottom {
        doc.new_page();
    }
    let page = doc.page_count() - 1;
    doc.y += 2.0;
    doc.paragraph(&contact, Face::Regular, 11.0, false);

    // Seal area and date, right-aligned.
    doc.y += 8.0;
    let seal_w = 150.0;
    let seal_x = m + w - seal_w;
    let seal_y = doc.y;
    doc.rect(page, seal_x + 35.0, seal_y, 80.0, 52.0, true);
    doc.text_in(
        page,
        seal_x + 35.0,
        80.0,
        seal_y + 20.0,
        "（盖章）",
        Face::Regular,
        9.0,
        Align::Center,
    );
    doc.text_in(
        page,
        seal_x - 60.0,
        seal_w + 60.0,
        seal_y + 58.0,
        &format!("{}人民政府", town_title(town)),
        Face::Regular,
        11.0,
        Align::Center,
    );
    doc.text_in(
        page,
        seal_x,
        seal_w,
        seal_y + 76.0,
        &chinese_date(today),
        Face::Regular,
        11.0,
        Align::Center,
    );

    // 回执 below the cut line, at the foot of the page.
    let cut_y = doc.height - m - 150.0;
    let cut_y = cut_y.max(seal_y + SEAL_TO_CUT);
    doc.cut_line(page, cut_y, "沿此线剪开，回执由村（社）收回");
    doc.y = cut_y + 14.0;
    doc.centered("回　　执", Face::Bold, 14.0, 10.0);
    doc.paragraph(&receipt, Face::Regular, 11.0, true);
    doc.y += 16.0;
    doc.paragraph(signature, Face::Regular, 11.0, false);

    // A notice that ran past its first page says whose it is on every page.
    paper_pages(
        doc,
        first,
        &format!(
            "{}农村户厕问题整改告知单（续）　户主：{}",
            town.town_name, d.head_name
        ),
        &number_line,
    );
}

/// Whom the household contacts, and the phone: the office's own (打印设置) when it set either;
/// else the case's 责任人 when the staff list gives a phone for that name; else nothing (blank
/// lines on the paper, to fill in by hand).
fn contact(settings: &NoticeSettings, d: &NoticeData) -> (String, String) {
    let (name, phone) = (settings.contact.trim(), settings.phone.trim());
    if !name.is_empty() || !phone.is_empty() {
        return (name.to_string(), phone.to_string());
    }
    match (&d.responsible, &d.responsible_phone) {
        (Some(who), Some(phone)) => (who.trim().to_string(), phone.clone()),
        _ => (String::new(), String::new()),
    }
}

/// From the top of the seal box to the cut line, at least.
const SEAL_TO_CUT: f32 = 100.0;

/// The head of a case's paper from `top`: its number with `suffix` at the right, the title in
/// `size` points, and the household table. Returns the number as printed.
pub(super) fn case_head(
    doc: &mut Doc,
    town_name: &str,
    d: &NoticeData,
    top: f32,
    (suffix, title, size): (&str, &str, f32),
) -> String {
    let page = doc.page_count() - 1;
    let (m, w) = (doc.margin, doc.inner_width());
    let who = format!("农户{}（{}{}）", d.head_name, d.village, d.group);
    doc.check(&who, &d.head_name);
    doc.y = top;
    let number = format!(
        "编号：{}（{suffix}）",
        crate::fieldwork::paper::notice_number(town_name, d.case_id)
    );
    doc.text_in(page, m, w, doc.y, &number, Face::Regular, 9.0, Align::Right);
    doc.y += size + 2.0;
    doc.centered(
        &format!("{town_name}{title}"),
        Face::Bold,
        size,
        size * 0.75,
    );
    household_table(doc, d, &who);
    number
}

/// The household and its toilet as a small table (the notice's and the 验收单's head).
pub(super) fn household_table(doc: &mut Doc, d: &NoticeData, who: &str) {
    // The household and the toilet, as a small table.
    let yes_no = |b: Option<bool>| match b {
        Some(true) => "是",
        Some(false) => "否",
        None => "未登记",
    };
    let subsidy = match (d.subsidized, d.subsidy_year) {
        (Some(true), Some(y)) => format!("是（{y}年）"),
        (b, _) => yes_no(b).to_string(),
    };
    let cols = [
        Column::left("项目", 1.0),
        Column::left("内容", 2.2),
        Column::left("项目", 1.0),
        Column::left("内容", 2.2),
    ];
    let place = format!("{}{}", d.village, d.group);
    let rows = vec![
        vec![
            "户主".into(),
            d.head_name.clone(),
            "身份证号".into(),
            d.id_number
                .as_deref()
                .map(mask_id)
                .unwrap_or_else(|| "未登记".into()),
        ],
        vec![
            "行政村·社".into(),
            place,
            "联系电话".into(),
            d.phone
                .as_deref()
                .map(mask_phone)
                .unwrap_or_else(|| "未登记".into()),
        ],
        vec![
            "户厕".into(),
            format!(
                "第{}个，{}",
                d.seq,
                d.tech_mode.map_or("技术模式未登记", |t| t.label())
            ),
            "建设年度".into(),
            d.build_year.map_or("未登记".into(), |y| format!("{y}年")),
        ],
        vec![
            "财政补助".into(),
            subsidy,
            "核查日期".into(),
            chinese_date(&d.inspected_on),
        ],
    ];
    if let Some(a) = &d.address {
        doc.check(&format!("{who}的住址"), a);
    }
    doc.table(
        &cols,
        &rows,
        &TableStyle {
            header: false,
            size: 10.0,
            header_size: 10.0,
            padding: 4.0,
        },
        &mut |_| {},
    );
}

/// What the household's 回执 says it will do.
/// The planned month is before `today`'s month.
fn deadline_passed(month: &Option<String>, today: &str) -> bool {
    month
        .as_deref()
        .is_some_and(|m| today.get(..7).is_some_and(|t| m < t))
}

fn past_deadline_note(heads: &[String]) -> String {
    let shown: Vec<&str> = heads.iter().take(5).map(String::as_str).collect();
    format!(
        "{} 份告知单的完成时限已过（{}{}），告知单上已注明“此时限已过”；请在问题台账中改定计划完成时间后重新打印",
        heads.len(),
        shown.join("、"),
        if heads.len() > shown.len() { " 等" } else { "" }
    )
}

fn promise(category: Category) -> &'static str {
    match category {
        Category::PlanDistrict => "已纳入全区改厕计划，将配合施工人员入户整改",
        _ => "同意上述整改方案，将按时完成整改",
    }
}
