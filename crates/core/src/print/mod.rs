//! Printed documents (A4 PDFs, Simplified Chinese): 整改告知单 (one per problem toilet, with a
//! 回执 below a cut line), 问题厕所台账 and 改厕台账 (landscape tables, header repeated, 第 x 页
//! 共 y 页, 制表人/审核人), and the 签字背书表 of a village or 社. All drawn by [`layout`] over
//! printpdf with the bundled Noto Serif CJK SC faces, subset into each file.

mod bulletin;
mod check_sheet;
pub mod layout;
pub mod photo;

pub use bulletin::{bulletin, bulletin_as_of, bulletin_cells, Cell, BULLETIN_COLUMNS};
pub use check_sheet::check_sheets;

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::fieldwork::rectification::{self, LedgerFilter};
use crate::model::{CaseState, Category, Cause, InspectionKind, TechMode};
use crate::places::households::Scope;
use crate::places::idcard::{mask_id, mask_phone};
use crate::store::settings::{self, TownSettings};
use layout::{Align, Column, Doc, Face, TableStyle};

/// A finished document.
#[derive(Debug, Clone)]
pub struct Printed {
    pub bytes: Vec<u8>,
    pub pages: usize,
    /// Characters the fonts lack, naming where they occur (empty when all is well).
    pub warnings: Vec<String>,
}

/// What the office puts on every notice: the paragraph of notice text and the contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeSettings {
    pub text: String,
    pub contact: String,
    pub phone: String,
}

const KEY_NOTICE: &str = "notice_settings";

pub const DEFAULT_NOTICE_TEXT: &str = "根据《{镇}农村户厕问题摸排整改工作方案》，经入户核查，您家户厕存在上述问题。请按照告知的整改措施和完成时限抓紧整改，整改完成后及时告知村（社）干部，由镇组织验收销号。整改中遇到困难，请与联系人联系。感谢您对农村人居环境整治工作的理解和支持！";

impl NoticeSettings {
    pub fn load(conn: &Connection) -> Result<NoticeSettings> {
        if let Some(json) = settings::get(conn, KEY_NOTICE)? {
            if let Ok(s) = serde_json::from_str(&json) {
                return Ok(s);
            }
        }
        Ok(NoticeSettings {
            text: DEFAULT_NOTICE_TEXT.into(),
            contact: String::new(),
            phone: String::new(),
        })
    }

    fn check(&self) -> Result<()> {
        if self.text.trim().is_empty() {
            return Err(crate::Error::Invalid(
                "告知单正文不能为空。可以点“恢复默认”使用默认的正文。".into(),
            ));
        }
        if self.text.chars().count() > 600 {
            return Err(crate::Error::Invalid(
                "告知单正文请控制在 600 字以内，以免一页印不下。".into(),
            ));
        }
        Ok(())
    }

    /// Saves the notice text and contact, audited, in one unit.
    pub fn save(&self, conn: &Connection) -> Result<()> {
        DocumentSettings {
            notice: self.clone(),
            folder: None,
        }
        .save(conn)
    }
}

const KEY_DOCUMENTS_DIR: &str = "documents_dir";

/// What the office sets for its documents: the notice text and contact printed on every
/// notice, and the folder the PDFs go into. Changing them needs the settings permission (the
/// app's gate) and is audited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentSettings {
    pub notice: NoticeSettings,
    /// The documents folder chosen by the office (`None`: `文书/` beside the database). When
    /// saving: `None` leaves it as it is, an empty text sets it back to the default.
    #[serde(default)]
    pub folder: Option<String>,
}

impl DocumentSettings {
    pub fn load(conn: &Connection) -> Result<DocumentSettings> {
        Ok(DocumentSettings {
            notice: NoticeSettings::load(conn)?,
            folder: settings::get(conn, KEY_DOCUMENTS_DIR)?.filter(|d| !d.trim().is_empty()),
        })
    }

    /// The folder printed documents go into for the database at `db_path`.
    pub fn documents_dir(&self, db_path: &std::path::Path) -> std::path::PathBuf {
        match &self.folder {
            Some(f) => std::path::PathBuf::from(f),
            None => crate::store::paths::documents_dir(db_path),
        }
    }

