//! 农村户厕问题整改验收单: one page per case ready for acceptance (or already closed out), with
//! the problems found, what was done, the verifier's conclusion and the household head's
//! confirmation (户主确认) — signed on paper, then recorded at 销号 with its scan.

use crate::store::sql::{Db, Optional};

use super::layout::{Align, Doc, Face};
use super::notice::{case_head, NoticeReader};
use super::page::{chinese_date, paper_pages, town_title, Printed};
use crate::error::{Error, Result};
use crate::fieldwork::rectification::{self, LedgerFilter};
use crate::model::{CaseState, Category};
use crate::store::settings::TownSettings;

/// What the case says about its rectification and acceptance.
struct Acceptance {
    state: CaseState,
    /// When the rectification was recorded done, and by whom.
    fixed: Option<(String, String)>,
    /// When it was closed out, and the verifier.
    closed: Option<(String, Option<String>)>,
    head_confirmed: Option<bool>,
    unconfirmed_reason: Option<String>,
}

fn acceptance(conn: Db<'_>, case_id: i64) -> Result<Acceptance> {
    let (state, head_confirmed, unconfirmed_reason) = conn.query_row(
        "SELECT state, head_confirmed, unconfirmed_reason FROM rectifications WHERE id = ?1",
        [case_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let last_to = |to: &str| -> Result<Option<(String, String, Option<String>)>> {
        conn.prepare_cached(
            "SELECT e.happened_on, a.name, v.name FROM rectification_events e
                 JOIN staff a ON a.id = e.actor_id LEFT JOIN staff v ON v.id = e.verifier_id
                 WHERE e.rectification_id = ?1 AND e.to_state = ?2 ORDER BY e.id DESC LIMIT 1",
        )?
        .query_row(rusqlite::params![case_id, to], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()
    };
    let fixed = last_to("awaiting_acceptance")?.map(|(on, who, _)| (on, who));
    let closed = if state == CaseState::Closed {
        last_to("closed")?.map(|(on, _, verifier)| (on, verifier))
    } else {
        None
    };
    Ok(Acceptance {
        state,
        fixed,
        closed,
        head_confirmed,
        unconfirmed_reason,
    })
}

/// The cases a 验收单 run covers: the ticked ones, or the filter's, that are awaiting acceptance
/// or closed out, in the ledger's order.
pub fn acceptance_cases<'a>(
    db: impl Into<Db<'a>>,
    filter: &LedgerFilter,
    picked: Option<&[i64]>,
    today: &str,
) -> Result<Vec<i64>> {
    let conn = db.into();
    let page = rectification::ledger(conn, filter, today, 0, i64::MAX)?;
    Ok(page
        .rows
        .into_iter()
        .filter(|r| matches!(r.state, CaseState::AwaitingAcceptance | CaseState::Closed))
        .filter(|r| picked.is_none_or(|ids| ids.contains(&r.case_id)))
        .map(|r| r.case_id)
        .collect())
}

/// 验收单: one per case, in the order given; a page each unless a case's problems run past it.
pub fn acceptance_sheets<'a>(
    db: impl Into<Db<'a>>,
    case_ids: &[i64],
    today: &str,
) -> Result<Printed> {
    let conn = db.into();
    if case_ids.is_empty() {
        return Err(Error::Invalid(
            "所选范围内没有“已整改待验收”或已销号的问题户厕，不需要验收单。请先登记整改完成。"
                .into(),
        ));
    }
    let town = TownSettings::load(conn)?;
    let mut doc = Doc::new("农村户厕问题整改验收单", false, 22.0);
    let mut reader = NoticeReader::new(conn, case_ids);
    for (k, id) in case_ids.iter().enumerate() {
        let Some((d, problems)) = reader.take(k)? else {
            continue;
        };
        let a = acceptance(conn, *id)?;
        if !matches!(a.state, CaseState::AwaitingAcceptance | CaseState::Closed) {
            continue;
        }
        doc.new_page();
        let first = doc.page_count() - 1;
        let (m, w) = (doc.margin, doc.inner_width());
        let top = m - 18.0;
        let number = case_head(
            &mut doc,
            &town.town_name,
            &d,
            top,
            ("验收", "农村户厕问题整改验收单", 18.0),
        );
        doc.y += 10.0;

        doc.paragraph("一、核查发现的问题", Face::Bold, 11.5, false);
        for (i, p) in problems.iter().enumerate() {
            doc.paragraph(&format!("{}. {p}", i + 1), Face::Regular, 11.0, false);
        }
        doc.y += 4.0;
        doc.paragraph("二、整改情况", Face::Bold, 11.5, false);
        let category = d.category.map_or("未确定", Category::label);
        doc.paragraph(&format!("整改类别：{category}"), Face::Regular, 11.0, false);
        let measures = match (d.category, d.measures.as_deref()) {
            (Some(Category::ImmediateFix), None) => "核查时当场整改".to_string(),
            (_, Some(m)) => m.to_string(),
            (_, None) => "未填写".to_string(),
        };
        doc.paragraph(&format!("整改措施：{measures}"), Face::Regular, 11.0, false);
        let fixed = match &a.fixed {
            Some((on, by)) => format!("整改完成：{}（{by}登记）", chinese_date(on)),
            None => "整改完成：______年____月____日".into(),
        };
        doc.paragraph(&fixed, Face::Regular, 11.0, false);

        // 三、验收意见, 四、户主确认 and the town's seal stay together after the text: on a new
        // page when they do not fit below it.
        let closing = signing_block(&a, d.seq);
        let height: f32 = closing
            .iter()
            .map(|p| p.before + doc.paragraph_height(&p.text, p.face, p.size, p.indent))
            .sum();
        if doc.y + height + SEAL_HEIGHT > doc.bottom {
            doc.new_page();
        }
        for p in &closing {
            doc.y += p.before;
            doc.paragraph(&p.text, p.face, p.size, p.indent);
        }

        // The town's seal at the foot.
        let page = doc.page_count() - 1;
        let y = (doc.height - m - 80.0).max(doc.y + 20.0);
        doc.text_in(
            page,
            m + w - 260.0,
            260.0,
            y,
            &format!("{}人民政府（盖章）", town_title(&town)),
            Face::Regular,
            11.0,
            Align::Center,
        );
        doc.text_in(
            page,
            m + w - 260.0,
            260.0,
            y + 18.0,
            &format!("打印日期：{}", chinese_date(today)),
            Face::Regular,
            10.0,
            Align::Center,
        );

        // A sheet that ran past its first page says whose it is on every page.
        paper_pages(
            &mut doc,
            first,
            &format!(
                "{}农村户厕问题整改验收单（续）　户主：{}",
                town.town_name, d.head_name
            ),
            &number,
        );
    }
    let pages = doc.page_count();
    if pages == 0 {
        return Err(Error::Invalid(
            "所选的问题户厕都不在“已整改待验收”或已销号状态，不需要验收单。".into(),
        ));
    }
    super::page::finished(doc)
}

/// From the last line above the seal to the foot of its print date, at least.
const SEAL_HEIGHT: f32 = 20.0 + 18.0 + 12.0;

/// A paragraph of the sheet's signing block: the space above it and what [`Doc::paragraph`]
/// takes.
struct Para {
    before: f32,
    text: String,
    face: Face,
    size: f32,
    indent: bool,
}

fn para(before: f32, text: impl Into<String>, face: Face, size: f32, indent: bool) -> Para {
    Para {
        before,
        text: text.into(),
        face,
        size,
        indent,
    }
}

/// 三、验收意见 (the verifier's conclusion and signature) and 四、户主确认 (the household head's
/// signature, or why the head did not sign) of toilet number `seq`.
fn signing_block(a: &Acceptance, seq: i64) -> Vec<Para> {
    let r = Face::Regular;
    let mut block = vec![para(4.0, "三、验收意见", Face::Bold, 11.5, false)];
    match &a.closed {
        Some((on, verifier)) => {
            block.push(para(
                0.0,
                format!(
                    "经现场验收，上述问题已整改到位，验收合格，同意销号（{}）。",
                    chinese_date(on)
                ),
                r,
                11.0,
                true,
            ));
            block.push(para(
                10.0,
                format!(
                    "验收人：{}（签字）________________        日期：______年____月____日",
                    verifier.as_deref().unwrap_or("")
                ),
                r,
                11.0,
                false,
            ));
        }
        None => {
            block.push(para(
                0.0,
                "验收结论（请圈选）：合格，同意销号 ／ 不合格，继续整改",
                r,
                11.0,
                false,
            ));
            block.push(para(
                0.0,
                "不合格的原因和要求：________________________________________________",
                r,
                11.0,
                false,
            ));
            block.push(para(
                10.0,
                "验收人（签字）：________________  ________________        日期：______年____月____日",
                r,
                11.0,
                false,
            ));
        }
    }
    block.push(para(10.0, "四、户主确认", Face::Bold, 11.5, false));
    block.push(para(
        0.0,
        format!("本户第{seq}个户厕的上述问题已整改，我已知晓验收结果，同意销号。"),
        r,
        11.0,
        true,
    ));
    block.push(para(
        14.0,
        "户主（签字或按手印）：________________        日期：______年____月____日",
        r,
        11.0,
        false,
    ));
    if let (Some(false), Some(why)) = (a.head_confirmed, &a.unconfirmed_reason) {
        block.push(para(
            6.0,
            format!("户主未签字确认，原因：{why}"),
            r,
            10.5,
            false,
        ));
    }
    block
}
