//! 签字背书 in the app: "谁排查、谁审核、谁负责". The 排查人 is whoever recorded the inspection;
//! then a 审核人 reviews (signs) it, then the 负责人 (a town leader) signs — in that order. A
//! reviewed result is locked: its category decision cannot change until a reviewer unlocks it
//! with a reason, which clears the review and the 负责人's signature (kept, marked cleared).

use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::access::accounts::Account;
use crate::access::permissions::Action;
use crate::error::{Error, Result};
use crate::model::{Category, HouseholdStatus, InspectionKind};
use crate::places::households::Scope;
use crate::store::audit;
use crate::store::sql::{Db, Optional};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// 审核人
    Review,
    /// 负责人
    Responsible,
}

impl Step {
    fn code(self) -> &'static str {
        match self {
            Step::Review => "review",
            Step::Responsible => "responsible",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Step::Review => "审核人",
            Step::Responsible => "负责人",
        }
    }
}

/// A signature in force.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signature {
    pub signer: String,
    pub signed_at: String,
}

/// Where one inspection result stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignState {
    pub inspection_id: i64,
    pub review: Option<Signature>,
    pub responsible: Option<Signature>,
}

impl SignState {
    pub fn locked(&self) -> bool {
        self.review.is_some()
    }
}

fn active(conn: Db<'_>, inspection_id: i64, step: Step) -> Result<Option<Signature>> {
    conn.prepare_cached(
        "SELECT signer, signed_at FROM signoffs
             WHERE inspection_id = ?1 AND step = ?2 AND cleared_at IS NULL",
    )?
    .query_row(params![inspection_id, step.code()], |r| {
        Ok(Signature {
            signer: r.get(0)?,
            signed_at: r.get(1)?,
        })
    })
    .optional()
}

pub fn state<'a>(db: impl Into<Db<'a>>, inspection_id: i64) -> Result<SignState> {
    let conn = db.into();
    Ok(SignState {
        inspection_id,
        review: active(conn, inspection_id, Step::Review)?,
        responsible: active(conn, inspection_id, Step::Responsible)?,
    })
}

/// Refuses a change to a reviewed result (call before changing what it decided).
pub fn refuse_if_locked<'a>(db: impl Into<Db<'a>>, inspection_id: i64) -> Result<()> {
    let conn = db.into();
    if let Some(r) = active(conn, inspection_id, Step::Review)? {
        return Err(Error::Invalid(format!(
            "这条核查结果已由审核人{}于 {} 审核签字，已锁定。确需修改，请审核人先“解锁”并写明原因（解锁会清除审核和负责人的签字，改完后重新审核）。",
            r.signer,
            r.signed_at.get(..10).unwrap_or(&r.signed_at)
        )));
    }
    Ok(())
}

/// The condition on `h` (households) of `scope`, and the value bound to its `?1`.
fn scope_filter(scope: Scope) -> (&'static str, i64) {
    match scope {
        Scope::Town => ("?1 = 0", 0),
        Scope::Village(v) => ("h.village_id = ?1", v),
        Scope::Group(g) => ("h.group_id = ?1", g),
    }
}

/// The latest inspection of every toilet in `scope` — what the 签字背书表 lists.
pub fn latest_in<'a>(db: impl Into<Db<'a>>, scope: Scope) -> Result<Vec<i64>> {
    let (filter, id) = scope_filter(scope);
    // The latest inspection (by its date, then record number, as everywhere) is named in a
    // derived table: the server does not let WHERE use a column alias of the same SELECT.
    Ok(db
        .into()
        .prepare(&format!(
            "SELECT l.i FROM (
                 SELECT (SELECT x.id FROM inspections x WHERE x.toilet_id = t.id
                                          ORDER BY x.inspected_on DESC, x.id DESC LIMIT 1) AS i,
                        h.group_id AS g, h.id AS hid, t.seq AS seq
                 FROM toilets t JOIN households h ON h.id = t.household_id
                 WHERE {filter}) l
             WHERE l.i IS NOT NULL ORDER BY l.g, l.hid, l.seq"
        ))?
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// One toilet's line on the 签字背书表: its latest result and who stands behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetRow {
    pub village_id: i64,
    pub village: String,
    pub group: String,
    pub head_name: String,
    pub seq: i64,
    pub inspected_on: String,
    pub kind: InspectionKind,
    pub status: HouseholdStatus,
    pub has_problems: bool,
    /// The problems found, named and joined with 、.
    pub problems: Option<String>,
    /// The category of the toilet's latest case.
    pub category: Option<Category>,
    /// The inspection group (排查人): staff id and name, in the staff's order.
    pub inspectors: Vec<(i64, String)>,
    pub review: Option<Signature>,
    pub responsible: Option<Signature>,
}

