//! 多方比对 kept per toilet: what each inspected toilet's checks say, worked out again only for
//! the toilets marked in `compare_pending`.
//!
//! Triggers (schema version 20) mark a toilet whenever anything its comparison is made of
//! changes: its inspections, their problems and members, a problem item's name, its baseline
//! use status, its number or household, its household's village, 社 or head, a baseline field an
//! inspection corrected. [`refresh`] takes the marks (deleting them), reads those toilets
//! afresh and replaces their rows in `compare_toilets` (one a toilet: its place, whether it is
//! compared with its baseline and found different, the group rated and whether the checks
//! disagree) and `compare_differences` (every field that differs), in one transaction: a
//! failed refresh leaves the marks for the next one. The comparison then reads only those
//! tables: a few thousand rows for a district instead of every inspection.
//!
//! On the server two PCs may refresh or write at once. Refreshes take turns (an advisory
//! lock). A trigger's mark is written with `ON CONFLICT … DO UPDATE`, which locks the row even
//! when the toilet is marked already: a refresh taking that mark waits for the changing unit of
//! work to commit and then reads its change. A PC that changes a toilet whose mark a refresh
//! has taken (deleted, not yet committed) waits for that refresh and marks the toilet again, so
//! the next refresh works it out. Either way no change is lost between the two.

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;

use crate::error::Result;
use crate::model::{HouseholdStatus, InspectionKind, UseStatus};
use crate::places::bulk::Rows;
use crate::store::sql::{self, Db, Engine};

/// The server's advisory lock a refresh holds (a key of its own: "HUCE" and "cd").
const REFRESH_LOCK: i64 = 0x4855_4345_0000_6364;

/// More marked toilets than this are read with whole-table scans instead of by their ids.
const SCAN_FROM: usize = 20_000;

/// Marks every inspected toilet, so the next comparison works them all out again (after a
/// copy between engines, or to check that what is kept is what a fresh comparison finds).
pub fn rebuild<'a>(db: impl Into<Db<'a>>) -> Result<()> {
    let db = db.into();
    db.atomically(|db| db.execute_batch(crate::store::schema::KEPT_COMPARISON_AFRESH))
}

/// Works out the marked toilets again (see the module documentation). Nothing to do is one
/// read of an empty table.
pub(crate) fn refresh(db: Db<'_>) -> Result<()> {
    if !db.exists("SELECT 1 FROM compare_pending", [])? {
        return Ok(());
    }
    db.atomically(|db| {
        if db.engine() == Engine::Server {
            // One refresh at a time: two taking marks in different orders could deadlock.
            db.execute_batch(&format!("SELECT pg_advisory_xact_lock({REFRESH_LOCK})"))?;
        }
        let mut marked: Vec<i64> = Vec::new();
        db.for_each("DELETE FROM compare_pending RETURNING toilet_id", [], |r| {
            marked.push(r.get(0)?);
            Ok(())
        })?;
        if marked.is_empty() {
            return Ok(());
        }
        marked.sort_unstable();
        let ids = json_list(&marked);
        let only = if marked.len() > SCAN_FROM {
            Only::All
        } else {
            Only::Ids(ids.clone())
        };
        let places = places(db, &only)?;
        let mut visits = visits(db, &only)?;
        // Only the marked toilets (a scan reads the others too).
        visits.keep(&marked);
        problems(db, &only, &mut visits)?;
        let corrections = corrections(db, &only)?;
        let outcomes: Vec<Outcome> = visits
            .toilets
            .iter()
            .filter_map(|(id, range)| {
                let place = places.get(id)?;
                Some(outcome(
                    *id,
                    place,
                    &visits.all[range.clone()],
                    corrections.get(id).map_or(&[][..], Vec::as_slice),
                ))
            })
            .collect();
        let members = members(db, &only, &visits, &outcomes)?;
        // The 社 whose counts change: where the marked toilets were and where they are.
        let mut groups: Vec<i64> = outcomes
            .iter()
            .map(|o| places[&o.toilet].group_id)
            .collect();
        db.for_each(
            &format!(
                "SELECT DISTINCT group_id FROM compare_toilets WHERE toilet_id IN ({})",
                sql::json_ids(db.engine(), "?1")
            ),
            [&ids],
            |r| {
                groups.push(r.get(0)?);
                Ok(())
            },
        )?;
        for table in [
            "compare_differences",
            "compare_toilets",
            "compare_self_checks",
        ] {
            db.execute(
                &format!(
                    "DELETE FROM {table} WHERE toilet_id IN ({})",
                    sql::json_ids(db.engine(), "?1")
                ),
                [&ids],
            )?;
        }
        write(db, &places, &visits, &outcomes, &members)?;
        groups.sort_unstable();
        groups.dedup();
        recount(db, matches!(only, Only::All), &groups)
    })
}