    /// Saves what changed (the notice, the folder), with its audit entry, in one unit. A folder
    /// must be a full path.
    pub fn save(&self, conn: &Connection) -> Result<()> {
        self.notice.check()?;
        let folder = self.folder.as_deref().map(str::trim);
        if let Some(f) = folder.filter(|f| !f.is_empty()) {
            if !std::path::Path::new(f).is_absolute() {
                return Err(crate::Error::Invalid(
                    "请选择一个完整的文件夹位置（例如 D:\\户厕文书），不要只写文件夹名。".into(),
                ));
            }
        }
        let json = serde_json::to_string(&self.notice).expect("settings serialise");
        crate::store::db::atomically(conn, |conn| {
            let old_notice = settings::get(conn, KEY_NOTICE)?;
            let old_folder = settings::get(conn, KEY_DOCUMENTS_DIR)?;
            // Unchanged from what the office sees (the defaults until first saved): nothing to do.
            let notice_changed = NoticeSettings::load(conn)? != self.notice;
            // An empty folder is the default, which is kept as no setting at all.
            let wanted = folder.map(|f| Some(f).filter(|f| !f.is_empty()));
            let folder_changed = wanted.is_some_and(|w| old_folder.as_deref() != w);
            if notice_changed {
                settings::set(conn, KEY_NOTICE, &json)?;
                crate::store::audit::append_now(
                    conn,
                    "settings.documents",
                    "settings",
                    KEY_NOTICE,
                    &if self.notice.contact.trim().is_empty() && self.notice.phone.trim().is_empty()
                    {
                        "修改告知单正文和联系人".to_string()
                    } else {
                        format!(
                            "修改告知单正文和联系人（联系人：{}，电话：{}）",
                            self.notice.contact, self.notice.phone
                        )
                    },
                    serde_json::json!({ "notice": [old_notice, json] }),
                )?;
            }
            if let (true, Some(f)) = (folder_changed, wanted) {
                match f {
                    Some(f) => settings::set(conn, KEY_DOCUMENTS_DIR, f)?,
                    None => {
                        conn.execute("DELETE FROM settings WHERE key = ?1", [KEY_DOCUMENTS_DIR])?;
                    }
                }
                crate::store::audit::append_now(
                    conn,
                    "settings.documents",
                    "settings",
                    KEY_DOCUMENTS_DIR,
                    &match f {
                        Some(f) => format!("文书保存位置改为“{f}”"),
                        None => "文书保存位置改回默认（数据库旁的“文书”文件夹）".to_string(),
                    },
                    serde_json::json!({ "documents_dir": [old_folder, f] }),
                )?;
            }
            Ok(())
        })
    }
}

fn town_title(t: &TownSettings) -> String {
    format!("{}{}", t.district_name, t.town_name)
}

fn chinese_date(day: &str) -> String {
    match (day.get(0..4), day.get(5..7), day.get(8..10)) {
        (Some(y), Some(m), Some(d)) => format!(
            "{y}年{}月{}日",
            m.trim_start_matches('0'),
            d.trim_start_matches('0')
        ),
        _ => day.to_string(),
    }
}

fn month_text(m: &Option<String>) -> String {
    match m {
        Some(m) => match (m.get(..4), m.get(5..)) {
            (Some(y), Some(mo)) if m.len() == 7 => {
                format!("{y}年{}月底前", mo.trim_start_matches('0'))
            }
            _ => "—".into(),
        },
        _ => "—".into(),
    }
}

fn page_footer(doc: &mut Doc, page: usize, n: usize, total: usize, signers: bool) {
    let y = doc.height - doc.margin * 0.75;
    let (m, w) = (doc.margin, doc.inner_width());
    if signers {
        doc.text_at(
            page,
            m,
            y,
            "制表人：____________    审核人：____________",
            Face::Regular,
            9.0,
        );
    }
    doc.text_in(
        page,
        m,
        w,
        y,
        &format!("第 {n} 页 共 {total} 页"),
        Face::Regular,
        9.0,
        Align::Right,
    );
}

// ---------------------------------------------------------------------------------------------
// 整改告知单

struct NoticeData {
    case_id: i64,
    head_name: String,
    id_number: Option<String>,
    phone: Option<String>,
    village: String,
    group: String,
    address: Option<String>,
    seq: i64,
    tech_mode: Option<TechMode>,
    build_year: Option<i64>,
    subsidized: Option<bool>,
    subsidy_year: Option<i64>,
    inspected_on: String,
    inspection_id: i64,
    category: Option<Category>,
    measures: Option<String>,
    responsible: Option<String>,
    planned_month: Option<String>,
}

