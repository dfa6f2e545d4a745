//! 多方比对: the village's own check (村级自查) against the town's re-check (镇级复核) and the
//! district's spot check (区级抽查), and each against the baseline. Every field that differs is
//! listed; per village and per inspection group the share of toilets with a difference shows
//! where an office-only survey (办公室摸排) or a careless group is.

use std::collections::HashMap;

use serde::Serialize;

use std::path::Path;

use rust_xlsxwriter::Workbook;

use crate::error::Result;
use crate::fieldwork::working::WorkingValues;
use crate::ledger_io::xlsx::{percent_format, titled_sheet, xlsx_err, Val};
use crate::places::households::Scope;
use crate::store::settings::TownSettings;
use crate::store::sql::{self, Db};
use rusqlite::params;

mod kept;

use kept::json_list;
pub use kept::rebuild;

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

/// The condition of `scope` on a kept table's `village_id` and `group_id`, with its one
/// parameter `?n` and the value to bind (the same shape whatever the scope).
fn scope_filter(scope: Scope, n: usize) -> (String, i64) {
    match scope {
        Scope::Town => (format!("?{n} = 0"), 0),
        Scope::Village(v) => (format!("village_id = ?{n}"), v),
        Scope::Group(g) => (format!("group_id = ?{n}"), g),
    }
}

/// One row of the kept counts: a village and a group rated there.
struct Count {
    village: i64,
    /// The rated group's staff ids ("3,17"), `None` for toilets not checked twice.
    set: Option<String>,
    toilets: usize,
    baseline_compared: usize,
    baseline_differing: usize,
    differing: usize,
}

fn parse_set(set: &str) -> Vec<i64> {
    set.split(',').filter_map(|s| s.parse().ok()).collect()
}