/// The counts of the 社 in `groups` (of every 社 when `all`) counted again from the kept
/// toilets: what the comparison reads for the rates.
fn recount(db: Db<'_>, all: bool, groups: &[i64]) -> Result<()> {
    let columns = "village_id, group_id, rated_set, toilets, baseline_compared, baseline_differs, between_checks";
    let counted =
        "SELECT village_id, group_id, rated_set, count(*), CAST(sum(baseline_compared) AS BIGINT),
                          CAST(sum(baseline_differs) AS BIGINT), CAST(sum(between_checks) AS BIGINT)
                   FROM compare_toilets";
    let by = "GROUP BY village_id, group_id, rated_set";
    if all {
        return db.execute_batch(&format!(
            "DELETE FROM compare_counts; INSERT INTO compare_counts ({columns}) {counted} {by};"
        ));
    }
    if groups.is_empty() {
        return Ok(());
    }
    let list = json_list(groups);
    let of = format!("group_id IN ({})", sql::json_ids(db.engine(), "?1"));
    db.execute(&format!("DELETE FROM compare_counts WHERE {of}"), [&list])?;
    db.execute(
        &format!("INSERT INTO compare_counts ({columns}) {counted} WHERE {of} {by}"),
        [&list],
    )?;
    Ok(())
}

/// Which toilets are read: all (a scan) or those in a JSON list.
enum Only {
    All,
    Ids(String),
}

impl Only {
    /// Runs `sql` with `ONLY(column)` replaced by the condition on `column`.
    fn for_each(
        &self,
        db: Db<'_>,
        sql: &str,
        column: &str,
        each: impl FnMut(&sql::Row) -> Result<()>,
    ) -> Result<()> {
        let marker = format!("ONLY({column})");
        match self {
            Only::All => db.for_each(&sql.replace(&marker, "1 = 1"), [], each),
            Only::Ids(list) => db.for_each(
                &sql.replace(
                    &marker,
                    &format!("{column} IN ({})", sql::json_ids(db.engine(), "?1")),
                ),
                [list],
                each,
            ),
        }
    }
}

/// The ids as a JSON array, for [`sql::json_ids`].
pub(super) fn json_list(ids: &[i64]) -> String {
    serde_json::to_string(ids).expect("ids serialise")
}

/// Where a toilet is and what the baseline says of it.
struct Place {
    household_id: i64,
    village_id: i64,
    group_id: i64,
    seq: i64,
    use_status: Option<UseStatus>,
    head_name: String,
}

fn places(db: Db<'_>, only: &Only) -> Result<HashMap<i64, Place>> {
    let mut out = HashMap::new();
    only.for_each(
        db,
        "SELECT t.id, t.seq, t.use_status, h.id, h.village_id, h.group_id, h.head_name
         FROM toilets t JOIN households h ON h.id = t.household_id WHERE ONLY(t.id)",
        "t.id",
        |r| {
            out.insert(
                r.get(0)?,
                Place {
                    seq: r.get(1)?,
                    use_status: r.get(2)?,
                    household_id: r.get(3)?,
                    village_id: r.get(4)?,
                    group_id: r.get(5)?,
                    head_name: r.get(6)?,
                },
            );
            Ok(())
        },
    )?;
    Ok(out)
}

#[derive(Clone)]
struct Visit {
    id: i64,
    kind: InspectionKind,
    /// The date as yyyymmdd, for ordering without allocating.
    on: u32,
    status: HouseholdStatus,
    in_use: Option<bool>,
    problems: BTreeSet<String>,
    stops_use: bool,
}

/// The inspections read, by toilet and in date order; each toilet (by id) with its
/// inspections' range in `all`.
struct Visits {
    all: Vec<Visit>,
    toilets: Vec<(i64, Range<usize>)>,
}