fn notice_data(conn: &Connection, case_id: i64) -> Result<Option<(NoticeData, Vec<String>)>> {
    let data = conn
        .prepare_cached(
            "SELECT r.id, h.head_name, h.id_number, h.phone, v.name, g.name, h.address, t.seq, t.tech_mode,
                    t.build_year, t.subsidized, t.subsidy_year, i.inspected_on, i.id, r.category,
                    r.measures, r.responsible, r.planned_month
             FROM rectifications r
             JOIN households h ON h.id = r.household_id
             JOIN villages v ON v.id = r.village_id
             JOIN village_groups g ON g.id = r.group_id
             JOIN toilets t ON t.id = r.toilet_id
             JOIN inspections i ON i.id = r.inspection_id
             WHERE r.id = ?1",
        )?
        .query_row([case_id], |r| {
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
            })
        })
        .optional()?;
    let Some(data) = data else { return Ok(None) };
    let problems = conn
        .prepare_cached(
            "SELECT pi.name, p.stops_use, p.cause, p.remarks FROM inspection_problems p
             JOIN problem_items pi ON pi.id = p.item_id WHERE p.inspection_id = ?1 ORDER BY p.id",
        )?
        .query_map([data.inspection_id], |r| {
            let name: String = r.get(0)?;
            let stops: bool = r.get(1)?;
            let cause: Option<Cause> = r.get(2)?;
            let remarks: Option<String> = r.get(3)?;
            let mut s = name;
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
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some((data, problems)))
}

/// The cases a notice run covers: the ledger filter's cases that are not closed yet.
pub fn notice_cases(
    conn: &Connection,
    filter: &LedgerFilter,
    this_month: &str,
) -> Result<Vec<i64>> {
    let page = rectification::ledger(conn, filter, this_month, 0, i64::MAX)?;
    Ok(page
        .rows
        .into_iter()
        .filter(|r| r.state != CaseState::Closed)
        .map(|r| r.case_id)
        .collect())
}

/// Of the cases picked in the ledger, those not closed out, in the ledger's place order.
pub fn open_cases_among(conn: &Connection, ids: &[i64]) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.id, v.sort_order, g.sort_order, r.household_id FROM rectifications r
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
                ))
            })
            .optional()?
        {
            found.push(row);
        }
    }
    found.sort_unstable();
    found.dedup();
    Ok(found.into_iter().map(|r| r.3).collect())
}