/// Compares the inspections of every toilet in `scope`.
///
/// What each toilet's checks say is kept (see [`kept`]): the toilets changed since the last
/// comparison are worked out again first; then the rates are counted from the kept counts,
/// and the differences and the batches of the villages and groups to re-check are read on two
/// connections at once.
pub fn compare<'a>(db: impl Into<Db<'a>>, scope: Scope) -> Result<Comparison> {
    let conn = db.into();
    kept::refresh(conn)?;
    let (filter, id) = scope_filter(scope, 1);
    let mut counts: Vec<Count> = Vec::new();
    conn.for_each(
        &format!(
            "SELECT village_id, rated_set, CAST(sum(toilets) AS BIGINT),
                    CAST(sum(baseline_compared) AS BIGINT), CAST(sum(baseline_differs) AS BIGINT),
                    CAST(sum(between_checks) AS BIGINT)
             FROM compare_counts WHERE {filter} GROUP BY village_id, rated_set"
        ),
        [id],
        |r| {
            counts.push(Count {
                village: r.get(0)?,
                set: r.get(1)?,
                toilets: r.get::<_, i64>(2)? as usize,
                baseline_compared: r.get::<_, i64>(3)? as usize,
                baseline_differing: r.get::<_, i64>(4)? as usize,
                differing: r.get::<_, i64>(5)? as usize,
            });
            Ok(())
        },
    )?;
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
    let mut staff_names: HashMap<i64, String> = HashMap::new();
    conn.for_each("SELECT id, name FROM staff", [], |r| {
        staff_names.insert(r.get(0)?, r.get(1)?);
        Ok(())
    })?;
    let village_index: HashMap<i64, usize> = village_names
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (*id, i))
        .collect();

    // The rates: a village's from all its rows, a group's (by its members' names) from the
    // rows it was rated on.
    counts.sort_unstable_by(|a, b| (a.village, &a.set).cmp(&(b.village, &b.set)));
    let mut villages: Vec<Option<Rate>> = vec![None; village_names.len()];
    let mut groups: HashMap<String, Rate> = HashMap::new();
    for c in &counts {
        let Some(&vx) = village_index.get(&c.village) else {
            continue;
        };
        let rate = villages[vx].get_or_insert_with(|| Rate {
            name: village_names[vx].1.clone(),
            ..Rate::default()
        });
        rate.baseline_compared += c.baseline_compared;
        rate.baseline_differing += c.baseline_differing;
        let Some(set) = &c.set else {
            continue;
        };
        rate.compared += c.toilets;
        rate.differing += c.differing;
        let staff = parse_set(set);
        let mut names: Vec<&str> = staff
            .iter()
            .filter_map(|s| staff_names.get(s).map(String::as_str))
            .collect();
        names.sort_unstable();
        let who = names.join("、");
        let g = groups.entry(who.clone()).or_insert_with(|| Rate {
            name: who,
            staff,
            ..Rate::default()
        });
        g.compared += c.toilets;
        g.differing += c.differing;
    }
    let w = WorkingValues::load(conn)?;
    let mut villages: Vec<(i64, Rate)> = villages
        .into_iter()
        .zip(&village_names)
        .filter_map(|(r, v)| Some((v.0, r?.finish(&w))))
        .collect();
    let mut groups: Vec<Rate> = groups.into_values().map(|r| r.finish(&w)).collect();
    // A village to re-check or re-survey: its batch is every toilet of it checked twice; a
    // group's, every toilet it checked for the village.
    let bad_villages: Vec<i64> = villages
        .iter()
        .filter(|(_, r)| r.level == "bad")
        .map(|(v, _)| *v)
        .collect();
    let bad_groups: Vec<Vec<i64>> = groups
        .iter()
        .filter(|g| g.level == "bad" && !g.staff.is_empty())
        .map(|g| g.staff.clone())
        .collect();

    let (mut found, (mut village_batches, mut group_batches)) = sql::in_parallel(
        conn,
        |conn| differences(conn, scope),
        |second| {
            Ok((
                village_batches(second, scope, &bad_villages)?,
                group_batches(second, &bad_groups)?,
            ))
        },
    )?;
    for (village, rate) in villages.iter_mut() {
        if let Some(batch) = village_batches.remove(village) {
            (rate.toilets, rate.households) = batch;
        }
    }
    let villages: Vec<Rate> = villages.into_iter().map(|(_, r)| r).collect();
    for g in groups.iter_mut() {
        if let Some(batch) = group_batches.remove(&g.staff) {
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

    // The differences by village, 社, household, toilet and their order for the toilet.
    let no_group = (String::new(), 0);
    let group_of = |id: i64| group_names.get(&id).unwrap_or(&no_group);
    found.retain(|(k, _)| village_index.contains_key(&k.0));
    // Each difference's place worked out once (two look-ups), not at every comparison of the
    // sort (#19: 30,000 differences of a district, a fifth of the comparison's time).
    found.sort_by_cached_key(|(k, _)| {
        (
            village_index[&k.0],
            (group_of(k.1).1, k.1),
            k.2,
            k.3,
            k.4,
            k.5,
        )
    });
    let differences: Vec<Difference> = found
        .into_iter()
        .map(|(k, mut d)| {
            d.village_name = village_names[village_index[&k.0]].1.clone();
            d.group_name = group_of(k.1).0.clone();
            d
        })
        .collect();
    Ok(Comparison {
        differences,
        villages,
        groups,
        note: thresholds_note(&w),
    })
}

/// Where a kept difference sorts: (village, 社, household, toilet number, toilet, position).
type Place = (i64, i64, i64, i64, i64, i64);

/// The kept differences of `scope` with where each sorts, names of places not yet filled in.
fn differences(conn: Db<'_>, scope: Scope) -> Result<Vec<(Place, Difference)>> {
    let (filter, id) = scope_filter(scope, 1);
    let mut found: Vec<(Place, Difference)> = Vec::new();
    conn.for_each(
        &format!(
            "SELECT village_id, group_id, household_id, toilet_seq, toilet_id, position,
                    head_name, left_side, right_side, field, left_value, right_value,
                    between_checks
             FROM compare_differences WHERE {filter}"
        ),
        [id],
        |r| {
            let place: Place = (
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            );
            found.push((
                place,
                Difference {
                    household_id: place.2,
                    head_name: r.get(6)?,
                    village_name: String::new(),
                    group_name: String::new(),
                    toilet_seq: place.3,
                    left: r.get(7)?,
                    right: r.get(8)?,
                    field: r.get(9)?,
                    left_value: r.get(10)?,
                    right_value: r.get(11)?,
                    between_checks: r.get(12)?,
                },
            ));
            Ok(())
        },
    )?;
    Ok(found)
}

/// The batch of each village in `bad`: its toilets in `scope` checked twice, sorted.
fn village_batches(conn: Db<'_>, scope: Scope, bad: &[i64]) -> Result<HashMap<i64, Batch>> {
    let mut batches: HashMap<i64, Batch> = HashMap::new();
    if bad.is_empty() {
        return Ok(batches);
    }
    let (filter, id) = scope_filter(scope, 2);
    conn.for_each(
        &format!(
            "SELECT village_id, toilet_id, household_id FROM compare_toilets
             WHERE village_id IN ({}) AND rated_set IS NOT NULL AND {filter}",
            sql::json_ids(conn.engine(), "?1")
        ),
        params![json_list(bad), id],
        |r| {
            let batch = batches.entry(r.get(0)?).or_default();
            batch.0.push(r.get(1)?);
            batch.1.push(r.get(2)?);
            Ok(())
        },
    )?;
    for (toilets, households) in batches.values_mut() {
        toilets.sort_unstable();
        households.sort_unstable();
        households.dedup();
    }
    Ok(batches)
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
/// checked outside the scope compared), as kept in `compare_self_checks`.
fn group_batches(conn: Db<'_>, wanted: &[Vec<i64>]) -> Result<HashMap<Vec<i64>, Batch>> {
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let texts: Vec<String> = wanted
        .iter()
        .map(|set| {
            let ids: Vec<String> = set.iter().map(i64::to_string).collect();
            ids.join(",")
        })
        .collect();
    let list = serde_json::to_string(&texts).expect("texts serialise");
    let mut by_text: HashMap<String, Batch> = HashMap::new();
    conn.for_each(
        &format!(
            "SELECT staff_set, toilet_id, household_id FROM compare_self_checks
             WHERE staff_set IN ({})",
            sql::json_texts(conn.engine(), "?1")
        ),
        [list],
        |r| {
            let batch = by_text.entry(r.get(0)?).or_default();
            batch.0.push(r.get(1)?);
            batch.1.push(r.get(2)?);
            Ok(())
        },
    )?;
    Ok(wanted
        .iter()
        .zip(texts)
        .map(|(set, text)| {
            let (mut toilets, mut households) = by_text.remove(&text).unwrap_or_default();
            toilets.sort_unstable();
            toilets.dedup();
            households.sort_unstable();
            households.dedup();
            (set.clone(), (toilets, households))
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