impl Visits {
    /// Keeps the inspections of the toilets in `marked` (sorted) only.
    fn keep(&mut self, marked: &[i64]) {
        if self
            .toilets
            .iter()
            .all(|(t, _)| marked.binary_search(t).is_ok())
        {
            return;
        }
        let mut all = Vec::new();
        let mut toilets = Vec::new();
        for (t, range) in std::mem::take(&mut self.toilets) {
            if marked.binary_search(&t).is_ok() {
                let start = all.len();
                all.extend_from_slice(&self.all[range]);
                toilets.push((t, start..all.len()));
            }
        }
        self.all = all;
        self.toilets = toilets;
    }
}

fn date_key(s: &str) -> u32 {
    s.bytes()
        .filter(u8::is_ascii_digit)
        .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))
}

fn date_text(d: u32) -> String {
    format!("{:04}-{:02}-{:02}", d / 10000, d / 100 % 100, d % 100)
}

fn visits(db: Db<'_>, only: &Only) -> Result<Visits> {
    let mut flat: Vec<(i64, Visit)> = Vec::new();
    only.for_each(
        db,
        "SELECT toilet_id, id, kind, inspected_on, household_status, in_normal_use
         FROM inspections WHERE ONLY(toilet_id)",
        "toilet_id",
        |r| {
            flat.push((
                r.get(0)?,
                Visit {
                    id: r.get(1)?,
                    kind: r.get(2)?,
                    on: date_key(r.get_ref(3)?.as_str().map_err(rusqlite::Error::from)?),
                    status: r.get(4)?,
                    in_use: r.get(5)?,
                    problems: BTreeSet::new(),
                    stops_use: false,
                },
            ));
            Ok(())
        },
    )?;
    flat.sort_unstable_by_key(|a| (a.0, a.1.on, a.1.id));
    let mut toilets: Vec<(i64, Range<usize>)> = Vec::new();
    for (i, (toilet, _)) in flat.iter().enumerate() {
        match toilets.last_mut() {
            Some((t, range)) if t == toilet => range.end = i + 1,
            _ => toilets.push((*toilet, i..i + 1)),
        }
    }
    Ok(Visits {
        all: flat.into_iter().map(|(_, v)| v).collect(),
        toilets,
    })
}

/// The latest inspection of each kind, in the order 村级 → 镇级 → 区级 (kept on the stack).
struct Latest {
    at: [usize; InspectionKind::ALL.len()],
    len: usize,
}

impl Latest {
    fn as_slice(&self) -> &[usize] {
        &self.at[..self.len]
    }
}

fn latest(visits: &[Visit]) -> Latest {
    let mut l = Latest {
        at: [0; InspectionKind::ALL.len()],
        len: 0,
    };
    for kind in InspectionKind::ALL {
        if let Some(i) = visits.iter().rposition(|v| v.kind == *kind) {
            l.at[l.len] = i;
            l.len += 1;
        }
    }
    l
}

/// The problems found by the inspections that are compared with another (the latest of each
/// kind, on toilets checked by two kinds or more), read into `visits`.
fn problems(db: Db<'_>, only: &Only, visits: &mut Visits) -> Result<()> {
    let mut wanted: HashMap<i64, usize> = HashMap::new();
    for (_, range) in &visits.toilets {
        let l = latest(&visits.all[range.clone()]);
        if l.len >= 2 {
            for &vi in l.as_slice() {
                wanted.insert(visits.all[range.start + vi].id, range.start + vi);
            }
        }
    }
    if wanted.is_empty() {
        return Ok(());
    }
    let only = match only {
        Only::All => Only::All,
        Only::Ids(_) => Only::Ids(json_list(&wanted.keys().copied().collect::<Vec<_>>())),
    };
    only.for_each(
        db,
        "SELECT p.inspection_id, pi.name, p.stops_use
         FROM inspection_problems p JOIN problem_items pi ON pi.id = p.item_id
         WHERE ONLY(p.inspection_id)",
        "p.inspection_id",
        |r| {
            if let Some(&vi) = wanted.get(&r.get::<_, i64>(0)?) {
                let v = &mut visits.all[vi];
                v.problems.insert(r.get(1)?);
                v.stops_use |= r.get::<_, bool>(2)?;
            }
            Ok(())
        },
    )
}