/// The 签字背书表's lines of `scope`: the latest result of every inspected toilet, in village,
/// 社, household and toilet order (a village's lines together).
pub fn sheet_rows<'a>(db: impl Into<Db<'a>>, scope: Scope) -> Result<Vec<SheetRow>> {
    let (filter, id) = scope_filter(scope);
    let signature = |step: &str| {
        format!(
            "(SELECT so.signer FROM signoffs so
               WHERE so.inspection_id = i.id AND so.step = '{step}' AND so.cleared_at IS NULL),
             (SELECT so.signed_at FROM signoffs so
               WHERE so.inspection_id = i.id AND so.step = '{step}' AND so.cleared_at IS NULL)"
        )
    };
    let conn = db.into();
    let mut stmt = conn.prepare(&format!(
        "SELECT v.id, v.name, g.name, h.head_name, t.seq, i.inspected_on, i.kind,
                i.household_status, i.has_problems,
                (SELECT string_agg(pi.name, '、' ORDER BY p.item_id) FROM inspection_problems p
                   JOIN problem_items pi ON pi.id = p.item_id WHERE p.inspection_id = i.id),
                (SELECT r.category FROM rectifications r WHERE r.toilet_id = t.id
                   ORDER BY r.id DESC LIMIT 1),
                (SELECT string_agg(CAST(m.staff_id AS TEXT) || ' ' || s.name, '、' ORDER BY m.staff_id)
                   FROM inspection_members m JOIN staff s ON s.id = m.staff_id
                   WHERE m.inspection_id = i.id),
                {}, {}
         FROM toilets t JOIN households h ON h.id = t.household_id
         JOIN villages v ON v.id = h.village_id
         JOIN village_groups g ON g.id = h.group_id
         JOIN inspections i ON i.id = (SELECT x.id FROM inspections x WHERE x.toilet_id = t.id
                                          ORDER BY x.inspected_on DESC, x.id DESC LIMIT 1)
         WHERE {filter}
         ORDER BY v.sort_order, v.id, g.sort_order, g.id, h.id, t.seq",
        signature("review"),
        signature("responsible")
    ))?;
    let mut rows = Vec::new();
    stmt.for_each(params![id], |r| {
        let members: Option<String> = r.get(11)?;
        let signed = |at: usize| -> rusqlite::Result<Option<Signature>> {
            Ok(match (r.get::<_, Option<String>>(at)?, r.get(at + 1)?) {
                (Some(signer), Some(signed_at)) => Some(Signature { signer, signed_at }),
                _ => None,
            })
        };
        rows.push(SheetRow {
            village_id: r.get(0)?,
            village: r.get(1)?,
            group: r.get(2)?,
            head_name: r.get(3)?,
            seq: r.get(4)?,
            inspected_on: r.get(5)?,
            kind: r.get(6)?,
            status: r.get(7)?,
            has_problems: r.get(8)?,
            problems: r.get(9)?,
            category: r.get(10)?,
            // "id name" pairs: the id tells two namesakes apart.
            inspectors: members
                .as_deref()
                .unwrap_or("")
                .split('、')
                .filter_map(|m| {
                    let (id, name) = m.split_once(' ')?;
                    Some((id.parse().ok()?, name.to_string()))
                })
                .collect(),
            review: signed(12)?,
            responsible: signed(14)?,
        });
        Ok(())
    })?;
    Ok(rows)
}

/// Counts for a scope: results, reviewed, signed by the 负责人.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    pub results: usize,
    pub reviewed: usize,
    pub responsible: usize,
}

pub fn progress<'a>(db: impl Into<Db<'a>>, scope: Scope) -> Result<Progress> {
    let conn = db.into();
    let ids = latest_in(conn, scope)?;
    let mut p = Progress {
        results: ids.len(),
        reviewed: 0,
        responsible: 0,
    };
    for id in ids {
        let s = state(conn, id)?;
        p.reviewed += usize::from(s.review.is_some());
        p.responsible += usize::from(s.responsible.is_some());
    }
    Ok(p)
}

