//! 报区人居办研究解决: a case the town cannot fix itself (no technical mode that suits the site, a
//! dispute over who pays, a household that refuses …) is reported to the district's 人居办 with a
//! reason, stays in the ledger (filterable) and in the monthly bulletin's list until it is closed,
//! and the district's answer is recorded when it comes. Both are steps in the case's history.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::access::accounts::Account;
use crate::access::permissions::Action;
use crate::error::{Error, Result};
use crate::fieldwork::rectification::{self, check_date, SideStep};
use crate::model::{CaseState, Category};
use crate::store::sql::{Db, Optional};

/// A case reported to the district, or the district's answer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EscalationInput {
    pub case_id: i64,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub actor_id: i64,
    /// Why the town cannot fix it (reporting), or what the district answered.
    pub text: String,
}

struct Current {
    state: CaseState,
    escalated_on: Option<String>,
    replied_on: Option<String>,
    /// When the problem was found (the case opened).
    opened_on: Option<String>,
}

fn current(conn: Db<'_>, case_id: i64) -> Result<Current> {
    conn.query_row(
        "SELECT state, escalated_on, replied_on, opened_on FROM rectifications WHERE id = ?1",
        [case_id],
        |r| {
            Ok(Current {
                state: r.get(0)?,
                escalated_on: r.get(1)?,
                replied_on: r.get(2)?,
                opened_on: r.get(3)?,
            })
        },
    )
    .optional()?
    .ok_or_else(|| {
        Error::Invalid(format!(
            "找不到编号为 {case_id} 的整改记录，请刷新问题台账后重试。"
        ))
    })
}

fn step(
    conn: Db<'_>,
    by: &Account,
    input: &EscalationInput,
    kind: &str,
    remark: &str,
    now: &str,
) -> Result<()> {
    let reporting = kind == "escalated";
    let step = SideStep {
        case_id: input.case_id,
        kind,
        actor: by.signs_as(input.actor_id),
        on: &input.date,
        remark,
        photo: None,
        action: if reporting {
            "case.escalate"
        } else {
            "case.escalation_reply"
        },
        summary: format!(
            "整改记录 {}{}，{remark}（{}）",
            input.case_id,
            if reporting {
                "报区人居办研究解决"
            } else {
                "登记区人居办答复"
            },
            input.date
        ),
        detail: serde_json::json!({ "date": input.date, "text": input.text }),
    };
    rectification::record_side_step(conn, by, step, now)
}

/// Reports a case to the district (报区人居办研究解决), with why the town cannot fix it.
pub fn escalate<'a>(
    db: impl Into<Db<'a>>,
    by: &Account,
    input: &EscalationInput,
    today: &str,
    now: &str,
) -> Result<()> {
    let conn = db.into();
    by.require(Action::HandleCase)?;
    conn.atomically(|conn| {
        let c = current(conn, input.case_id)?;
        if c.state == CaseState::Closed {
            return Err(Error::Invalid(
                "这个问题已经销号，不需要再报区人居办研究。".into(),
            ));
        }
        if let (Some(on), None) = (&c.escalated_on, &c.replied_on) {
            return Err(Error::Invalid(format!(
                "这个问题已于 {on} 报区人居办研究，还没有答复。收到答复后请先登记答复。"
            )));
        }
        let reason = input.text.trim();
        if reason.chars().count() < 4 {
            return Err(Error::Invalid(
                "报区人居办研究解决要写明原因：镇里为什么解决不了（例如：地下水位高，现有技术模式都不适宜）。"
                    .into(),
            ));
        }
        check_date(&input.date, "上报日期", today)?;
        // Not before the problem was found, nor before the district's answer to an earlier report.
        if let Some(opened) = c.opened_on.as_deref().filter(|o| input.date.as_str() < *o) {
            return Err(Error::Invalid(format!(
                "上报日期 {} 早于发现这个问题的日期 {opened}，请核对。",
                input.date
            )));
        }
        if let Some(replied) = c.replied_on.as_deref().filter(|r| input.date.as_str() < *r) {
            return Err(Error::Invalid(format!(
                "上报日期 {} 早于区人居办上次答复的日期 {replied}，请核对。",
                input.date
            )));
        }
        crate::access::staff::get_staff(conn, by.signs_as(input.actor_id))?;
        conn.prepare_cached(
            "UPDATE rectifications SET escalated_on = ?2, escalation_reason = ?3,
                escalation_reply = NULL, replied_on = NULL WHERE id = ?1",
        )?
        .execute(params![input.case_id, input.date, reason])?;
        step(
            conn,
            by,
            input,
            "escalated",
            &format!("原因：{reason}"),
            now,
        )
    })
}