/// A baseline field an inspection corrected (技术模式, 补助年度 …): (inspection, field, old, new).
type Correction = (i64, String, String, String);

/// The corrections of the toilets read, by toilet, in the order they were made.
fn corrections(db: Db<'_>, only: &Only) -> Result<HashMap<i64, Vec<Correction>>> {
    let mut out: HashMap<i64, Vec<Correction>> = HashMap::new();
    only.for_each(
        db,
        "SELECT entity_id, source, field, coalesce(old_value, '（空）'), coalesce(new_value, '（空）')
         FROM change_log
         WHERE entity = 'toilet' AND ONLY(entity_id) AND source LIKE '入户核查%' ORDER BY id",
        "entity_id",
        |r| {
            let source: String = r.get(1)?;
            // "入户核查（村级自查，核查记录 12）" → 12
            let inspection: i64 = source
                .trim_end_matches('）')
                .rsplit(' ')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            out.entry(r.get(0)?)
                .or_default()
                .push((inspection, r.get(2)?, r.get(3)?, r.get(4)?));
            Ok(())
        },
    )?;
    Ok(out)
}

/// What one toilet's checks say.
struct Outcome {
    toilet: i64,
    /// Compared with its baseline (or between checks): counted in the village's rates.
    compared: bool,
    /// (left, right, field, left value, right value); the first `between_checks` are between
    /// two checks, the others against the baseline.
    found: Vec<[String; 5]>,
    between_checks: usize,
    /// The earlier inspection whose group is rated, when two kinds were compared.
    rated: Option<i64>,
}

fn yes_no(b: Option<bool>) -> String {
    b.map_or("未填".into(), |b| if b { "是".into() } else { "否".into() })
}

fn set_text(s: &BTreeSet<String>) -> String {
    if s.is_empty() {
        "无问题".into()
    } else {
        s.iter().cloned().collect::<Vec<_>>().join("、")
    }
}

/// Compares the latest inspection of each kind with each other and the last with the
/// baseline; lists the baseline fields the inspections corrected.
fn outcome(toilet: i64, place: &Place, visits: &[Visit], corrections: &[Correction]) -> Outcome {
    let at = latest(visits);
    let latest: Vec<&Visit> = at.as_slice().iter().map(|&i| &visits[i]).collect();
    let compared = latest.len() >= 2 || (place.use_status.is_some() && !latest.is_empty());
    let mut out = Outcome {
        toilet,
        compared,
        found: Vec::new(),
        between_checks: 0,
        rated: None,
    };
    if !compared {
        return out;
    }
    let found = &mut out.found;
    let name = |v: &Visit| format!("{} {}", v.kind.label(), date_text(v.on));
    for (i, a) in latest.iter().enumerate() {
        for b in &latest[i + 1..] {
            let mut differ = |field: &str, x: String, y: String| {
                found.push([name(a), name(b), field.into(), x, y]);
            };
            if a.status != b.status {
                differ("农户状态", a.status.label().into(), b.status.label().into());
            }
            // After 无人居住, 户已迁出 … nothing else is filled in: only the status differs.
            if a.status != HouseholdStatus::Normal || b.status != HouseholdStatus::Normal {
                continue;
            }
            if a.in_use != b.in_use {
                differ("是否正常使用", yes_no(a.in_use), yes_no(b.in_use));
            }
            if a.problems != b.problems {
                differ("发现的问题", set_text(&a.problems), set_text(&b.problems));
            }
            if a.stops_use != b.stops_use {
                differ(
                    "是否影响使用",
                    yes_no(Some(a.stops_use)),
                    yes_no(Some(b.stops_use)),
                );
            }
        }
    }
    out.between_checks = out.found.len();
    for (inspection, field, old, new) in corrections {
        let by = visits
            .iter()
            .find(|v| v.id == *inspection)
            .map_or_else(|| "入户核查".to_string(), name);
        out.found.push([
            "台账底数".into(),
            by,
            field.clone(),
            old.clone(),
            new.clone(),
        ]);
    }
    // The baseline says in normal use; the field says not (or the other way round).
    if let (Some(base), Some(last)) = (place.use_status, latest.last()) {
        if let Some(in_use) = last.in_use {
            if (base == UseStatus::InUse) != in_use {
                out.found.push([
                    "台账底数".into(),
                    name(last),
                    "使用状态".into(),
                    base.label().into(),
                    if in_use {
                        "正常使用".into()
                    } else {
                        "不能正常使用".into()
                    },
                ]);
            }
        }
    }
    out.rated = (latest.len() >= 2).then(|| latest[0].id);
    out
}