/// 整改告知单: one page per case, in the order given. `progress(done, total)` is called as pages
/// are laid out.
pub fn notices(
    conn: &Connection,
    case_ids: &[i64],
    today: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Printed> {
    if case_ids.is_empty() {
        return Err(crate::Error::Invalid(
            "所选范围内没有需要告知的问题户厕（已销号的不再打印告知单）。请换一个行政村或筛选条件。".into(),
        ));
    }
    let town = TownSettings::load(conn)?;
    let settings = NoticeSettings::load(conn)?;
    let body_text = settings.text.replace("{镇}", &town.town_name);
    let mut doc = Doc::new("农村户厕问题整改告知单", false, 22.0);
    doc.bottom = doc.height - doc.margin * 0.8;
    for (k, id) in case_ids.iter().enumerate() {
        progress(k, case_ids.len());
        let Some((d, problems)) = notice_data(conn, *id)? else {
            continue;
        };
        doc.new_page();
        notice_page(&mut doc, &town, &settings, &body_text, &d, &problems, today);
    }
    progress(case_ids.len(), case_ids.len());
    let pages = doc.page_count();
    let warnings = doc.warnings.clone();
    Ok(Printed {
        bytes: doc.finish(),
        pages,
        warnings,
    })
}

/// The same notices as HTML (one per printed page), for comparing with a browser's
/// print-to-PDF in the benchmark.
pub fn notices_html(conn: &Connection, case_ids: &[i64], today: &str) -> Result<String> {
    fn esc(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    }
    let town = TownSettings::load(conn)?;
    let settings = NoticeSettings::load(conn)?;
    let body = settings.text.replace("{镇}", &town.town_name);
    let mut html = String::from(
        "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><style>\
         @page{size:A4;margin:22mm} body{font-family:'Noto Serif CJK SC',serif;font-size:11pt;line-height:1.75}\
         .p{page-break-after:always} h1{text-align:center;font-size:18pt} table{border-collapse:collapse;width:100%}\
         td{border:1px solid #000;padding:4pt} .seal{float:right;text-align:center} .cut{border-top:1px dashed #000;margin-top:40pt;text-align:center;font-size:8pt}\
         </style><body>",
    );
    for id in case_ids {
        let Some((d, problems)) = notice_data(conn, *id)? else {
            continue;
        };
        html.push_str(&format!(
            "<div class=p><div style=\"text-align:right;font-size:9pt\">编号：{}-{:06}</div><h1>{}农村户厕问题整改告知单</h1><b>{}（户主）：</b>\
             <table><tr><td>户主<td>{}<td>身份证号<td>{}</tr><tr><td>行政村·社<td>{}{}<td>联系电话<td>{}</tr>\
             <tr><td>户厕<td>第{}个，{}<td>建设年度<td>{}</tr><tr><td>财政补助<td>{}<td>核查日期<td>{}</tr></table>\
             <p><b>一、核查发现的问题</b></p>{}<p><b>二、整改要求</b></p><p>整改类别：{}</p><p>整改措施：{}</p><p>完成时限：{}</p>\
             <p style=\"text-indent:2em\">{}</p><p>联系人：{}　联系电话：{}</p><div class=seal>（盖章）<br>{}人民政府<br>{}</div>\
             <div class=cut style=\"clear:both\">沿此线剪开，回执由村（社）收回</div><h2 style=\"text-align:center\">回　　执</h2>\
             <p style=\"text-indent:2em\">本户已收到编号为{}-{:06}的《农村户厕问题整改告知单》，将按时完成整改。</p><p>户主（签字或按手印）：________　日期：____年__月__日</p></div>",
            esc(&town.town_name), d.case_id, esc(&town.town_name), esc(&d.head_name), esc(&d.head_name),
            d.id_number.as_deref().map(mask_id).unwrap_or_default(), esc(&d.village), esc(&d.group),
            d.phone.as_deref().map(mask_phone).unwrap_or_default(), d.seq, d.tech_mode.map_or("", |t| t.label()),
            d.build_year.map(|y| y.to_string()).unwrap_or_default(), d.subsidy_year.map(|y| y.to_string()).unwrap_or_default(),
            chinese_date(&d.inspected_on),
            problems.iter().enumerate().map(|(i, p)| format!("<p>{}. {}</p>", i + 1, esc(p))).collect::<String>(),
            d.category.map_or("待确定", |c| c.label()), esc(d.measures.as_deref().unwrap_or("")), month_text(&d.planned_month),
            esc(&body), esc(&settings.contact), esc(&settings.phone), esc(&town_title(&town)), chinese_date(today),
            esc(&town.town_name), d.case_id,
        ));
    }
    html.push_str("</body></html>");
    Ok(html)
}

fn notice_page(
    doc: &mut Doc,
    town: &TownSettings,
    settings: &NoticeSettings,
    body_text: &str,
    d: &NoticeData,
    problems: &[String],
    today: &str,
) {
    let page = doc.page_count() - 1;
    let (m, w) = (doc.margin, doc.inner_width());
    let who = format!("农户{}（{}{}）", d.head_name, d.village, d.group);
    doc.check(&who, &d.head_name);
    doc.y = m - 18.0;
    let number = format!("编号：{}-{:06}", town.town_name, d.case_id);
    doc.text_in(page, m, w, doc.y, &number, Face::Regular, 9.0, Align::Right);
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
        Column {
            title: "项目",
            weight: 1.0,
            align: Align::Left,
        },
        Column {
            title: "内容",
            weight: 2.2,
            align: Align::Left,
        },
        Column {
            title: "项目",
            weight: 1.0,
            align: Align::Left,
        },
        Column {
            title: "内容",
            weight: 2.2,
            align: Align::Left,
        },
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
    doc.y += 10.0;

    doc.paragraph("一、核查发现的问题", Face::Bold, 11.5, false);
    for (i, p) in problems.iter().enumerate() {
        doc.paragraph(&format!("{}. {p}", i + 1), Face::Regular, 11.0, false);
    }
    doc.y += 4.0;
    doc.paragraph("二、整改要求", Face::Bold, 11.5, false);
    let category = d
        .category
        .map_or("待确定（镇村研究后另行告知）", |c| c.label());
    doc.paragraph(&format!("整改类别：{category}"), Face::Regular, 11.0, false);
    let measures = d.measures.clone().unwrap_or_else(|| match d.category {
        Some(Category::ImmediateFix) => "按核查发现的问题立即维修、整改。".into(),
        _ => "由镇、村研究确定后另行告知。".into(),
    });
    doc.paragraph(&format!("整改措施：{measures}"), Face::Regular, 11.0, false);
    let deadline = match d.category {
        Some(Category::ImmediateFix) => "立行立改，收到本告知单后尽快完成".to_string(),
        _ => month_text(&d.planned_month),
    };
    doc.paragraph(&format!("完成时限：{deadline}"), Face::Regular, 11.0, false);
    if let Some(r) = &d.responsible {
        doc.paragraph(&format!("责任人：{r}"), Face::Regular, 11.0, false);
    }
    doc.y += 4.0;
    doc.paragraph(body_text, Face::Regular, 11.0, true);
    let contact = if settings.contact.trim().is_empty() {
        "联系人：____________    联系电话：________________".to_string()
    } else {
        format!(
            "联系人：{}    联系电话：{}",
            settings.contact.trim(),
            settings.phone.trim()
        )
    };
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
    let cut_y = cut_y.max(seal_y + 100.0);
    let label = "沿此线剪开，回执由村（社）收回";
    let label_w = layout::measure(label, Face::Regular, 8.0) + 16.0;
    let gap_x = m + (w - label_w) / 2.0;
    doc.line(page, m, cut_y, gap_x, cut_y, 0.6, true);
    doc.line(page, gap_x + label_w, cut_y, m + w, cut_y, 0.6, true);
    doc.text_in(
        page,
        m,
        w,
        cut_y - 4.5,
        label,
        Face::Regular,
        8.0,
        Align::Center,
    );
    doc.y = cut_y + 14.0;
    doc.centered("回　　执", Face::Bold, 14.0, 10.0);
    doc.paragraph(
        &format!(
            "本户已收到编号为{}-{:06}的《农村户厕问题整改告知单》，知晓{}{}户主{}家第{}个户厕存在的问题和整改要求，将按时完成整改。",
            town.town_name, d.case_id, d.village, d.group, d.head_name, d.seq
        ),
        Face::Regular,
        11.0,
        true,
    );
    doc.y += 16.0;
    doc.paragraph(
        "户主（签字或按手印）：________________        日期：______年____月____日",
        Face::Regular,
        11.0,
        false,
    );
}

// ---------------------------------------------------------------------------------------------
// 问题厕所台账

/// 问题厕所台账 of the cases matching `filter` (landscape table).
pub fn problem_ledger(
    conn: &Connection,
    filter: &LedgerFilter,
    this_month: &str,
    today: &str,
    scope_title: &str,
) -> Result<Printed> {
    let town = TownSettings::load(conn)?;
    let page = rectification::ledger(conn, filter, this_month, 0, i64::MAX)?;
    let columns = [
        Column {
            title: "序号",
            weight: 0.5,
            align: Align::Center,
        },
        Column {
            title: "行政村·社",
            weight: 1.3,
            align: Align::Left,
        },
        Column {
            title: "户主",
            weight: 0.8,
            align: Align::Left,
        },
        Column {
            title: "户厕",
            weight: 1.55,
            align: Align::Left,
        },
        Column {
            title: "发现的问题",
            weight: 2.3,
            align: Align::Left,
        },
        Column {
            title: "整改类别",
            weight: 1.75,
            align: Align::Left,
        },
        Column {
            title: "整改状态",
            weight: 1.2,
            align: Align::Center,
        },
        Column {
            title: "计划完成",
            weight: 0.9,
            align: Align::Center,
        },
        Column {
            title: "责任人",
            weight: 0.8,
            align: Align::Left,
        },
        Column {
            title: "核查日期",
            weight: 1.0,
            align: Align::Center,
        },
    ];
    let mut doc = Doc::new("问题厕所台账", true, 15.0);
    doc.bottom = doc.height - doc.margin - 16.0;
    let rows: Vec<Vec<String>> = page
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            doc.check(&format!("农户{}", r.head_name), &r.head_name);
            vec![
                (i + 1).to_string(),
                format!("{}{}", r.village_name, r.group_name),
                r.head_name.clone(),
                format!(
                    "第{}个 {}",
                    r.toilet_seq,
                    r.tech_mode.map_or("—", |t| t.label())
                ),
                r.problems.clone(),
                r.category
                    .map_or("待确定".into(), |c| c.label().to_string()),
                r.state.label().to_string() + if r.overdue { "（逾期）" } else { "" },
                r.planned_month.clone().unwrap_or_else(|| "—".into()),
                r.responsible.clone().unwrap_or_default(),
                r.inspected_on.clone(),
            ]
        })
        .collect();
    let title = format!("{}问题厕所台账", town.town_name);
    let subtitle = format!(
        "{} · 共 {} 个问题户厕 · 制表日期：{}",
        scope_title,
        rows.len(),
        chinese_date(today)
    );
    table_document(doc, &title, &subtitle, &columns, &rows, true, |_, _| {})
}