/// What a round of signing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Signed {
    /// Results signed now.
    pub signed: usize,
    /// Results the signer recorded or inspected themselves (or, signing as 负责人, reviewed),
    /// left for another person (谁排查、谁审核、谁负责 are different people).
    pub own_skipped: usize,
}

/// Whether `who` recorded the inspection (by login account or as the staff member named) or
/// was in its inspection group. An account not linked to the staff list is its person by
/// name: a reviewer's account made without the link is not a way round 谁排查、谁审核.
fn took_part(conn: Db<'_>, who: &Account, inspection_id: i64) -> Result<bool> {
    let unlinked_name = who.staff_id.is_none().then_some(who.display_name.as_str());
    conn.prepare_cached(
        // A NULL account, staff member or name matches nothing (`= NULL` is never true); the
        // server cannot type a parameter first met in `?2 IS NOT NULL`.
        "SELECT EXISTS (SELECT 1 FROM inspections i WHERE i.id = ?1 AND (
                 i.account_id = ?2
              OR i.recorded_by = ?3
              OR EXISTS (SELECT 1 FROM inspection_members m
                         WHERE m.inspection_id = i.id AND m.staff_id = ?3)
              OR EXISTS (SELECT 1 FROM staff s WHERE s.name = ?4 AND (s.id = i.recorded_by
                         OR s.id IN (SELECT m.staff_id FROM inspection_members m
                                     WHERE m.inspection_id = i.id)))))",
    )?
    .query_row(
        params![inspection_id, who.account_id(), who.staff_id, unlinked_name],
        |r| r.get(0),
    )
}

/// Whether `who` is the person who reviewed the inspection (the same account, the same staff
/// member behind another account, or the same name): 谁审核、谁负责 are two people.
fn reviewed_it(conn: Db<'_>, who: &Account, inspection_id: i64) -> Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM signoffs so LEFT JOIN accounts a ON a.id = so.account_id
                        WHERE so.inspection_id = ?1 AND so.step = 'review' AND so.cleared_at IS NULL
                          AND (so.account_id = ?2 OR a.staff_id = ?3 OR so.signer = ?4))",
    )?
    .query_row(
        params![
            inspection_id,
            who.account_id(),
            who.staff_id,
            who.display_name
        ],
        |r| r.get(0),
    )
}

/// Signs the results `ids` as `step`. Already signed ones are left as they are; a 负责人 signs
/// only reviewed results; a 审核人 does not review what they recorded or inspected themselves
/// (those are left for another reviewer and counted).
pub fn sign<'a>(
    db: impl Into<Db<'a>>,
    who: &Account,
    ids: &[i64],
    step: Step,
    now: &str,
) -> Result<Signed> {
    who.require(match step {
        Step::Review => Action::Review,
        Step::Responsible => Action::SignResponsible,
    })?;
    if ids.is_empty() {
        return Err(Error::Invalid("没有要签字的核查结果。".into()));
    }
    db.into().atomically(|tx| sign_in(tx, who, ids, step, now))
}

