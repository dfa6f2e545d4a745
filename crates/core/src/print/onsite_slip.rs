//! 现场整改确认单: for an office that wants paper for a 立行立改 case — fixed on the spot during
//! the visit, so no notice and no deadline — a short slip the inspectors and the household head
//! sign. Two slips to an A4 page, with a cut line between them.

use crate::store::sql::{Db, Optional};

use super::layout::{Doc, Face};
use super::notice::{case_head, NoticeData, NoticeReader};
use super::page::{chinese_date, paper_pages, Printed};
use crate::error::{Error, Result};
use crate::fieldwork::rectification::{self, LedgerFilter};
use crate::model::Category;
use crate::store::settings::TownSettings;

/// The 立行立改 cases of the ticked ones, or of the filter, in the ledger's order.
pub fn onsite_cases<'a>(
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
        .filter(|r| r.category == Some(Category::ImmediateFix))
        .filter(|r| picked.is_none_or(|ids| ids.contains(&r.case_id)))
        .map(|r| r.case_id)
        .collect())
}

/// A dated step of a case and who took it.
type Step = Option<(String, String)>;

/// When and by whom the fix was recorded, and who verified it (when closed).
fn fixed_and_verified(conn: Db<'_>, case_id: i64) -> Result<(Step, Step)> {
    let step = |to: &str| -> Result<Step> {
        conn.prepare_cached(
            "SELECT e.happened_on, coalesce(v.name, a.name) FROM rectification_events e
                 JOIN staff a ON a.id = e.actor_id LEFT JOIN staff v ON v.id = e.verifier_id
                 WHERE e.rectification_id = ?1 AND e.to_state = ?2 ORDER BY e.id DESC LIMIT 1",
        )?
        .query_row(rusqlite::params![case_id, to], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()
    };
    Ok((step("awaiting_acceptance")?, step("closed")?))
}

/// A slip's case, its problems, and when the fix was recorded and verified.
struct Slip<'s> {
    d: &'s NoticeData,
    problems: &'s [String],
    fixed: Step,
    verified: Step,
}

/// The signatures that end a slip: the inspectors', then the head's confirmation.
const INSPECTORS_SIGN: &str =
    "核查人（签字）：______________  ______________      日期：______年____月____日";
const HEAD_CONFIRMS: &str = "户主确认：上述问题已当场整改。";
const HEAD_SIGNS: &str = "户主（签字或按手印）：______________      日期：______年____月____日";

/// Draws a slip from `top` on the current page: its head, its problems and how they were
/// fixed, then its signatures, kept together (on the next page when they do not fit below the
/// text). Returns its number as printed.
fn draw_slip(doc: &mut Doc, town_name: &str, slip: &Slip, top: f32) -> String {
    let d = slip.d;
    let number = case_head(
        doc,
        town_name,
        d,
        top,
        ("现场", "农村户厕问题现场整改确认单", 15.0),
    );
    doc.y += 6.0;
    doc.paragraph(
        &format!("核查发现的问题：{}", slip.problems.join("；")),
        Face::Regular,
        10.5,
        false,
    );
    doc.paragraph(
        &match &slip.fixed {
            Some((on, by)) => format!(
                "现场整改：核查时当场整改（立行立改），{}由{by}登记整改完成。",
                chinese_date(on)
            ),
            None => {
                "现场整改：核查时当场整改（立行立改）。整改情况：________________________".into()
            }
        },
        Face::Regular,
        10.5,
        false,
    );
    if let Some((on, by)) = &slip.verified {
        doc.paragraph(
            &format!("验收：{}由{by}现场验收，同意销号。", chinese_date(on)),
            Face::Regular,
            10.5,
            false,
        );
    }
    let signatures = 8.0
        + doc.paragraph_height(INSPECTORS_SIGN, Face::Regular, 10.5, false)
        + 6.0
        + doc.paragraph_height(HEAD_CONFIRMS, Face::Regular, 10.5, false)
        + doc.paragraph_height(HEAD_SIGNS, Face::Regular, 10.5, false);
    if doc.y + signatures > doc.bottom {
        doc.new_page();
    }
    doc.y += 8.0;
    doc.paragraph(INSPECTORS_SIGN, Face::Regular, 10.5, false);
    doc.y += 6.0;
    doc.paragraph(HEAD_CONFIRMS, Face::Regular, 10.5, false);
    doc.paragraph(HEAD_SIGNS, Face::Regular, 10.5, false);
    number
}

/// The dashed line across the middle of the page that the two slips are cut apart at.
fn cut_line(doc: &mut Doc) {
    let page = doc.page_count() - 1;
    let half = doc.height / 2.0;
    doc.cut_line(page, half, "沿此线剪开");
}

/// 现场整改确认单, two to a page, in the order given: a slip goes below the cut line when the
/// one above it ends above the middle and it fits there whole, else it starts a page; a slip
/// longer than a page says whose it is on every page it takes.
pub fn onsite_slips<'a>(db: impl Into<Db<'a>>, case_ids: &[i64]) -> Result<Printed> {
    let conn = db.into();
    let town = TownSettings::load(conn)?;
    let mut doc = Doc::new("农村户厕问题现场整改确认单", false, 18.0);
    let mut slips = 0;
    // The last page holds one slip, in its upper half: a second may go below the cut line.
    let mut room_below = false;
    let mut reader = NoticeReader::new(conn, case_ids);
    for k in 0..case_ids.len() {
        let Some((d, problems)) = reader.take(k)? else {
            continue;
        };
        if d.category != Some(Category::ImmediateFix) {
            continue;
        }
        let (fixed, verified) = fixed_and_verified(conn, d.case_id)?;
        let slip = Slip {
            d: &d,
            problems: &problems,
            fixed,
            verified,
        };
        slips += 1;
        let half = doc.height / 2.0;
        let below = room_below
            && doc
                .draw_within_page(|doc| {
                    cut_line(doc);
                    draw_slip(doc, &town.town_name, &slip, half + 18.0);
                })
                .is_ok();
        room_below = false;
        if below {
            continue;
        }
        doc.new_page();
        let first = doc.page_count() - 1;
        let top = doc.margin - 14.0;
        let number = draw_slip(&mut doc, &town.town_name, &slip, top);
        paper_pages(
            &mut doc,
            first,
            &format!(
                "{}农村户厕问题现场整改确认单（续）　户主：{}",
                town.town_name, d.head_name
            ),
            &number,
        );
        room_below = doc.page_count() - 1 == first && doc.y <= half - 24.0;
    }
    if slips == 0 {
        return Err(Error::Invalid(
            "所选范围内没有“立行立改”的问题户厕，不需要现场整改确认单。".into(),
        ));
    }
    super::page::finished(doc)
}
