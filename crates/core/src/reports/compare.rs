//! 多方比对: the village's own check (村级自查) against the town's re-check (镇级复核) and the
//! district's spot check (区级抽查), and each against the baseline. Every field that differs is
//! listed; per village and per inspection group the share of toilets with a difference shows
//! where an office-only survey (办公室摸排) or a careless group is.

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;

use serde::Serialize;

use std::path::Path;

use rust_xlsxwriter::Workbook;

use crate::error::Result;
use crate::fieldwork::working::WorkingValues;
use crate::ledger_io::xlsx::{percent_format, titled_sheet, xlsx_err, Val};
use crate::model::{HouseholdStatus, InspectionKind, UseStatus};
use crate::places::households::Scope;
use crate::store::settings::TownSettings;
use crate::store::sql::{self, Db};

/// One field on which two records of the same toilet disagree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    pub household_id: i64,
    pub head_name: String,
    pub village_name: String,
    pub group_name: String,
    pub toilet_seq: i64,
    /// What is compared, e.g. "村级自查 2022-09-20" or "台账底数".
    pub left: String,
    pub right: String,
    pub field: String,
    pub left_value: String,
    pub right_value: String,
    /// Between two checks (rates the inspectors), not against the baseline (what the survey is
    /// meant to find).
    pub between_checks: bool,
}

/// Counts of one village or inspection group. `compared`/`differing` are toilets checked twice
/// (村级自查 against 镇级复核 or 区级抽查) and those where the checks disagree: they rate the
/// inspectors. What the checks found against the baseline (台账底数) is what the survey is for,
/// counted apart in `baseline_*`.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Rate {
    pub name: String,
    pub compared: usize,
    pub differing: usize,
    /// Inspected toilets, each compared with its baseline.
    pub baseline_compared: usize,
    /// Of those, the toilets whose checks found the baseline wrong.
    pub baseline_differing: usize,
    /// An inspection group's members (staff ids); empty for a village.
    pub staff: Vec<i64>,
    /// The batch the advice is about, when it asks for a second back-check or a re-survey: the
    /// toilets (and their households) the group checked, or the village's checked toilets.
    pub toilets: Vec<i64>,
    pub households: Vec<i64>,
    /// The rate as shown ([`Rate::percent_text`]), set when the comparison is complete.
    pub shown: String,
    /// What DOMAIN says to do at this rate ([`Rate::advice`]); empty when nothing.
    pub advice: String,
    /// How the advice is marked: "bad" (re-check or re-survey), "warn" (retrain) or "".
    pub level: String,
}

/// How the sheet and the screen explain the thresholds: the town's working values, labelled so.
pub fn thresholds_note(w: &WorkingValues) -> String {
    format!(
        "差异率 = 有差异的户厕数 ÷ 比对户厕数。差异率超过 {}% 的应组织再培训，{}% 起应再次抽查并扩大核查该组记录，超过 {}% 的应重新摸排（{}）。",
        w.retrain_above,
        w.second_check_from,
        w.resurvey_above,
        crate::fieldwork::working::LABEL
    )
}

/// Fewer compared toilets than this give no advice (too small a sample).
const MIN_FOR_ADVICE: usize = 5;

impl Rate {
    /// Share of compared toilets with at least one difference, in per cent.
    pub fn percent(&self) -> f64 {
        crate::model::percent(self.differing as i64, self.compared as i64)
    }
    /// The same as shown ("—" when nothing was compared).
    pub fn percent_text(&self) -> String {
        crate::model::rate_text(self.differing as i64, self.compared as i64)
    }
    /// The town's working thresholds (DOMAIN's practice by default: above 10% retrain; 20–30% a
    /// second back-check; above 40% re-survey the batch). Returns the advice and its mark
    /// ("bad", "warn" or "").
    pub fn advice(&self, w: &WorkingValues) -> (&'static str, &'static str) {
        let p = self.percent();
        if self.compared < MIN_FOR_ADVICE {
            ("样本太少", "")
        } else if p > w.resurvey_above {
            ("重新调查该批", "bad")
        } else if p >= w.second_check_from {
            ("二次回查并扩大抽查", "bad")
        } else if p > w.retrain_above {
            ("需要再培训", "warn")
        } else {
            ("", "")
        }
    }
    fn finish(mut self, w: &WorkingValues) -> Self {
        self.shown = self.percent_text();
        let (advice, level) = self.advice(w);
        self.advice = advice.into();
        self.level = level.into();
        if level != "bad" {
            self.toilets = Vec::new();
            self.households = Vec::new();
        }
        self.toilets.sort_unstable();
        self.toilets.dedup();
        self.households.sort_unstable();
        self.households.dedup();
        self
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub differences: Vec<Difference>,
    pub villages: Vec<Rate>,
    /// By the inspection group whose result was checked (the earlier inspection's members).
    pub groups: Vec<Rate>,
    /// How the rates are judged: the town's working thresholds, labelled so.
    pub note: String,
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

struct ToiletRow<'a> {
    id: i64,
    place: &'a Place,
    visits: &'a [Visit],
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

fn date_key(s: &str) -> u32 {
    s.bytes()
        .filter(u8::is_ascii_digit)
        .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))
}