/// A titled landscape table over as many pages as it needs, with page footers; `after` adds
/// what follows the table (it gets the page-head drawer for a page break of its own).
fn table_document(
    doc: Doc,
    title: &str,
    subtitle: &str,
    columns: &[Column],
    rows: &[Vec<String>],
    signers: bool,
    after: impl FnOnce(&mut Doc, &dyn Fn(&mut Doc)),
) -> Result<Printed> {
    table_document_with(doc, title, subtitle, |_| {}, columns, rows, signers, after)
}

/// [`table_document`] with `before` adding what goes between the title and the table.
#[allow(clippy::too_many_arguments)]
fn table_document_with(
    mut doc: Doc,
    title: &str,
    subtitle: &str,
    before: impl FnOnce(&mut Doc),
    columns: &[Column],
    rows: &[Vec<String>],
    signers: bool,
    after: impl FnOnce(&mut Doc, &dyn Fn(&mut Doc)),
) -> Result<Printed> {
    let head = |d: &mut Doc| {
        d.centered(title, Face::Bold, 16.0, 6.0);
        d.centered(subtitle, Face::Regular, 9.5, 8.0);
    };
    doc.new_page();
    head(&mut doc);
    before(&mut doc);
    doc.table(columns, rows, &TableStyle::default(), &mut |d| head(d));
    after(&mut doc, &head);
    doc.each_page(|d, page, n, total| page_footer(d, page, n, total, signers));
    Ok(finished(doc))
}

