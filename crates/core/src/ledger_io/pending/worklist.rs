//! The open 待核实 entries as the worklist shows them: by village and 社, ID and phone numbers
//! masked unless disclosed.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::ledger_io::import::headers::Field;
use crate::places::households::{Disclosure, Scope};
use crate::places::idcard;
use crate::store::sql::{Db, Optional};

/// One open 待核实 entry, as the worklist shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PendingCheck {
    pub id: i64,
    pub household_id: i64,
    pub village_id: i64,
    pub village: String,
    pub group_id: i64,
    pub group: String,
    pub head_name: String,
    /// The toilet's number within the household (户厕 1, 2 …) for a toilet field.
    pub toilet_seq: Option<i64>,
    /// The stored column (`build_year`, `id_number` …).
    pub field: String,
    /// The column as the ledger heads it (建设（改造）年度, 身份证号 …).
    pub field_label: String,
    /// The value as the ledger wrote it; ID and phone numbers masked unless disclosed.
    pub written: String,
    pub reason: String,
    /// The ledger file and row it came from.
    pub file_name: Option<String>,
    pub source_row: Option<i64>,
    pub created_at: String,
}

/// Open entries per village and its 社, for the worklist's choice of place.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VillagePending {
    pub village_id: i64,
    pub village: String,
    pub households: i64,
    pub entries: i64,
    /// The village's 社 with open entries, in the town's order.
    pub groups: Vec<GroupPending>,
}

/// Open entries of one 社.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupPending {
    pub group_id: i64,
    pub group: String,
    pub households: i64,
    pub entries: i64,
}

/// The value as written and the reason (which quotes it), masked when it is an ID or phone
/// number and not disclosed.
fn shown(field: &str, written: String, reason: String, disclosure: Disclosure) -> (String, String) {
    let masked = match (disclosure, field) {
        (Disclosure::Masked, "id_number") => idcard::mask_id(&written),
        (Disclosure::Masked, "phone") => idcard::mask_phone(&written),
        _ => return (written, reason),
    };
    // Where the reason quotes it; a short value (18, 023) also occurs in the reason's own
    // instructions (应为 18 位, 座机写成 023-12345678), which stay as they are. A longer one is
    // masked wherever it is, so that no reason shows the number unmasked.
    let reason = if written.is_empty() {
        reason
    } else {
        let reason = reason.replace(&format!("“{written}”"), &format!("“{masked}”"));
        if written.chars().count() >= 7 {
            reason.replace(&written, &masked)
        } else {
            reason
        }
    };
    (masked, reason)
}

/// The open entries of the town, a village or a 社, in the order of the town's list (village,
/// 社, household, toilet, then the ledger's column order).
pub fn list<'a>(
    db: impl Into<Db<'a>>,
    scope: Scope,
    disclosure: Disclosure,
) -> Result<Vec<PendingCheck>> {
    let (clause, id) = match scope {
        Scope::Town => ("?1 = 0", 0),
        Scope::Village(v) => ("h.village_id = ?1", v),
        Scope::Group(g) => ("h.group_id = ?1", g),
    };
    entries(db.into(), clause, id, disclosure)
}

