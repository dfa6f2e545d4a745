//! The paper trail of a case: the 整改告知单 register (its number, when it was printed, when and
//! by whom it was handed to the household, when the signed 回执 came back, with its scan), and the
//! scan of a signed 验收单. Printing records itself after the file is written; delivery and
//! 回执 are steps in the case's history, each audited.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::access::accounts::Account;
use crate::access::permissions::Action;
use crate::error::{Error, Result};
use crate::fieldwork::rectification::{self, check_date, PaperState, SideStep};
use crate::model::{CaseState, Category};
use crate::store::settings::TownSettings;
use crate::store::sql::{Db, Optional, Row};

/// A notice's number, as printed on it and on its 回执: the town and the case, `石鱼镇-000123`.
pub fn notice_number(town_name: &str, case_id: i64) -> String {
    format!("{town_name}-{case_id:06}")
}

/// One notice in the register.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoticeEntry {
    pub case_id: i64,
    pub number: String,
    /// The category the notice was last printed for.
    pub category: Category,
    pub first_printed_at: String,
    pub last_printed_at: String,
    pub times_printed: i64,
    pub delivered_on: Option<String>,
    pub delivered_by: Option<String>,
    pub receipt_on: Option<String>,
    pub receipt_scan: Option<String>,
    /// 户厕 number within the household (for the 户档案's list).
    pub toilet_seq: i64,
    pub state: PaperState,
    /// The case's category differs from the one printed: print and hand out a new notice.
    pub outdated: bool,
}

const ENTRY_SQL: &str = "SELECT n.rectification_id, n.number, n.category, n.first_printed_at,
        n.last_printed_at, n.times_printed, n.delivered_on, s.name, n.receipt_on, n.receipt_scan,
        t.seq, r.category IS DISTINCT FROM n.category
 FROM notices n
 JOIN rectifications r ON r.id = n.rectification_id
 JOIN toilets t ON t.id = r.toilet_id
 LEFT JOIN staff s ON s.id = n.delivered_by";

fn entry(r: &Row) -> rusqlite::Result<NoticeEntry> {
    let delivered_on: Option<String> = r.get(6)?;
    let receipt_on: Option<String> = r.get(8)?;
    Ok(NoticeEntry {
        case_id: r.get(0)?,
        number: r.get(1)?,
        category: r.get(2)?,
        first_printed_at: r.get(3)?,
        last_printed_at: r.get(4)?,
        times_printed: r.get(5)?,
        state: match (&delivered_on, &receipt_on) {
            (_, Some(_)) => PaperState::Returned,
            (Some(_), None) => PaperState::ReceiptMissing,
            _ => PaperState::Undelivered,
        },
        delivered_on,
        delivered_by: r.get(7)?,
        receipt_on,
        receipt_scan: r.get(9)?,
        toilet_seq: r.get(10)?,
        outdated: r.get(11)?,
    })
}

/// A case as its panel shows it: the case, the problems of the check it follows (with the cause
/// recorded at the door), and its notice in the register.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseFile {
    #[serde(flatten)]
    pub case: rectification::Case,
    pub problems: Vec<CaseProblem>,
    pub notice: Option<NoticeEntry>,
}

/// One problem of a case as recorded: 问题, 影响使用, 原因, 备注.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseProblem {
    pub name: String,
    pub stops_use: bool,
    pub cause: Option<crate::model::Cause>,
    pub remarks: Option<String>,
}