fn date_text(d: u32) -> String {
    format!("{:04}-{:02}-{:02}", d / 10000, d / 100 % 100, d % 100)
}

/// Runs `sql` with the ids as one JSON array bound to ?1 (`IDS` in `sql` stands for the
/// statement listing them, [`sql::json_ids`]), so a few thousand point lookups become one
/// statement.
fn for_ids(
    conn: Db<'_>,
    sql: &str,
    ids: impl Iterator<Item = i64>,
    each: impl FnMut(&sql::Row) -> Result<()>,
) -> Result<()> {
    let mut list = String::from("[");
    for (i, id) in ids.enumerate() {
        if i > 0 {
            list.push(',');
        }
        list.push_str(&id.to_string());
    }
    list.push(']');
    let sql = sql.replace("IDS", &sql::json_ids(conn.engine(), "?1"));
    conn.for_each(&sql, [list], each)
}

/// Where a toilet is and what the baseline says of it.
#[derive(Clone, Copy)]
struct Place {
    household_id: i64,
    village_id: i64,
    group_id: i64,
    seq: i64,
    use_status: Option<UseStatus>,
    /// Where the household head's name is in [`Places::heads`].
    head: (u32, u32),
}

/// Every toilet of `scope` with its place, indexed by toilet id (ids are dense: rows are
/// never deleted), and the household heads' names the places point into.
struct Places {
    of: Vec<Option<Place>>,
    heads: String,
}

impl Places {
    fn read(conn: Db<'_>, scope: Scope) -> Result<Self> {
        let (filter, id) = match scope {
            // Uses ?1 as the others do (one value bound whatever the scope, of a type the
            // server can tell).
            Scope::Town => ("?1 = 0", 0),
            Scope::Village(v) => ("h.village_id = ?1", v),
            Scope::Group(g) => ("h.group_id = ?1", g),
        };
        let max: i64 =
            conn.query_row("SELECT coalesce(max(id), 0) FROM toilets", [], |r| r.get(0))?;
        let mut of = vec![None; usize::try_from(max).unwrap_or(0) + 1];
        let mut heads = String::new();
        // The household's row is read for its place anyway: its head's name costs no lookup
        // here, where reading it afterwards for each difference would.
        let sql = format!(
            "SELECT t.id, t.seq, t.use_status, h.id, h.village_id, h.group_id, h.head_name
             FROM toilets t JOIN households h ON h.id = t.household_id
             WHERE {filter}"
        );
        conn.for_each(&sql, [id], |r| {
            let id: i64 = r.get(0)?;
            if let Some(slot) = usize::try_from(id).ok().and_then(|i| of.get_mut(i)) {
                let start = heads.len() as u32;
                heads.push_str(r.get_ref(6)?.as_str().map_err(rusqlite::Error::from)?);
                *slot = Some(Place {
                    seq: r.get(1)?,
                    use_status: r.get(2)?,
                    household_id: r.get(3)?,
                    village_id: r.get(4)?,
                    group_id: r.get(5)?,
                    head: (start, heads.len() as u32),
                });
            }
            Ok(())
        })?;
        Ok(Places { of, heads })
    }

    fn get(&self, toilet: i64) -> Option<&Place> {
        usize::try_from(toilet)
            .ok()
            .and_then(|i| self.of.get(i))?
            .as_ref()
    }