/// The group of each rated inspection and of every village check of the toilets worked out,
/// as its staff ids sorted and joined by commas ("" when nobody is recorded).
fn members(
    db: Db<'_>,
    only: &Only,
    visits: &Visits,
    outcomes: &[Outcome],
) -> Result<HashMap<i64, String>> {
    let mut staff: HashMap<i64, Vec<i64>> = outcomes
        .iter()
        .filter_map(|o| o.rated)
        .chain(
            visits
                .all
                .iter()
                .filter(|v| v.kind == InspectionKind::VillageSelf)
                .map(|v| v.id),
        )
        .map(|i| (i, Vec::new()))
        .collect();
    if staff.is_empty() {
        return Ok(HashMap::new());
    }
    let only = match only {
        Only::All => Only::All,
        Only::Ids(_) => Only::Ids(json_list(&staff.keys().copied().collect::<Vec<_>>())),
    };
    only.for_each(
        db,
        "SELECT inspection_id, staff_id FROM inspection_members WHERE ONLY(inspection_id)",
        "inspection_id",
        |r| {
            if let Some(s) = staff.get_mut(&r.get::<_, i64>(0)?) {
                s.push(r.get(1)?);
            }
            Ok(())
        },
    )?;
    Ok(staff
        .into_iter()
        .map(|(inspection, mut s)| {
            s.sort_unstable();
            let text: Vec<String> = s.iter().map(i64::to_string).collect();
            (inspection, text.join(","))
        })
        .collect())
}

fn write(
    db: Db<'_>,
    places: &HashMap<i64, Place>,
    visits: &Visits,
    outcomes: &[Outcome],
    sets: &HashMap<i64, String>,
) -> Result<()> {
    let mut toilets = Rows::new(
        db,
        "compare_toilets",
        &[
            "toilet_id",
            "household_id",
            "village_id",
            "group_id",
            "baseline_compared",
            "baseline_differs",
            "rated_set",
            "between_checks",
        ],
    );
    let mut differences = Rows::new(
        db,
        "compare_differences",
        &[
            "toilet_id",
            "position",
            "household_id",
            "village_id",
            "group_id",
            "toilet_seq",
            "head_name",
            "left_side",
            "right_side",
            "field",
            "left_value",
            "right_value",
            "between_checks",
        ],
    );
    for o in outcomes {
        let p = &places[&o.toilet];
        let rated_set = o.rated.and_then(|i| sets.get(&i));
        toilets.push(&[
            &o.toilet,
            &p.household_id,
            &p.village_id,
            &p.group_id,
            &i64::from(o.compared),
            &i64::from(o.found.len() > o.between_checks),
            &rated_set,
            &i64::from(o.between_checks > 0),
        ])?;
        for (k, [left, right, field, a, b]) in o.found.iter().enumerate() {
            differences.push(&[
                &o.toilet,
                &(k as i64),
                &p.household_id,
                &p.village_id,
                &p.group_id,
                &p.seq,
                &p.head_name,
                left,
                right,
                field,
                a,
                b,
                &i64::from(k < o.between_checks),
            ])?;
        }
    }
    toilets.finish()?;
    differences.finish()?;
    // Each group that made a village check of a toilet: the toilet is in the group's batch.
    let mut self_checks = Rows::new(
        db,
        "compare_self_checks",
        &["staff_set", "toilet_id", "household_id"],
    );
    let mut groups: Vec<&str> = Vec::new();
    for (toilet, range) in &visits.toilets {
        let Some(p) = places.get(toilet) else {
            continue;
        };
        groups.clear();
        groups.extend(
            visits.all[range.clone()]
                .iter()
                .filter(|v| v.kind == InspectionKind::VillageSelf)
                .filter_map(|v| sets.get(&v.id).map(String::as_str))
                .filter(|s| !s.is_empty()),
        );
        groups.sort_unstable();
        groups.dedup();
        for set in &groups {
            self_checks.push(&[set, toilet, &p.household_id])?;
        }
    }
    self_checks.finish()
}