/// A case with its problems and notice.
pub fn case_file<'a>(db: impl Into<Db<'a>>, case_id: i64) -> Result<CaseFile> {
    let conn = db.into();
    let case = rectification::case(conn, case_id)?;
    let problems = conn
        .prepare_cached(
            "SELECT pi.name, ip.stops_use, ip.cause, ip.remarks FROM inspection_problems ip
             JOIN problem_items pi ON pi.id = ip.item_id
             WHERE ip.inspection_id = ?1 ORDER BY pi.sort_order, pi.id",
        )?
        .query_map([case.inspection_id], |r| {
            Ok(CaseProblem {
                name: r.get(0)?,
                stops_use: r.get(1)?,
                cause: r.get(2)?,
                remarks: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(CaseFile {
        problems,
        notice: notice_of(conn, case_id)?,
        case,
    })
}

/// A case's notice in the register, if one was printed.
pub fn notice_of<'a>(db: impl Into<Db<'a>>, case_id: i64) -> Result<Option<NoticeEntry>> {
    let conn = db.into();
    conn.prepare_cached(&format!("{ENTRY_SQL} WHERE n.rectification_id = ?1"))?
        .query_row([case_id], entry)
        .optional()
}

/// Every notice of a household's cases, by toilet and case (the 户档案's list).
pub fn household_notices<'a>(db: impl Into<Db<'a>>, household_id: i64) -> Result<Vec<NoticeEntry>> {
    let conn = db.into();
    Ok(conn
        .prepare_cached(&format!(
            "{ENTRY_SQL} WHERE r.household_id = ?1 ORDER BY t.seq, n.rectification_id"
        ))?
        .query_map([household_id], entry)?
        .collect::<rusqlite::Result<_>>()?)
}

/// Records notices printed by `by` at `now` (call after the PDF is written): a first print
/// enters the notice in the register, a reprint counts and keeps its delivery. One transaction.
pub fn record_printed<'a>(
    db: impl Into<Db<'a>>,
    by: &Account,
    printed: &[(i64, Category)],
    now: &str,
) -> Result<()> {
    let conn = db.into();
    if printed.is_empty() {
        return Ok(());
    }
    by.require(Action::Print)?;
    let town = TownSettings::load(conn)?.town_name;
    conn.atomically(|conn| {
        let mut upsert = conn.prepare_cached(
            "INSERT INTO notices (rectification_id, number, category, first_printed_at,
                 last_printed_at, times_printed, printed_by)
             VALUES (?1, ?2, ?3, ?4, ?4, 1, ?5)
             ON CONFLICT (rectification_id) DO UPDATE SET category = excluded.category,
                 last_printed_at = excluded.last_printed_at, times_printed = notices.times_printed + 1,
                 printed_by = excluded.printed_by",
        )?;
        for (case_id, category) in printed {
            upsert.execute(params![
                case_id,
                notice_number(&town, *case_id),
                category,
                now,
                by.account_id()
            ])?;
        }
        let first = notice_number(&town, printed[0].0);
        crate::store::audit::append(
            conn,
            now,
            "notice.print",
            "rectification",
            printed[0].0,
            &format!(
                "打印整改告知单 {} 份（{}{}）",
                printed.len(),
                first,
                if printed.len() > 1 { " 等" } else { "" }
            ),
            serde_json::json!({ "cases": printed.iter().map(|p| p.0).collect::<Vec<_>>() }),
        )?;
        Ok(())
    })
}

/// A delivery or a returned 回执, as the case panel records it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PaperInput {
    pub case_id: i64,
    /// When it happened, `YYYY-MM-DD`.
    pub date: String,
    /// Who handed the notice out (delivery), or who keys the 回执 in.
    pub actor_id: i64,
    /// The scanned 回执 (PDF or image), already stored with [`crate::fieldwork::photos::store_scan`].
    #[serde(default)]
    pub scan: Option<String>,
}

fn notice_for(conn: Db<'_>, case_id: i64) -> Result<NoticeEntry> {
    notice_of(conn, case_id)?.ok_or_else(|| {
        Error::Invalid(
            "这个问题户厕的整改告知单还没有打印，不能登记送达或回执。请先打印告知单。".into(),
        )
    })
}

fn check_scan(conn: Db<'_>, scan: &Option<String>) -> Result<()> {
    if let Some(h) = scan {
        if crate::fieldwork::photos::get(conn, h)?.is_none() {
            return Err(Error::Invalid(
                "所选扫描件没有保存成功，请重新选择文件。".into(),
            ));
        }
    }
    Ok(())
}