/// The finished document with its page count and warnings.
fn finished(doc: Doc) -> Printed {
    let pages = doc.page_count();
    let warnings = doc.warnings.clone();
    Printed {
        bytes: doc.finish(),
        pages,
        warnings,
    }
}

// ---------------------------------------------------------------------------------------------
// 改厕台账

fn scope_filter(scope: Scope) -> (&'static str, i64) {
    match scope {
        Scope::Town => ("1", 0),
        Scope::Village(v) => ("h.village_id = ?1", v),
        Scope::Group(g) => ("h.group_id = ?1", g),
    }
}

/// 改厕台账: every toilet of the place with its baseline and its current field status.
pub fn toilet_ledger(
    conn: &Connection,
    scope: Scope,
    today: &str,
    scope_title: &str,
) -> Result<Printed> {
    let town = TownSettings::load(conn)?;
    let (filter, id) = scope_filter(scope);
    let mut stmt = conn.prepare(&format!(
        "SELECT v.name, g.name, h.head_name, h.id_number, t.seq, t.tech_mode, t.location, t.build_year,
                t.subsidized, t.subsidy_year, t.use_status,
                (SELECT count(*) FROM inspections i WHERE i.toilet_id = t.id),
                (SELECT r.state FROM rectifications r WHERE r.toilet_id = t.id ORDER BY r.id DESC LIMIT 1)
         FROM toilets t JOIN households h ON h.id = t.household_id
         JOIN villages v ON v.id = h.village_id JOIN village_groups g ON g.id = h.group_id
         WHERE {filter} AND ?1 = ?1
         ORDER BY v.sort_order, v.id, g.sort_order, g.id, h.id, t.seq"
    ))?;
    let mut doc = Doc::new("改厕台账", true, 15.0);
    doc.bottom = doc.height - doc.margin - 16.0;
    let mut rows = Vec::new();
    let mut q = stmt.query(params![id])?;
    while let Some(r) = q.next()? {
        let name: String = r.get(2)?;
        doc.check(&format!("农户{name}"), &name);
        let yes_no = |b: Option<bool>| b.map_or("—", |b| if b { "是" } else { "否" });
        let state: Option<CaseState> = r.get(12)?;
        let inspected: i64 = r.get(11)?;
        rows.push(vec![
            (rows.len() + 1).to_string(),
            format!("{}{}", r.get::<_, String>(0)?, r.get::<_, String>(1)?),
            name,
            r.get::<_, Option<String>>(3)?
                .as_deref()
                .map(mask_id)
                .unwrap_or_default(),
            r.get::<_, i64>(4)?.to_string(),
            r.get::<_, Option<TechMode>>(5)?
                .map_or("—", |t| t.label())
                .to_string(),
            r.get::<_, Option<crate::model::Location>>(6)?
                .map_or("—", |t| t.label())
                .to_string(),
            r.get::<_, Option<i64>>(7)?
                .map_or("—".into(), |y| y.to_string()),
            yes_no(r.get(8)?).to_string(),
            r.get::<_, Option<i64>>(9)?
                .map_or("—".into(), |y| y.to_string()),
            r.get::<_, Option<crate::model::UseStatus>>(10)?
                .map_or("—", |t| t.label())
                .to_string(),
            match (inspected, state) {
                (0, _) => "未核查".to_string(),
                (_, None) => "已核查，无问题".to_string(),
                (_, Some(s)) => format!("问题{}", s.label()),
            },
        ]);
    }
    let columns = [
        Column {
            title: "序号",
            weight: 0.55,
            align: Align::Center,
        },
        Column {
            title: "行政村·社",
            weight: 1.3,
            align: Align::Left,
        },
        Column {
            title: "户主",
            weight: 0.8,
            align: Align::Left,
        },
        Column {
            title: "身份证号",
            weight: 1.75,
            align: Align::Left,
        },
        Column {
            title: "户厕",
            weight: 0.45,
            align: Align::Center,
        },
        Column {
            title: "技术模式",
            weight: 1.4,
            align: Align::Left,
        },
        Column {
            title: "位置",
            weight: 0.5,
            align: Align::Center,
        },
        Column {
            title: "建设年度",
            weight: 0.7,
            align: Align::Center,
        },
        Column {
            title: "财政补助",
            weight: 0.65,
            align: Align::Center,
        },
        Column {
            title: "补助年度",
            weight: 0.7,
            align: Align::Center,
        },
        Column {
            title: "使用状态",
            weight: 1.1,
            align: Align::Center,
        },
        Column {
            title: "核查与整改",
            weight: 1.4,
            align: Align::Left,
        },
    ];
    let title = format!("{}农村改厕台账", town.town_name);
    let subtitle = format!(
        "{} · 共 {} 个户厕 · 制表日期：{}",
        scope_title,
        rows.len(),
        chinese_date(today)
    );
    table_document(doc, &title, &subtitle, &columns, &rows, true, |_, _| {})
}

