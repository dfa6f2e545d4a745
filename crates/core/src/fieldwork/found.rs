//! 查缺补漏 at the door: a household not on either list (新增农户), or a toilet of a listed
//! household the lists missed (新增户厕). Each is recorded with the source 入户核查新增, who
//! and when — in the change log (as an import's rows are) and in the audit log.

use rusqlite::params;
use serde::Deserialize;

use crate::access::accounts::Account;
use crate::access::permissions::Action;
use crate::error::{Error, Result};
use crate::model::{
    BaselineSource, HouseholdCategory, Location, NewHousehold, NewToilet, TechMode, UseStatus,
};
use crate::places::{households, idcard};
use crate::store::sql::{Db, Optional};

/// The source every record of this module carries.
pub const SOURCE: &str = "入户核查新增";

/// A toilet found at the door.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct FoundToilet {
    #[serde(default)]
    pub tech_mode: Option<TechMode>,
    #[serde(default)]
    pub location: Option<Location>,
    #[serde(default)]
    pub build_year: Option<i64>,
    #[serde(default)]
    pub subsidized: Option<bool>,
    #[serde(default)]
    pub subsidy_year: Option<i64>,
    #[serde(default)]
    pub use_status: Option<UseStatus>,
}

/// A household found at the door, with its toilet (none when it has no toilet: 无厕所户).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FoundHousehold {
    pub group_id: i64,
    pub head_name: String,
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub resident_pop: Option<i64>,
    #[serde(default)]
    pub toilet: Option<FoundToilet>,
}

/// A typed field as the import keeps one: nothing invisible, spaces collapsed; None if empty.
fn filled(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(crate::text::clean)
        .filter(|s| !s.is_empty())
}

fn check_year(y: Option<i64>, what: &str, this_year: i64) -> Result<()> {
    match y {
        Some(y) if !(1980..=this_year).contains(&y) => Err(Error::Invalid(format!(
            "{what}“{y}”不是合理的年份，请填 1980 到 {this_year} 之间的年份，不知道就空着。"
        ))),
        _ => Ok(()),
    }
}

fn new_toilet(t: &FoundToilet, this_year: i64) -> Result<NewToilet> {
    check_year(t.build_year, "建设（改造）年度", this_year)?;
    check_year(t.subsidy_year, "补助年度", this_year)?;
    Ok(NewToilet {
        tech_mode: t.tech_mode,
        location: t.location,
        build_year: t.build_year,
        subsidized: t.subsidized,
        subsidy_year: t.subsidy_year,
        subsidy_amount_fen: None,
        project_name: None,
        is_sanitary: t.tech_mode.and_then(TechMode::is_sanitary),
        use_status: t.use_status,
        baseline_source: BaselineSource::Field,
    })
}

fn log(
    conn: Db<'_>,
    now: &str,
    actor: &str,
    entity: &str,
    id: i64,
    field: &str,
    value: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO change_log (at, actor, entity, entity_id, field, old_value, new_value, source, import_batch_id)
         VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, ?7, NULL)",
    )?
    .execute(params![now, actor, entity, id, field, value, SOURCE])?;
    Ok(())
}