/// Records that the notice was handed to the household on `p.date` by `p.actor_id`.
pub fn record_delivery<'a>(
    db: impl Into<Db<'a>>,
    by: &Account,
    p: &PaperInput,
    today: &str,
    now: &str,
) -> Result<NoticeEntry> {
    let conn = db.into();
    by.require(Action::HandleCase)?;
    conn.atomically(|conn| {
        let n = notice_for(conn, p.case_id)?;
        if let (Some(on), Some(who)) = (&n.delivered_on, &n.delivered_by) {
            return Err(Error::Invalid(format!(
                "告知单 {} 已登记由{who}于 {on} 送达，不需要再登记。",
                n.number
            )));
        }
        check_date(&p.date, "送达日期", today)?;
        let printed = n.first_printed_at.get(..10).unwrap_or("");
        if p.date.as_str() < printed {
            return Err(Error::Invalid(format!(
                "送达日期 {} 早于告知单打印的日期 {printed}，请核对。",
                p.date
            )));
        }
        let actor = by.signs_as(p.actor_id);
        let name = crate::access::staff::get_staff(conn, actor)?.name;
        conn.prepare_cached(
            "UPDATE notices SET delivered_on = ?2, delivered_by = ?3 WHERE rectification_id = ?1",
        )?
        .execute(params![p.case_id, p.date, actor])?;
        let remark = format!("告知单 {} 由{name}送达农户", n.number);
        let step = SideStep {
            case_id: p.case_id,
            kind: "delivered",
            actor,
            on: &p.date,
            remark: &remark,
            photo: None,
            action: "notice.deliver",
            summary: format!("{remark}（{}）", &p.date),
            detail: serde_json::json!({ "number": n.number, "date": p.date, "by": actor }),
        };
        rectification::record_side_step(conn, by, step, now)?;
        notice_for(conn, p.case_id)
    })
}

/// Records the signed 回执 back on `p.date`, with its scan when there is one; a 回执 recorded
/// without a scan can get its scan later.
pub fn record_receipt<'a>(
    db: impl Into<Db<'a>>,
    by: &Account,
    p: &PaperInput,
    today: &str,
    now: &str,
) -> Result<NoticeEntry> {
    let conn = db.into();
    by.require(Action::HandleCase)?;
    conn.atomically(|conn| {
        let n = notice_for(conn, p.case_id)?;
        check_scan(conn, &p.scan)?;
        let actor = by.signs_as(p.actor_id);
        crate::access::staff::get_staff(conn, actor)?;
        if let Some(on) = &n.receipt_on {
            if n.receipt_scan.is_some() || p.scan.is_none() {
                return Err(Error::Invalid(format!(
                    "告知单 {} 的回执已于 {on} 登记收回{}。",
                    n.number,
                    if n.receipt_scan.is_some() {
                        "，扫描件也已附上"
                    } else {
                        "；如要补附扫描件，请选择扫描件后再登记"
                    }
                )));
            }
            conn.prepare_cached(
                "UPDATE notices SET receipt_scan = ?2 WHERE rectification_id = ?1",
            )?
            .execute(params![p.case_id, p.scan])?;
            let remark = format!("补附告知单 {} 回执的扫描件", n.number);
            let step = SideStep {
                case_id: p.case_id,
                kind: "receipt",
                actor,
                on: today,
                remark: &remark,
                photo: p.scan.as_deref(),
                action: "notice.receipt_scan",
                summary: format!("{remark}（{}）", today),
                detail: serde_json::json!({ "number": n.number, "scan": p.scan }),
            };
            rectification::record_side_step(conn, by, step, now)?;
            return notice_for(conn, p.case_id);
        }
        let Some(delivered) = &n.delivered_on else {
            return Err(Error::Invalid(format!(
                "告知单 {} 还没有登记送达：请先登记送达（谁、哪天送到农户手中），再登记回执收回。",
                n.number
            )));
        };
        check_date(&p.date, "回执收回日期", today)?;
        if p.date.as_str() < delivered.as_str() {
            return Err(Error::Invalid(format!(
                "回执收回日期 {} 早于送达日期 {delivered}，请核对。",
                p.date
            )));
        }
        conn.prepare_cached(
            "UPDATE notices SET receipt_on = ?2, receipt_scan = ?3 WHERE rectification_id = ?1",
        )?
        .execute(params![p.case_id, p.date, p.scan])?;
        let remark = format!(
            "告知单 {} 的回执已由户主签字收回{}",
            n.number,
            if p.scan.is_some() {
                "（附扫描件）"
            } else {
                ""
            }
        );
        let step = SideStep {
            case_id: p.case_id,
            kind: "receipt",
            actor,
            on: &p.date,
            remark: &remark,
            photo: p.scan.as_deref(),
            action: "notice.receipt",
            summary: format!("{remark}（{}）", &p.date),
            detail: serde_json::json!({ "number": n.number, "date": p.date, "scan": p.scan }),
        };
        rectification::record_side_step(conn, by, step, now)?;
        notice_for(conn, p.case_id)
    })
}