fn sign_in(tx: Db<'_>, who: &Account, ids: &[i64], step: Step, now: &str) -> Result<Signed> {
    let mut signed = Vec::new();
    let mut own_skipped = 0;
    let mut meanwhile = Vec::new();
    for &id in ids {
        let exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM inspections WHERE id = ?1)",
            [id],
            |r| r.get(0),
        )?;
        if !exists {
            return Err(Error::Invalid(format!(
                "找不到编号为 {id} 的核查记录，请刷新后重试。"
            )));
        }
        let s = state(tx, id)?;
        let already = match step {
            Step::Review => s.review.is_some(),
            Step::Responsible => s.responsible.is_some(),
        };
        if already {
            // Signed by someone else (another PC, a moment ago): said below when nothing new
            // was signed; signed by this account before: nothing to say.
            let by_other = tx.exists(
                "SELECT 1 FROM signoffs WHERE inspection_id = ?1 AND step = ?2
                 AND cleared_at IS NULL AND account_id <> ?3",
                params![id, step.code(), who.id],
            )?;
            if by_other {
                meanwhile.push(id);
            }
            continue;
        }
        if step == Step::Responsible && s.review.is_none() {
            return Err(Error::Invalid(format!(
                "核查记录 {id} 还没有审核。负责人要在审核人签字之后签字；请先请审核人审核。"
            )));
        }
        // 谁排查、谁审核、谁负责: three people. What this person inspected, recorded or (as
        // 负责人) reviewed is left for another.
        if took_part(tx, who, id)? || (step == Step::Responsible && reviewed_it(tx, who, id)?) {
            own_skipped += 1;
            continue;
        }
        // Another PC signing the same result at this moment: its signature stands and this
        // one is not added (on the server the insert waits for it, then does nothing).
        let added = tx
            .prepare_cached(
                "INSERT INTO signoffs (inspection_id, step, account_id, signer, signed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (inspection_id, step) WHERE cleared_at IS NULL DO NOTHING",
            )?
            .execute(params![id, step.code(), who.id, who.display_name, now])?;
        if added == 0 {
            meanwhile.push(id);
            continue;
        }
        signed.push(id);
    }
    if !signed.is_empty() {
        audit::append(
            tx,
            now,
            &format!("signoff.{}", step.code()),
            "inspection",
            signed.first().copied().unwrap_or(0),
            &format!(
                "{}以{}身份签字：{} 条核查结果",
                who.display_name,
                step.label(),
                signed.len()
            ),
            serde_json::json!({ "inspections": signed }),
        )?;
    }
    if signed.is_empty() {
        if let Some(&id) = meanwhile.first() {
            let (signer, at): (String, String) = tx.query_row(
                "SELECT signer, signed_at FROM signoffs
                 WHERE inspection_id = ?1 AND step = ?2 AND cleared_at IS NULL",
                params![id, step.code()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            return Err(Error::Conflict(format!(
                "这条核查结果已由 {signer} 于 {} 以{}身份签字（可能是刚刚在另一台电脑上），您这次没有重复签字。请刷新。",
                at.chars().take(16).collect::<String>().replace('T', " "),
                step.label()
            )));
        }
    }
    if signed.is_empty() && own_skipped > 0 {
        return Err(Error::Invalid(match step {
            Step::Review => format!(
                "这 {own_skipped} 条核查结果是{}本人录入或参加排查的。谁排查、谁审核要分开：请由另一位审核人审核签字。",
                who.display_name
            ),
            Step::Responsible => format!(
                "这 {own_skipped} 条核查结果是{}本人录入、参加排查或审核的。谁排查、谁审核、谁负责要分开：请由另一位负责人签字。",
                who.display_name
            ),
        }));
    }
    Ok(Signed {
        signed: signed.len(),
        own_skipped,
    })
}

/// Unlocks a reviewed result so it can be corrected: a reviewer, with a reason. The review and
/// the 负责人's signature are cleared (kept with who cleared them and why).
pub fn unlock<'a>(
    db: impl Into<Db<'a>>,
    who: &Account,
    inspection_id: i64,
    reason: &str,
    now: &str,
) -> Result<()> {
    who.require(Action::Review)?;
    let conn = db.into();
    let reason = reason.trim();
    if reason.chars().count() < 2 {
        return Err(Error::Invalid(
            "解锁要写明原因（例如：复核发现问题类别填错）。".into(),
        ));
    }
    let s = state(conn, inspection_id)?;
    if !s.locked() {
        return Err(Error::Invalid(
            "这条核查结果还没有审核，不需要解锁。".into(),
        ));
    }
    conn.atomically(|tx| {
        tx.execute(
            "UPDATE signoffs SET cleared_at = ?2, cleared_by = ?3, cleared_reason = ?4
         WHERE inspection_id = ?1 AND cleared_at IS NULL",
            params![inspection_id, now, who.display_name, reason],
        )?;
        audit::append(
            tx,
            now,
            "signoff.unlock",
            "inspection",
            inspection_id,
            &format!(
                "{}解锁核查记录 {inspection_id}（清除审核{}的签字），原因：{reason}",
                who.display_name,
                if s.responsible.is_some() {
                    "和负责人"
                } else {
                    ""
                }
            ),
            serde_json::json!({
                "review": s.review.map(|r| r.signer),
                "responsible": s.responsible.map(|r| r.signer),
                "reason": reason,
            }),
        )?;
        Ok(())
    })
}