/// The open entries whose household matches `clause` (on `h`, with `?1` = `id`), in the town's
/// list order.
fn entries(db: Db<'_>, clause: &str, id: i64, disclosure: Disclosure) -> Result<Vec<PendingCheck>> {
    let mut stmt = db.prepare(&format!(
        "SELECT p.id, p.household_id, h.village_id, v.name, h.group_id, g.name, h.head_name,
                t.seq, p.field, p.written, p.reason, b.file_name, p.source_row, p.created_at
         FROM pending_checks p
         JOIN households h ON h.id = p.household_id
         JOIN villages v ON v.id = h.village_id
         JOIN village_groups g ON g.id = h.group_id
         LEFT JOIN toilets t ON t.id = p.toilet_id
         LEFT JOIN import_batches b ON b.id = p.import_batch_id
         WHERE p.resolved_at IS NULL AND {clause}
         ORDER BY v.sort_order, v.id, g.sort_order, g.id, h.id, t.seq NULLS FIRST, p.id"
    ))?;
    let rows = stmt.query_map([id], |r| {
        let field: String = r.get(8)?;
        let (written, reason) = shown(&field, r.get(9)?, r.get(10)?, disclosure);
        Ok(PendingCheck {
            id: r.get(0)?,
            household_id: r.get(1)?,
            village_id: r.get(2)?,
            village: r.get(3)?,
            group_id: r.get(4)?,
            group: r.get(5)?,
            head_name: r.get(6)?,
            toilet_seq: r.get(7)?,
            field_label: Field::of_column(&field).map_or_else(String::new, Field::title),
            written,
            field,
            reason,
            file_name: r.get(11)?,
            source_row: r.get(12)?,
            created_at: r.get(13)?,
        })
    })?;
    let mut out: Vec<PendingCheck> = rows.collect::<rusqlite::Result<_>>()?;
    // Within a household and toilet, the ledger's column order.
    let order = |f: &str| Field::ALL.iter().position(|x| x.column() == Some(f));
    for same in
        out.chunk_by_mut(|a, b| a.household_id == b.household_id && a.toilet_seq == b.toilet_seq)
    {
        same.sort_by_key(|p| order(&p.field));
    }
    Ok(out)
}

/// The open entries of one household (its details pane).
pub fn of_household<'a>(
    db: impl Into<Db<'a>>,
    household_id: i64,
    disclosure: Disclosure,
) -> Result<Vec<PendingCheck>> {
    let db = db.into();
    let known: Option<i64> = db
        .query_row(
            "SELECT id FROM households WHERE id = ?1",
            [household_id],
            |r| r.get(0),
        )
        .optional()?;
    known.ok_or(Error::HouseholdNotFound(household_id))?;
    entries(db, "h.id = ?1", household_id, disclosure)
}

/// Villages with open entries: how many households and entries each.
pub fn by_village<'a>(db: impl Into<Db<'a>>) -> Result<Vec<VillagePending>> {
    let mut stmt = db.into().prepare(
        "SELECT v.id, v.name, g.id, g.name, COUNT(DISTINCT p.household_id), COUNT(*)
         FROM pending_checks p
         JOIN households h ON h.id = p.household_id
         JOIN villages v ON v.id = h.village_id
         JOIN village_groups g ON g.id = h.group_id
         WHERE p.resolved_at IS NULL
         GROUP BY v.id, g.id ORDER BY v.sort_order, v.id, g.sort_order, g.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            GroupPending {
                group_id: r.get(2)?,
                group: r.get(3)?,
                households: r.get(4)?,
                entries: r.get(5)?,
            },
        ))
    })?;
    let mut villages: Vec<VillagePending> = Vec::new();
    for row in rows {
        let (village_id, village, group) = row?;
        match villages.last_mut().filter(|v| v.village_id == village_id) {
            Some(v) => {
                v.households += group.households;
                v.entries += group.entries;
                v.groups.push(group);
            }
            None => villages.push(VillagePending {
                village_id,
                village,
                households: group.households,
                entries: group.entries,
                groups: vec![group],
            }),
        }
    }
    Ok(villages)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found in review: a short wrong value masked everywhere it occurred in the reason, and
    /// the reason's own instructions with it (应为 ** 位, 座机写成 ***-12345678).
    #[test]
    fn a_masked_value_is_masked_where_the_reason_quotes_it_not_in_its_instructions() {
        let id_reason = crate::ledger_io::import::normalize::IdProblem::Malformed.message("18");
        let (written, reason) = shown("id_number", "18".into(), id_reason, Disclosure::Masked);
        assert_eq!(written, "**");
        assert_eq!(reason, "身份证号“**”格式不对：应为 18 位，最后一位可以是 X");
        let phone_reason = crate::ledger_io::import::normalize::phone("023").unwrap_err();
        let (written, reason) = shown("phone", "023".into(), phone_reason, Disclosure::Masked);
        assert_eq!(written, "***");
        assert_eq!(
            reason,
            "联系电话“***”不对：手机号应为 11 位，座机写成 023-12345678"
        );
        // A whole number is masked wherever the reason has it.
        let long = "5002241990010112";
        let (_, reason) = shown(
            "id_number",
            long.into(),
            format!("身份证号{long}不对"),
            Disclosure::Masked,
        );
        assert!(!reason.contains(long), "{reason}");
    }
}