/// Attaches the scan of the signed 验收单 to a closed case that has none. A case with a scan
/// keeps it: replacing it needs a reason ([`replace_acceptance_scan`]).
pub fn attach_acceptance_scan<'a>(
    db: impl Into<Db<'a>>,
    by: &Account,
    case_id: i64,
    scan: &str,
    now: &str,
) -> Result<()> {
    replace_acceptance_scan(db, by, case_id, scan, None, now)
}

/// Attaches the scan of the signed 验收单 to a closed case, or replaces the one it has, which
/// needs `reason` (at least 2 characters). Either is a step in the case's history and an audit
/// entry; a replacement keeps old → new and the reason, and the old file stays stored (nothing is
/// deleted).
pub fn replace_acceptance_scan<'a>(
    db: impl Into<Db<'a>>,
    by: &Account,
    case_id: i64,
    scan: &str,
    reason: Option<&str>,
    now: &str,
) -> Result<()> {
    let conn = db.into();
    by.require(Action::HandleCase)?;
    conn.atomically(|conn| {
        check_scan(conn, &Some(scan.to_string()))?;
        let case: Option<(CaseState, Option<String>)> = conn
            .query_row(
                "SELECT state, acceptance_scan FROM rectifications WHERE id = ?1",
                [case_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let old = match case {
            None => {
                return Err(Error::Invalid(format!(
                    "找不到编号为 {case_id} 的整改记录，请刷新问题台账后重试。"
                )))
            }
            Some((CaseState::Closed, old)) => old,
            Some(_) => {
                return Err(Error::Invalid(
                    "验收单扫描件在销号之后附上：这个问题还没有销号。".into(),
                ))
            }
        };
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if old.as_deref() == Some(scan) {
            return Err(Error::Invalid(
                "所选文件就是这个问题已附的验收单扫描件，不需要再附。".into(),
            ));
        }
        if old.is_some() && reason.map_or(0, |r| r.chars().count()) < 2 {
            return Err(Error::Invalid(
                "这个问题已附验收单扫描件。要换成另一份，请写明更换原因（例如：原扫描件不清楚，重新扫描）；原扫描件仍会保留。"
                    .into(),
            ));
        }
        let reason = reason.filter(|_| old.is_some());
        conn.prepare_cached("UPDATE rectifications SET acceptance_scan = ?2 WHERE id = ?1")?
            .execute(params![case_id, scan])?;
        // The person of the account when it is linked to one, else who keyed in the 销号.
        let closer: i64 = conn.query_row(
            "SELECT actor_id FROM rectification_events
             WHERE rectification_id = ?1 AND to_state = 'closed' ORDER BY id DESC LIMIT 1",
            [case_id],
            |r| r.get(0),
        )?;
        let actor = by.signs_as(closer);
        let remark = match reason {
            Some(r) => format!("更换签字的验收单扫描件，原因：{r}（原扫描件保留）"),
            None => "附上签字的验收单扫描件".to_string(),
        };
        let today = now.get(..10).unwrap_or(now);
        let step = SideStep {
            case_id,
            // The schema's kinds name no paper of the close-out; `plan` (reserved, never used
            // otherwise) is this entry: the screens and the 户档案 call it 验收单扫描件.
            kind: "plan",
            actor,
            on: today,
            remark: &remark,
            // The scan may be a PDF: it is the case's 验收单, not a photo of the history.
            photo: None,
            action: "case.acceptance_scan",
            summary: format!("整改记录 {case_id} {remark}"),
            detail: serde_json::json!({ "scan": [old, scan], "reason": reason }),
        };
        rectification::record_side_step(conn, by, step, now)
    })
}