/// Records the district's answer to a reported case.
pub fn record_reply<'a>(
    db: impl Into<Db<'a>>,
    by: &Account,
    input: &EscalationInput,
    today: &str,
    now: &str,
) -> Result<()> {
    let conn = db.into();
    by.require(Action::HandleCase)?;
    conn.atomically(|conn| {
        let c = current(conn, input.case_id)?;
        let Some(escalated) = c.escalated_on.filter(|_| c.replied_on.is_none()) else {
            return Err(Error::Invalid(
                "这个问题没有待答复的上报：先“报区人居办研究解决”，收到答复后再登记。".into(),
            ));
        };
        let reply = input.text.trim();
        if reply.chars().count() < 2 {
            return Err(Error::Invalid(
                "请写明区人居办的答复意见（例如：同意改为完整下水道水冲式，纳入2025年计划）。"
                    .into(),
            ));
        }
        check_date(&input.date, "答复日期", today)?;
        if input.date < escalated {
            return Err(Error::Invalid(format!(
                "答复日期 {} 早于上报日期 {escalated}，请核对。",
                input.date
            )));
        }
        crate::access::staff::get_staff(conn, by.signs_as(input.actor_id))?;
        conn.prepare_cached(
            "UPDATE rectifications SET escalation_reply = ?2, replied_on = ?3 WHERE id = ?1",
        )?
        .execute(params![input.case_id, reply, input.date])?;
        step(conn, by, input, "reply", &format!("答复：{reply}"), now)
    })
}

/// One reported case, as the bulletin and the ledger list it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Escalation {
    pub case_id: i64,
    pub village: String,
    pub group: String,
    pub head_name: String,
    pub toilet_seq: i64,
    pub problems: String,
    pub category: Option<Category>,
    pub state: CaseState,
    pub escalated_on: String,
    pub reason: String,
    pub reply: Option<String>,
    pub replied_on: Option<String>,
}

/// Cases reported to the district on or before `as_of` and not closed out, in the town's order.
pub fn escalations<'a>(db: impl Into<Db<'a>>, as_of: &str) -> Result<Vec<Escalation>> {
    let conn = db.into();
    Ok(conn
        .prepare_cached(
            "SELECT r.id, v.name, g.name, h.head_name, t.seq,
                    (SELECT string_agg(pi.name, '、' ORDER BY ip.item_id) FROM inspection_problems ip
                     JOIN problem_items pi ON pi.id = ip.item_id WHERE ip.inspection_id = r.inspection_id),
                    r.category, r.state, r.escalated_on, r.escalation_reason, r.escalation_reply,
                    r.replied_on
             FROM rectifications r
             JOIN villages v ON v.id = r.village_id
             JOIN village_groups g ON g.id = r.group_id
             JOIN households h ON h.id = r.household_id
             JOIN toilets t ON t.id = r.toilet_id
             WHERE r.escalated_on IS NOT NULL AND r.escalated_on <= ?1 AND r.state <> 'closed'
             ORDER BY v.sort_order, v.id, g.sort_order, g.id, h.id, t.seq",
        )?
        .query_map([as_of], |r| {
            // An answer given after the day is not known on the day.
            let replied_on = r
                .get::<_, Option<String>>(11)?
                .filter(|d| d.as_str() <= as_of);
            Ok(Escalation {
                case_id: r.get(0)?,
                village: r.get(1)?,
                group: r.get(2)?,
                head_name: r.get(3)?,
                toilet_seq: r.get(4)?,
                problems: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                category: r.get(6)?,
                state: r.get(7)?,
                escalated_on: r.get(8)?,
                reason: r.get(9)?,
                reply: r.get::<_, Option<String>>(10)?.filter(|_| replied_on.is_some()),
                replied_on,
            })
        })?
        .collect::<rusqlite::Result<_>>()?)
}
