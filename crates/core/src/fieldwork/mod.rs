//! Field work: inspections (入户核查), photos, the category rules, the problem ledger's cases
//! (分类整改 → 销号) and the sign-off (签字背书).

pub mod escalation;
pub mod found;
pub mod inspections;
pub mod paper;
pub mod photo_import;
pub mod photos;
pub mod problem_items;
pub mod rectification;
pub mod rules;
pub mod signoff;
pub mod working;

use crate::access::staff::Staff;
use crate::error::{Error, Result};
use crate::store::sql::{Db, Optional};

/// A staff member, read on either engine (the query of [`crate::access::staff::get_staff`],
/// with its message).
// PORT: staff::get_staff takes &Connection until its area is ported; then this copy goes.
pub(crate) fn staff_member(db: Db<'_>, id: i64) -> Result<Staff> {
    db.query_row(
        "SELECT id, name, unit, phone, roles, active FROM staff WHERE id = ?1",
        [id],
        |r| {
            Ok(Staff {
                id: r.get(0)?,
                name: r.get(1)?,
                unit: r.get(2)?,
                phone: r.get(3)?,
                roles: r.get(4)?,
                active: r.get(5)?,
            })
        },
    )
    .optional()?
    .ok_or_else(|| {
        Error::Invalid(format!(
            "找不到编号为 {id} 的工作人员。请在“工作人员”名单中重新选择。"
        ))
    })
}