    /// The head's name of the household at `place`.
    fn head(&self, place: &Place) -> &str {
        self.heads
            .get(place.head.0 as usize..place.head.1 as usize)
            .unwrap_or_default()
    }
}

/// Every inspection, grouped by toilet and in date order.
fn visits(conn: Db<'_>) -> Result<Visits> {
    let mut flat: Vec<(i64, Visit)> = Vec::new();
    conn.for_each(
        "SELECT toilet_id, id, kind, inspected_on, household_status, in_normal_use
         FROM inspections",
        [],
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

/// The problems found by the inspections that are compared with another (the latest of each
/// kind, on toilets checked by two kinds or more), read into `visits`.
fn problems(conn: Db<'_>, visits: &mut Visits) -> Result<()> {
    let mut wanted: HashMap<i64, usize> = HashMap::new();
    for (_, range) in &visits.toilets {
        let l = latest(&visits.all[range.clone()]);
        if l.len >= 2 {
            for &vi in l.as_slice() {
                wanted.insert(visits.all[range.start + vi].id, range.start + vi);
            }
        }
    }
    conn.for_each(
        "SELECT p.inspection_id, pi.name, p.stops_use
         FROM inspection_problems p JOIN problem_items pi ON pi.id = p.item_id",
        [],
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

/// Every inspection, by toilet and in date order; each toilet (by id) with its inspections'
/// range in `all`.
struct Visits {
    all: Vec<Visit>,
    toilets: Vec<(i64, Range<usize>)>,
}

/// Who made each inspection, read in one pass: the inspection groups (their staff ids, sorted)
/// and, by inspection id, the group that made it.
struct Members {
    /// (inspection id, index into `sets`), by inspection id.
    of: Vec<(i64, u32)>,
    sets: Vec<Vec<i64>>,
    index: HashMap<Vec<i64>, u32>,
    /// Each set's name: its members' names in name order, joined by 、.
    names: Vec<String>,
}

impl Members {
    /// The (inspection, staff) rows of the inspections up to `last` (`upper` false) or after
    /// it: the two halves are read at once.
    fn rows(conn: Db<'_>, last: i64, upper: bool) -> Result<Vec<(i64, i64)>> {
        let mut rows: Vec<(i64, i64)> = Vec::new();
        let sql = if upper {
            "SELECT inspection_id, staff_id FROM inspection_members WHERE inspection_id > ?1"
        } else {
            "SELECT inspection_id, staff_id FROM inspection_members WHERE inspection_id <= ?1"
        };
        conn.for_each(sql, [last], |r| {
            rows.push((r.get(0)?, r.get(1)?));
            Ok(())
        })?;
        Ok(rows)
    }

    fn new(conn: Db<'_>, mut rows: Vec<(i64, i64)>) -> Result<Self> {
        rows.sort_unstable();
        let mut staff_names: HashMap<i64, String> = HashMap::new();
        conn.for_each("SELECT id, name FROM staff", [], |r| {
            staff_names.insert(r.get(0)?, r.get(1)?);
            Ok(())
        })?;
        let mut m = Members {
            of: Vec::new(),
            sets: Vec::new(),
            index: HashMap::new(),
            names: Vec::new(),
        };
        let mut staff: Vec<i64> = Vec::new();
        for chunk in rows.chunk_by(|a, b| a.0 == b.0) {
            staff.clear();
            staff.extend(chunk.iter().map(|r| r.1));
            let set = match m.index.get(staff.as_slice()) {
                Some(&i) => i,
                None => {
                    let i = m.sets.len() as u32;
                    let mut names: Vec<&str> = staff
                        .iter()
                        .filter_map(|s| staff_names.get(s).map(String::as_str))
                        .collect();
                    names.sort_unstable();
                    m.names.push(names.join("、"));
                    m.index.insert(staff.clone(), i);
                    m.sets.push(staff.clone());
                    i
                }
            };
            m.of.push((chunk[0].0, set));
        }
        Ok(m)
    }

    /// The group that made `inspection`, if anyone is recorded.
    fn set_of(&self, inspection: i64) -> Option<u32> {
        self.of
            .binary_search_by_key(&inspection, |e| e.0)
            .ok()
            .map(|i| self.of[i].1)
    }
}

/// The latest inspection of each kind, in the order 村级 → 镇级 → 区级 (kept on the stack:
/// it is asked for every toilet of the district).
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

/// Compares the inspections of every toilet in `scope`.
///
/// Reads every inspection (with the problems of those compared) on one connection while the
/// places of `scope` and the inspection groups are read on a second (on the file a read-only
/// one), so the district's comparison is a few scans, two at a time.
pub fn compare<'a>(db: impl Into<Db<'a>>, scope: Scope) -> Result<Comparison> {
    let conn = db.into();
    // The inspection groups are read half on each connection.
    let half: i64 = conn.query_row(
        "SELECT coalesce(max(id), 0) / 2 FROM inspections",
        [],
        |r| r.get(0),
    )?;
    let ((visits, upper), (places, lower)) = sql::in_parallel(
        conn,
        |conn| {
            let mut visits = visits(conn)?;
            problems(conn, &mut visits)?;
            Ok((visits, Members::rows(conn, half, true)?))
        },
        |second| {
            Ok((
                Places::read(second, scope)?,
                Members::rows(second, half, false)?,
            ))
        },
    )?;
    let mut rows = lower;
    rows.extend(upper);
    let members = Members::new(conn, rows)?;
    let toilets: Vec<ToiletRow> = visits
        .toilets
        .iter()
        .filter_map(|(id, range)| {
            let place = places.get(*id)?;
            Some(ToiletRow {
                id: *id,
                place,
                visits: &visits.all[range.clone()],
            })
        })
        .collect();
    let mut village_names: Vec<(i64, String)> = Vec::new();
    conn.for_each(
        "SELECT id, name FROM villages ORDER BY sort_order, id",
        [],
        |r| {
            village_names.push((r.get(0)?, r.get(1)?));
            Ok(())
        },
    )?;
    let mut group_names: HashMap<i64, (String, i64)> = HashMap::new();
    conn.for_each("SELECT id, name, sort_order FROM village_groups", [], |r| {
        group_names.insert(r.get(0)?, (r.get(1)?, r.get(2)?));
        Ok(())
    })?;
    let village_index: HashMap<i64, usize> = village_names
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (*id, i))
        .collect();

    // First pass: what differs, per toilet. Places and inspection groups are then looked up
    // in two statements, only for the toilets that need them.
    struct Outcome<'a> {
        toilet: &'a ToiletRow<'a>,
        village: usize,
        /// (left, right, field, left value, right value)
        found: Vec<(String, String, String, String, String)>,
        between_checks: usize,
        /// The earlier inspection whose group is rated, when two kinds were compared.
        rated: Option<i64>,
    }
    // Baseline fields an inspection corrected (技术模式, 补助年度 …): old → new in change_log.
    let mut corrections: HashMap<i64, Vec<(i64, String, String, String)>> = HashMap::new();
    conn.for_each(
        "SELECT entity_id, source, field, coalesce(old_value, '（空）'), coalesce(new_value, '（空）')
         FROM change_log WHERE entity = 'toilet' AND source LIKE '入户核查%' ORDER BY id",
        [],
        |r| {
            let source: String = r.get(1)?;
            // "入户核查（村级自查，核查记录 12）" → 12
            let inspection: i64 = source
                .trim_end_matches('）')
                .rsplit(' ')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            corrections.entry(r.get(0)?).or_default().push((
                inspection,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
            ));
            Ok(())
        },
    )?;
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(toilets.len());
    let mut villages: Vec<Option<Rate>> = vec![None; village_names.len()];
    for t in &toilets {
        let Some(&vx) = village_index.get(&t.place.village_id) else {
            continue;
        };
        villages[vx].get_or_insert_with(|| Rate {
            name: village_names[vx].1.clone(),
            ..Rate::default()
        });
        let at = latest(t.visits);
        let Some(first) = t.visits.first() else {
            continue;
        };
        let mut kept = [first; InspectionKind::ALL.len()];
        for (k, &i) in at.as_slice().iter().enumerate() {
            kept[k] = &t.visits[i];
        }
        let latest = &kept[..at.len];
        let compared = latest.len() >= 2 || (t.place.use_status.is_some() && !latest.is_empty());
        if !compared {
            continue;
        }
        let mut found: Vec<(String, String, String, String, String)> = Vec::new();
        let name = |v: &Visit| format!("{} {}", v.kind.label(), date_text(v.on));
        for (i, a) in latest.iter().enumerate() {
            for b in &latest[i + 1..] {
                if a.status != b.status {
                    found.push((
                        name(a),
                        name(b),
                        "农户状态".into(),
                        a.status.label().into(),
                        b.status.label().into(),
                    ));
                }
                // After 无人居住, 户已迁出 … nothing else is filled in: only the status differs.
                let both_normal =
                    a.status == HouseholdStatus::Normal && b.status == HouseholdStatus::Normal;
                if !both_normal {
                    continue;
                }
                if a.in_use != b.in_use {
                    found.push((
                        name(a),
                        name(b),
                        "是否正常使用".into(),
                        yes_no(a.in_use),
                        yes_no(b.in_use),
                    ));
                }
                if a.problems != b.problems {
                    found.push((
                        name(a),
                        name(b),
                        "发现的问题".into(),
                        set_text(&a.problems),
                        set_text(&b.problems),
                    ));
                }
                if a.stops_use != b.stops_use {
                    found.push((
                        name(a),
                        name(b),
                        "是否影响使用".into(),
                        yes_no(Some(a.stops_use)),
                        yes_no(Some(b.stops_use)),
                    ));
                }
            }
        }
        let between_checks = found.len();
        for (inspection, field, old, new) in corrections.get(&t.id).into_iter().flatten() {
            let by = t
                .visits
                .iter()
                .find(|v| v.id == *inspection)
                .map_or_else(|| "入户核查".to_string(), name);
            found.push((
                "台账底数".into(),
                by,
                field.clone(),
                old.clone(),
                new.clone(),
            ));
        }
        // The baseline says in normal use; the field says not (or the other way round).
        if let (Some(base), Some(last)) = (t.place.use_status, latest.last()) {
            if let Some(in_use) = last.in_use {
                if (base == UseStatus::InUse) != in_use {
                    found.push((
                        "台账底数".into(),
                        name(last),
                        "使用状态".into(),
                        base.label().into(),
                        if in_use {
                            "正常使用".into()
                        } else {
                            "不能正常使用".into()
                        },
                    ));
                }
            }
        }
        outcomes.push(Outcome {
            toilet: t,
            village: vx,
            found,
            between_checks,
            rated: (latest.len() >= 2).then(|| latest[0].id),
        });
    }

    let mut groups: HashMap<String, Rate> = HashMap::new();
    for o in &outcomes {
        let rate = villages[o.village]
            .as_mut()
            .expect("village rate made above");
        rate.baseline_compared += 1;
        if o.found.len() > o.between_checks {
            rate.baseline_differing += 1;
        }
        if let Some(inspection) = o.rated {
            rate.compared += 1;
            if o.between_checks > 0 {
                rate.differing += 1;
            }
            rate.toilets.push(o.toilet.id);
            rate.households.push(o.toilet.place.household_id);
            let set = members.set_of(inspection);
            let who = set.map_or("", |s| members.names[s as usize].as_str());
            let g = match groups.get_mut(who) {
                Some(g) => g,
                None => groups.entry(who.to_string()).or_insert_with(|| Rate {
                    name: who.to_string(),
                    staff: set.map_or_else(Vec::new, |s| members.sets[s as usize].clone()),
                    ..Rate::default()
                }),
            };
            g.compared += 1;
            if o.between_checks > 0 {
                g.differing += 1;
            }
        }
    }
    // The toilets with differences, sorted by village, 社, household and toilet (a stable sort:
    // ties keep the order of the toilet ids).
    let no_group = (String::new(), 0);
    let group_of = |id: i64| group_names.get(&id).unwrap_or(&no_group);
    let mut differing: Vec<&mut Outcome> = outcomes
        .iter_mut()
        .filter(|o| !o.found.is_empty())
        .collect();
    differing.sort_by_cached_key(|o| {
        let place = o.toilet.place;
        (
            o.village,
            (group_of(place.group_id).1, place.group_id),
            place.household_id,
            place.seq,
        )
    });
    let mut differences: Vec<Difference> = Vec::new();
    for o in differing {
        let place = o.toilet.place;
        let group_name = &group_of(place.group_id).0;
        let head_name = places.head(place);
        for (k, (left, right, field, a, b)) in std::mem::take(&mut o.found).into_iter().enumerate()
        {
            differences.push(Difference {
                household_id: place.household_id,
                head_name: head_name.to_string(),
                village_name: village_names[o.village].1.clone(),
                group_name: group_name.clone(),
                toilet_seq: place.seq,
                left,
                right,
                field,
                left_value: a,
                right_value: b,
                between_checks: k < o.between_checks,
            });
        }
    }
    let w = WorkingValues::load(conn)?;
    let villages: Vec<Rate> = villages
        .into_iter()
        .flatten()
        .map(|r| r.finish(&w))
        .collect();
    let mut groups: Vec<Rate> = groups.into_values().map(|r| r.finish(&w)).collect();
    // A group to re-check or re-survey: its batch is every toilet it checked for the village.
    let bad: Vec<Vec<i64>> = groups
        .iter()
        .filter(|g| g.level == "bad" && !g.staff.is_empty())
        .map(|g| g.staff.clone())
        .collect();
    let mut batches = group_batches(conn, &visits, &places, &members, &bad)?;
    for g in groups.iter_mut() {
        if let Some(batch) = batches.remove(&g.staff) {
            (g.toilets, g.households) = batch;
        }
    }
    groups.sort_by(|a, b| {
        b.percent()
            .partial_cmp(&a.percent())
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(b.compared.cmp(&a.compared))
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(Comparison {
        differences,
        villages,
        groups,
        note: thresholds_note(&w),
    })
}

/// How the difference list names a difference's kind.
pub fn difference_kind(d: &Difference) -> &'static str {
    if d.between_checks {
        "核查之间不一致"
    } else {
        "与台账底数不一致"
    }
}

/// A group's batch: its toilets and their households.
type Batch = (Vec<i64>, Vec<i64>);

/// The batch of each group in `wanted` (its sorted staff ids): the toilets (and households)
/// whose 村级自查 was made by exactly that group, sorted, wherever they are (a group may have
/// checked outside `scope`). From the inspections and groups already read; the households of
/// toilets outside the scope's places are looked up.
fn group_batches(
    conn: Db<'_>,
    visits: &Visits,
    places: &Places,
    members: &Members,
    wanted: &[Vec<i64>],
) -> Result<HashMap<Vec<i64>, Batch>> {
    let sets: HashMap<u32, &Vec<i64>> = wanted
        .iter()
        .filter_map(|w| members.index.get(w).map(|&i| (i, w)))
        .collect();
    if sets.is_empty() {
        return Ok(HashMap::new());
    }
    let mut toilets: HashMap<u32, Vec<i64>> = HashMap::new();
    for (toilet, range) in &visits.toilets {
        for v in &visits.all[range.clone()] {
            if v.kind != InspectionKind::VillageSelf {
                continue;
            }
            if let Some(set) = members.set_of(v.id).filter(|s| sets.contains_key(s)) {
                let batch = toilets.entry(set).or_default();
                if batch.last() != Some(toilet) {
                    batch.push(*toilet);
                }
            }
        }
    }
    let household_of = |t: i64| places.get(t).map(|p| p.household_id);
    let mut elsewhere: HashMap<i64, i64> = HashMap::new();
    let outside: Vec<i64> = toilets
        .values()
        .flatten()
        .copied()
        .filter(|t| household_of(*t).is_none())
        .collect();
    if !outside.is_empty() {
        for_ids(
            conn,
            "SELECT id, household_id FROM toilets WHERE id IN (IDS)",
            outside.into_iter(),
            |r| {
                elsewhere.insert(r.get(0)?, r.get(1)?);
                Ok(())
            },
        )?;
    }
    Ok(toilets
        .into_iter()
        .map(|(set, mut toilets)| {
            toilets.sort_unstable();
            toilets.dedup();
            let mut households: Vec<i64> = toilets
                .iter()
                .filter_map(|t| household_of(*t).or_else(|| elsewhere.get(t).copied()))
                .collect();
            households.sort_unstable();
            households.dedup();
            (sets[&set].clone(), (toilets, households))
        })
        .collect())
}

/// 多方比对 as .xlsx: 差异清单 (every difference, with the household's number so it can be
/// found), 各村差异率 and 各调查组差异率. Returns the number of differences.
pub fn comparison_xlsx<'a>(db: impl Into<Db<'a>>, scope: Scope, path: &Path) -> Result<usize> {
    let conn = db.into();
    let c = crate::reports::compare::compare(conn, scope)?;
    let town = TownSettings::load(conn)?;
    let e = xlsx_err(path);
    let mut book = Workbook::new();
    let title = |what: &str| format!("{}农村户厕多方比对{what}", town.town_name);
    let sheet = titled_sheet(
        &mut book,
        "差异清单",
        &title("差异清单"),
        &format!(
            "村级自查、镇级复核、区级抽查和台账底数不一致的地方，共 {} 处。农户编号可在程序中查找农户。",
            c.differences.len()
        ),
        &[
            ("序号", 6.0),
            ("村", 10.0),
            ("社", 6.0),
            ("户主", 10.0),
            ("厕所序号", 8.0),
            ("比对", 20.0),
            ("对照", 20.0),
            ("项目", 12.0),
            ("前者", 28.0),
            ("后者", 28.0),
            ("农户编号", 9.0),
            ("类型", 12.0),
        ],
        path,
    )?;
    for (i, d) in c.differences.iter().enumerate() {
        let row = 3 + i as u32;
        let values = [
            Val::Number((i + 1) as f64),
            Val::Text(d.village_name.clone()),
            Val::Text(d.group_name.clone()),
            Val::Text(d.head_name.clone()),
            Val::Number(d.toilet_seq as f64),
            Val::Text(d.left.clone()),
            Val::Text(d.right.clone()),
            Val::Text(d.field.clone()),
            Val::text(Some(d.left_value.clone())),
            Val::text(Some(d.right_value.clone())),
            Val::Number(d.household_id as f64),
            Val::Text(difference_kind(d).into()),
        ];
        for (col, v) in values.iter().enumerate() {
            v.write(sheet, row, col as u16).map_err(&e)?;
        }
    }
    let pct = percent_format();
    for (name, first, rates) in [
        ("各村差异率", "行政村", &c.villages),
        ("各调查组差异率", "调查组", &c.groups),
    ] {
        let villages = first == "行政村";
        let mut columns = vec![
            (first, 16.0),
            ("比对户厕数", 10.0),
            ("有差异", 8.0),
            ("差异率", 9.0),
        ];
        if villages {
            columns.extend([("核对台账户厕数", 12.0), ("台账有误", 9.0)]);
        }
        let sheet = titled_sheet(
            &mut book,
            name,
            &title(name),
            &format!(
                "差异率只比村级自查与镇级复核、区级抽查（衡量调查组）；与台账底数不一致是摸排要查出的问题，另列。{}",
                thresholds_note(&WorkingValues::load(conn)?)
            ),
            &columns,
            path,
        )?;
        for (i, r) in rates.iter().enumerate() {
            let row = 3 + i as u32;
            sheet.write_string(row, 0, &r.name).map_err(&e)?;
            sheet.write_number(row, 1, r.compared as f64).map_err(&e)?;
            sheet.write_number(row, 2, r.differing as f64).map_err(&e)?;
            sheet
                .write_number_with_format(row, 3, r.percent() / 100.0, &pct)
                .map_err(&e)?;
            if villages {
                sheet
                    .write_number(row, 4, r.baseline_compared as f64)
                    .map_err(&e)?;
                sheet
                    .write_number(row, 5, r.baseline_differing as f64)
                    .map_err(&e)?;
            }
        }
    }
    book.save(path).map_err(&e)?;
    Ok(c.differences.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(compared: usize, differing: usize) -> Rate {
        Rate {
            name: "石鱼村".into(),
            compared,
            differing,
            ..Rate::default()
        }
        .finish(&WorkingValues::default())
    }

    #[test]
    fn advice_follows_domains_thresholds_and_the_rate_has_one_text() {
        let cases = [
            (3, 3, "样本太少", "", "100.0%"),
            (10, 1, "", "", "10.0%"),
            (9, 1, "需要再培训", "warn", "11.1%"),
            (10, 2, "二次回查并扩大抽查", "bad", "20.0%"),
            (3, 2, "样本太少", "", "66.7%"),
            (10, 5, "重新调查该批", "bad", "50.0%"),
            (0, 0, "样本太少", "", "—"),
        ];
        for (compared, differing, advice, level, shown) in cases {
            let r = rate(compared, differing);
            assert_eq!(
                (r.advice.as_str(), r.level.as_str(), r.shown.as_str()),
                (advice, level, shown),
                "{differing} of {compared}"
            );
        }
    }
}