/// Adds a household found at the door (and its toilet, if it has one), as `by`; returns its id.
pub fn add_household<'a>(
    db: impl Into<Db<'a>>,
    by: &Account,
    h: &FoundHousehold,
    now: &str,
) -> Result<i64> {
    let conn = db.into();
    by.require(Action::RecordInspection)?;
    // As the import keeps a name: nothing invisible, no inner spaces.
    let name = crate::text::name(&h.head_name).unwrap_or_default();
    let name = name.as_str();
    if name.is_empty() || name.chars().count() > 20 {
        return Err(Error::Invalid("请填写户主姓名（不超过 20 个字）。".into()));
    }
    let id_number = filled(&h.id_number).map(|i| idcard::normalize(&i));
    if let Some(i) = &id_number {
        if !idcard::is_valid(i) {
            return Err(Error::Invalid(format!(
                "身份证号“{i}”不对（位数或校验位不符），请核对；不知道可以先空着。"
            )));
        }
    }
    let this_year: i64 = now.get(..4).and_then(|y| y.parse().ok()).unwrap_or(2100);
    let toilet = h
        .toilet
        .as_ref()
        .map(|t| new_toilet(t, this_year))
        .transpose()?;
    conn.atomically(|conn| {
        if let Some(i) = &id_number {
            let existing: Option<(String, String)> = conn
                .query_row(
                    "SELECT h.head_name, v.name || g.name FROM households h
                     JOIN villages v ON v.id = h.village_id JOIN village_groups g ON g.id = h.group_id
                     WHERE h.id_number = ?1",
                    [i],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((head, place)) = existing {
                return Err(Error::Invalid(format!(
                    "身份证号 {} 已经是{place}“{head}”户的，这户已在台账中，不用新增；如果是另一户，请核对身份证号。",
                    idcard::mask_id(i)
                )));
            }
        }
        let id = households::insert_household(
            conn,
            &NewHousehold {
                group_id: h.group_id,
                head_name: name.to_string(),
                id_number: id_number.clone(),
                phone: filled(&h.phone),
                address: filled(&h.address),
                registered_pop: None,
                resident_pop: h.resident_pop,
                category: HouseholdCategory::Ordinary,
                is_resident: true,
            },
            now,
        )?;
        let actor = by.actor();
        log(conn, now, &actor, "household", id, "新增农户", name)?;
        let what = match &toilet {
            Some(t) => {
                let tid = households::insert_toilet(conn, id, t, now)?;
                log(conn, now, &actor, "toilet", tid, "新增户厕", "第 1 个户厕")?;
                "和 1 个户厕"
            }
            None => {
                conn.execute("UPDATE households SET no_toilet = 1 WHERE id = ?1", [id])?;
                "（无户厕）"
            }
        };
        let place: String = conn.query_row(
            "SELECT v.name || g.name FROM village_groups g JOIN villages v ON v.id = g.village_id WHERE g.id = ?1",
            [h.group_id],
            |r| r.get(0),
        )?;
        crate::store::audit::append(
            conn,
            now,
            "household.found",
            "household",
            id,
            &format!("{actor}新增入户核查发现的农户：{place}“{name}”{what}"),
            serde_json::json!({ "source": SOURCE, "group_id": h.group_id }),
        )?;
        Ok(id)
    })
}

/// Adds a toilet found at the door to a listed household, as `by`; returns its id.
pub fn add_toilet<'a>(
    db: impl Into<Db<'a>>,
    by: &Account,
    household_id: i64,
    t: &FoundToilet,
    now: &str,
) -> Result<i64> {
    let conn = db.into();
    by.require(Action::RecordInspection)?;
    let this_year: i64 = now.get(..4).and_then(|y| y.parse().ok()).unwrap_or(2100);
    let toilet = new_toilet(t, this_year)?;
    conn.atomically(|conn| {
        let head: String = conn
            .query_row(
                "SELECT head_name FROM households WHERE id = ?1",
                [household_id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "找不到编号为 {household_id} 的农户，请刷新后重试。"
                ))
            })?;
        let id = households::insert_toilet(conn, household_id, &toilet, now)?;
        conn.execute(
            "UPDATE households SET no_toilet = 0 WHERE id = ?1",
            [household_id],
        )?;
        let seq: i64 =
            conn.query_row("SELECT seq FROM toilets WHERE id = ?1", [id], |r| r.get(0))?;
        let actor = by.actor();
        log(
            conn,
            now,
            &actor,
            "toilet",
            id,
            "新增户厕",
            &format!("第 {seq} 个户厕"),
        )?;
        crate::store::audit::append(
            conn,
            now,
            "toilet.found",
            "toilet",
            id,
            &format!("{actor}为“{head}”户新增入户核查发现的第 {seq} 个户厕"),
            serde_json::json!({ "source": SOURCE, "household_id": household_id }),
        )?;
        Ok(id)
    })
}

/// 查缺补漏 of a period (`from`..=`to`, `YYYY-MM-DD`): households and toilets added at the
/// door, baseline fields corrected by inspections, and households found gone (户已迁出).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Gaps {
    pub households_added: i64,
    pub toilets_added: i64,
    pub corrections: i64,
    pub moved_out: i64,
}

pub fn gaps<'a>(db: impl Into<Db<'a>>, from: &str, to: &str) -> Result<Gaps> {
    let conn = db.into();
    let count = |sql: &str| -> Result<i64> { conn.query_row(sql, params![from, to], |r| r.get(0)) };
    let within = "substr(at, 1, 10) BETWEEN ?1 AND ?2";
    Ok(Gaps {
        households_added: count(&format!(
            "SELECT count(*) FROM change_log WHERE source = '{SOURCE}' AND field = '新增农户' AND {within}"
        ))?,
        toilets_added: count(&format!(
            "SELECT count(*) FROM change_log WHERE source = '{SOURCE}' AND field = '新增户厕' AND {within}"
        ))?,
        corrections: count(&format!(
            "SELECT count(*) FROM change_log WHERE source LIKE '入户核查（%' AND {within}"
        ))?,
        moved_out: count(
            "SELECT count(DISTINCT t.household_id) FROM inspections i JOIN toilets t ON t.id = i.toilet_id
             WHERE i.household_status = 'moved_out' AND i.inspected_on BETWEEN ?1 AND ?2",
        )?,
    })
}