// ---------------------------------------------------------------------------------------------
// 签字背书表

/// 签字背书表 of a village or 社: every inspected toilet with its latest result, and the
/// signature lines 排查人 / 审核人 / 负责人 — the inspectors on record named, the pen's space left.
pub fn signoff_sheet(
    conn: &Connection,
    scope: Scope,
    today: &str,
    scope_title: &str,
) -> Result<Printed> {
    let town = TownSettings::load(conn)?;
    let (filter, id) = scope_filter(scope);
    let mut stmt = conn.prepare(&format!(
        "SELECT g.name, h.head_name, t.seq, i.inspected_on, i.kind, i.household_status, i.has_problems,
                (SELECT group_concat(pi.name, '、') FROM inspection_problems p JOIN problem_items pi ON pi.id = p.item_id
                  WHERE p.inspection_id = i.id),
                (SELECT r.category FROM rectifications r WHERE r.toilet_id = t.id ORDER BY r.id DESC LIMIT 1),
                (SELECT group_concat(s.name, '、') FROM inspection_members m JOIN staff s ON s.id = m.staff_id
                  WHERE m.inspection_id = i.id),
                (SELECT so.signer || ' ' || substr(so.signed_at, 6, 5) FROM signoffs so
                  WHERE so.inspection_id = i.id AND so.step = 'review' AND so.cleared_at IS NULL),
                (SELECT so.signer || ' ' || substr(so.signed_at, 6, 5) FROM signoffs so
                  WHERE so.inspection_id = i.id AND so.step = 'responsible' AND so.cleared_at IS NULL)
         FROM toilets t JOIN households h ON h.id = t.household_id
         JOIN village_groups g ON g.id = h.group_id
         JOIN inspections i ON i.id = (SELECT max(x.id) FROM inspections x WHERE x.toilet_id = t.id)
         WHERE {filter} AND ?1 = ?1
         ORDER BY g.sort_order, g.id, h.id, t.seq"
    ))?;
    let mut doc = Doc::new("签字背书表", true, 15.0);
    doc.bottom = doc.height - doc.margin - 16.0;
    let mut rows = Vec::new();
    let mut inspectors: Vec<String> = Vec::new();
    // Who signed in the app, by step.
    let mut reviewers: Vec<String> = Vec::new();
    let mut leaders: Vec<String> = Vec::new();
    let mut q = stmt.query(params![id])?;
    while let Some(r) = q.next()? {
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
    }
    if rows.is_empty() {
        return Err(crate::Error::Invalid(format!(
            "{scope_title}还没有核查记录，没有可以签字背书的内容。"
        )));
    }
    let columns = [
        Column {
            title: "序号",
            weight: 0.5,
            align: Align::Center,
        },
        Column {
            title: "社",
            weight: 0.6,
            align: Align::Center,
        },
        Column {
            title: "户主",
            weight: 0.8,
            align: Align::Left,
        },
        Column {
            title: "户厕",
            weight: 0.45,
            align: Align::Center,
        },
        Column {
            title: "核查日期",
            weight: 0.95,
            align: Align::Center,
        },
        Column {
            title: "核查类别",
            weight: 0.8,
            align: Align::Center,
        },
        Column {
            title: "核查结果",
            weight: 0.8,
            align: Align::Center,
        },
        Column {
            title: "发现的问题",
            weight: 2.0,
            align: Align::Left,
        },
        Column {
            title: "整改类别",
            weight: 1.3,
            align: Align::Left,
        },
        Column {
            title: "排查人",
            weight: 1.2,
            align: Align::Left,
        },
        Column {
            title: "审核（系统内）",
            weight: 1.0,
            align: Align::Left,
        },
        Column {
            title: "负责人（系统内）",
            weight: 1.0,
            align: Align::Left,
        },
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
    if let (Some(_), Some(db)) = (&anchor, conn.path().filter(|p| !p.is_empty())) {
        let at = chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string();
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

// ---------------------------------------------------------------------------------------------
// 户档案 (一户一档)

/// The household's file for a district spot check: the household, each toilet's baseline and
/// its corrections, every inspection with its group, problems and photos (upright, scaled), and
/// every problem case with its history.
pub fn household_file(
    conn: &Connection,
    household_id: i64,
    photo_dir: &std::path::Path,
    today: &str,
) -> Result<Printed> {
    household_files(conn, &[household_id], photo_dir, today)
}

/// The files of several households in one PDF (for a spot-check sample), each starting on a
/// new page, in the order given.
pub fn household_files(
    conn: &Connection,
    household_ids: &[i64],
    photo_dir: &std::path::Path,
    today: &str,
) -> Result<Printed> {
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
    Ok(finished(doc))
}

fn household_pages(
    doc: &mut Doc,
    conn: &Connection,
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
        Column {
            title: "",
            weight: 1.0,
            align: Align::Left,
        },
        Column {
            title: "",
            weight: 2.0,
            align: Align::Left,
        },
        Column {
            title: "",
            weight: 1.0,
            align: Align::Left,
        },
        Column {
            title: "",
            weight: 2.0,
            align: Align::Left,
        },
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
    for t in &h.toilets {
        doc.y += 10.0;
        doc.paragraph(&format!("二、第 {} 个户厕", t.seq), Face::Bold, 12.0, false);
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
                i.household_status.label().to_string()
            } else if i.has_problems {
                i.problems
                    .iter()
                    .map(|p| {
                        format!(
                            "{}（{}{}）",
                            p.name,
                            if p.stops_use {
                                "影响使用"
                            } else {
                                "不影响使用"
                            },
                            p.cause
                                .map(|c| format!("，{}", c.label()))
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
fn photos(doc: &mut Doc, conn: &Connection, dir: &std::path::Path, hashes: &[String], who: &str) {
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

// ---------------------------------------------------------------------------------------------
// 区级抽查样本清单

/// The list of a spot-check sample, with its seed and method printed so it can be reproduced,
/// and blank columns for the checker.
pub fn sample_list(conn: &Connection, sample_id: i64, today: &str) -> Result<Printed> {
    let town = TownSettings::load(conn)?;
    let sample = crate::reports::sampling::sample(conn, sample_id)?;
    let mut stmt = conn.prepare_cached(
        "SELECT v.name, g.name, h.head_name, t.seq, t.tech_mode, t.build_year, t.subsidized, t.subsidy_year,
                (SELECT CASE WHEN i.household_status <> 'normal' THEN '农户' || i.household_status
                             WHEN i.has_problems THEN '有问题' ELSE '无问题' END || '（' || i.inspected_on || '）'
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
        Column {
            title: "序号",
            weight: 0.5,
            align: Align::Center,
        },
        Column {
            title: "行政村·社",
            weight: 1.3,
            align: Align::Left,
        },
        Column {
            title: "户主",
            weight: 0.8,
            align: Align::Left,
        },
        Column {
            title: "户厕",
            weight: 0.45,
            align: Align::Center,
        },
        Column {
            title: "技术模式",
            weight: 1.3,
            align: Align::Left,
        },
        Column {
            title: "建设年度",
            weight: 0.7,
            align: Align::Center,
        },
        Column {
            title: "财政补助",
            weight: 0.8,
            align: Align::Center,
        },
        Column {
            title: "最近一次核查",
            weight: 1.5,
            align: Align::Left,
        },
        Column {
            title: "抽查结果",
            weight: 1.6,
            align: Align::Left,
        },
        Column {
            title: "抽查人签字",
            weight: 1.0,
            align: Align::Left,
        },
    ];
    let title = format!(
        "{}区级抽查样本清单（第 {} 号样本）",
        town.town_name, sample.id
    );
    let subtitle = format!(
        "抽样时间：{} · 随机种子：{} · 共抽 {} 个户厕（总体 {} 个）· 打印日期：{}",
        sample
            .created_at
            .get(..10)
            .map(chinese_date)
            .unwrap_or_default(),
        sample.seed,
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
