//! The demo town (示例数据): a synthetic but realistic town, generated deterministically from a
//! seed, so the app can be tried at once and tests and benchmarks can build towns of any size
//! (a 9,000-household town by default; 270,000 households ≈ 300,000 toilets for a district).
//!
//! Everything here is invented: names, ID numbers (valid GB 11643 checksums, never real people's
//! numbers by design — the sequence part is random), phones and toilets. The database is marked
//! with the `is_demo` setting and the app shows 示例数据 in its header.

use std::collections::HashSet;

use rusqlite::Connection;
use serde::Serialize;

use super::names::{id_number, person_name, phone, village_names};
use crate::error::{Error, Result};
use crate::model::{
    BaselineSource, HouseholdCategory, Location, NewHousehold, NewToilet, TechMode, UseStatus,
};
use crate::places::households;
use crate::rng::Rng;
use crate::store::settings;
use crate::store::sql::Db;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    pub households: usize,
    pub seed: u64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            households: 9_000,
            seed: 20_220_916,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DemoSummary {
    pub villages: usize,
    pub groups: usize,
    pub households: usize,
    pub toilets: usize,
    /// 工作人员, inspections and problem toilets of the demo's field work.
    pub staff: usize,
    pub inspections: usize,
    pub problem_toilets: usize,
}

const TECH_MODES: &[(TechMode, u32)] = &[
    (TechMode::ThreeCompartment, 46),
    (TechMode::ThreeUrn, 14),
    (TechMode::DoubleUrn, 5),
    (TechMode::Sewer, 8),
    (TechMode::UrineDiversion, 2),
    (TechMode::DoublePit, 2),
    (TechMode::Biogas, 9),
    (TechMode::CentralCollection, 2),
    (TechMode::OtherSanitary, 3),
    (TechMode::NonSanitary, 7),
    (TechMode::NoToilet, 2),
];

fn toilet(rng: &mut Rng, district: &str) -> NewToilet {
    let mode = *rng.weighted(TECH_MODES);
    if mode == TechMode::NoToilet {
        return NewToilet {
            tech_mode: Some(mode),
            location: None,
            build_year: None,
            subsidized: Some(false),
            subsidy_year: None,
            subsidy_amount_fen: None,
            project_name: None,
            is_sanitary: Some(false),
            use_status: None,
            baseline_source: BaselineSource::Survey,
        };
    }
    let sanitary = mode.is_sanitary().unwrap_or(false);
    let build_year = if sanitary {
        Some(rng.range(2013, 2022))
    } else {
        None
    };
    let subsidized = sanitary && rng.chance(0.72);
    let (subsidy_year, amount, project) = if subsidized {
        let by = build_year.unwrap_or(2018);
        let year = if rng.chance(0.03) {
            None // a record that lost its subsidy year: a person must decide its category
        } else if rng.chance(0.8) {
            Some(by)
        } else {
            Some((by + 1).min(2022))
        };
        let yuan = rng.pick(&[800i64, 1000, 1000, 1200, 1500, 2000]);
        let project = match year {
            Some(y) if rng.chance(0.5) => format!("{y}年{district}农村户厕改造项目"),
            Some(y) => format!("{y}年农村人居环境整治改厕项目"),
            None => "农村户厕改造项目".to_string(),
        };
        (year, Some(yuan * 100), Some(project))
    } else {
        (None, None, None)
    };
    let location = *rng.weighted(&[
        (Location::Indoor, 35),
        (Location::Yard, 45),
        (Location::Outside, 20),
    ]);
    let use_status = *rng.weighted(&[
        (UseStatus::InUse, 88),
        (UseStatus::Idle, 6),
        (UseStatus::Unusable, 4),
        (UseStatus::Demolished, 2),
    ]);
    NewToilet {
        tech_mode: Some(mode),
        location: Some(location),
        build_year,
        subsidized: Some(subsidized),
        subsidy_year,
        subsidy_amount_fen: amount,
        project_name: project,
        is_sanitary: Some(sanitary),
        use_status: Some(use_status),
        baseline_source: if subsidized {
            BaselineSource::Subsidy
        } else {
            BaselineSource::Survey
        },
    }
}

/// Fills an empty database file with a demo town. Refuses a database that already has
/// households, so demo data never mixes with real data. All of it is written in one transaction.
pub fn generate(conn: &mut Connection, opts: DemoOptions, now: &str) -> Result<DemoSummary> {
    generate_on(&*conn, opts, now)
}

/// [`generate`] on either engine: the file or the server (tests on the server build their
/// towns with it). The same seed gives the same town on both.
pub fn generate_on<'a>(db: impl Into<Db<'a>>, opts: DemoOptions, now: &str) -> Result<DemoSummary> {
    let db = db.into();
    crate::store::sql::with_bulk_cache(db, || generate_with(db, opts, now))
}

fn generate_with(db: Db<'_>, opts: DemoOptions, now: &str) -> Result<DemoSummary> {
    let (existing, _) = households::counts(db)?;
    if existing > 0 {
        return Err(Error::DatabaseNotEmpty {
            households: existing,
        });
    }
    if opts.households == 0 || opts.households > 1_000_000 {
        return Err(Error::Invalid(format!(
            "示例农户数 {} 不合适：请填写 1 到 1,000,000 之间的数。",
            opts.households
        )));
    }
    let district = "铜梁区";
    let mut rng = Rng::new(opts.seed);
    let village_count = if opts.households <= 12_000 {
        12
    } else {
        opts.households.div_ceil(750)
    };

    // Plan the places and how many households each 社 gets, then write them in order so that a
    // 社's households are listed together, as on the village's paper register.
    let mut plan: Vec<(String, Vec<(String, usize)>)> = Vec::with_capacity(village_count);
    let mut weights: Vec<(usize, usize, u32)> = Vec::new();
    for (v, name) in village_names(village_count).into_iter().enumerate() {
        let groups = rng.range(6, 12) as usize;
        plan.push((name, (1..=groups).map(|g| (format!("{g}社"), 0)).collect()));
        for g in 0..groups {
            weights.push((v, g, 70 + rng.below(60) as u32));
        }
    }
    let total_weight: u64 = weights.iter().map(|w| w.2 as u64).sum();
    for _ in 0..opts.households {
        let mut r = rng.below(total_weight);
        for &(v, g, w) in &weights {
            if r < w as u64 {
                plan[v].1[g].1 += 1;
                break;
            }
            r -= w as u64;
        }
    }

    // Random-order inserts into the search-key B-tree need a cache the size of the index, or a
    // district-sized town spends most of its time re-reading pages (the file's page cache; the
    // server has its own).
    let Db::File(conn) = db else {
        return write_town(db, &plan, &mut rng, opts, district, now);
    };
    let cache: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
    conn.pragma_update(
        None,
        "cache_size",
        -((opts.households as i64 / 1000 + 32) * 1024),
    )?;
    let result = write_town(db, &plan, &mut rng, opts, district, now);
    conn.pragma_update(None, "cache_size", cache)?;
    result
}

fn write_town(
    db: Db<'_>,
    plan: &[(String, Vec<(String, usize)>)],
    rng: &mut Rng,
    opts: DemoOptions,
    district: &str,
    now: &str,
) -> Result<DemoSummary> {
    db.atomically(|tx| write_town_in(tx, plan, rng, opts, district, now))
}

fn write_town_in(
    tx: Db<'_>,
    plan: &[(String, Vec<(String, usize)>)],
    rng: &mut Rng,
    opts: DemoOptions,
    district: &str,
    now: &str,
) -> Result<DemoSummary> {
    let mut no_toilet: Vec<i64> = Vec::new();
    settings::set(tx, settings::KEY_DISTRICT, district)?;
    settings::set(tx, settings::KEY_TOWN, "石鱼镇")?;
    settings::set(tx, settings::KEY_DEMO, "1")?;
    let mut used_ids = HashSet::with_capacity(opts.households);
    let mut bulk = crate::places::bulk::Bulk::new();
    let mut summary = DemoSummary {
        villages: 0,
        groups: 0,
        households: 0,
        toilets: 0,
        staff: 0,
        inspections: 0,
        problem_toilets: 0,
    };
    for (vi, (vname, groups)) in plan.iter().enumerate() {
        let village_id = households::add_village(tx, vname, vi as i64 + 1)?;
        summary.villages += 1;
        for (gi, (gname, count)) in groups.iter().enumerate() {
            let group_id =
                households::add_group(tx, village_id, gname, Some(gi as i64 + 1), gi as i64 + 1)?;
            summary.groups += 1;
            for n in 0..*count {
                let male = rng.chance(0.8);
                let id = loop {
                    let id = id_number(rng, male);
                    if used_ids.insert(id.clone()) {
                        break id;
                    }
                };
                let registered = rng.range(1, 7);
                let is_resident = rng.chance(0.85);
                let household = NewHousehold {
                    group_id,
                    head_name: person_name(rng),
                    id_number: Some(id),
                    phone: if rng.chance(0.85) {
                        Some(phone(rng))
                    } else {
                        None
                    },
                    address: Some(format!("重庆市{district}石鱼镇{vname}{gname}{}号", n + 1)),
                    registered_pop: Some(registered),
                    resident_pop: Some(if is_resident {
                        rng.range(1, registered)
                    } else {
                        0
                    }),
                    category: *rng.weighted(&[
                        (HouseholdCategory::PovertyAlleviated, 9),
                        (HouseholdCategory::Monitored, 2),
                        (HouseholdCategory::Ordinary, 89),
                    ]),
                    is_resident,
                };
                let household_id = bulk.insert_household(tx, &household, now)?;
                summary.households += 1;
                let toilets = *rng.weighted(&[(1usize, 87), (2, 11), (3, 2)]);
                // A drawn "无厕所" is no toilet row: a household with none is a 无厕所户.
                let mut kept = 0;
                for _ in 0..toilets {
                    let t = toilet(rng, district);
                    if t.tech_mode == Some(TechMode::NoToilet) {
                        continue;
                    }
                    bulk.insert_toilet(tx, household_id, &t, now)?;
                    summary.toilets += 1;
                    kept += 1;
                }
                if kept == 0 {
                    no_toilet.push(household_id);
                }
            }
        }
    }
    bulk.finish(tx)?;
    for h in &no_toilet {
        tx.execute("UPDATE households SET no_toilet = 1 WHERE id = ?1", [h])?;
    }
    let field = crate::demo::field::generate(tx, opts.seed, now)?;
    summary.staff = field.staff;
    summary.inspections = field.inspections;
    summary.problem_toilets = field.problem_toilets;
    ledger_mistakes(tx, now)?;
    crate::store::audit::append(
        tx,
        now,
        "demo",
        "database",
        "demo",
        &format!(
            "载入示例数据（虚构）：{} 户、{} 个户厕、{} 次核查",
            summary.households, summary.toilets, summary.inspections
        ),
        serde_json::json!({ "seed": opts.seed, "households": summary.households }),
    )?;
    Ok(summary)
}

/// Like a real town's ledger, the demo's has a few values an import could not take (about one
/// household in 150): a wrong ID check digit, a phone number a digit short, a year still to
/// come. Each field is empty and its value waits on the 待核实 list with the import's reason.
fn ledger_mistakes(tx: Db<'_>, now: &str) -> Result<usize> {
    use crate::ledger_io::import::headers::Field;
    use crate::ledger_io::pending::record_unreadable;
    let year: i64 = now.get(..4).and_then(|y| y.parse().ok()).unwrap_or(2026);
    /// A household: its id, ID number, phone and first toilet with a year.
    type Picked = (i64, Option<String>, Option<String>, Option<i64>);
    let picked: Vec<Picked> = tx
        .prepare(
            "SELECT h.id, h.id_number, h.phone,
                    (SELECT t.id FROM toilets t WHERE t.household_id = h.id AND t.build_year IS NOT NULL
                     ORDER BY t.seq LIMIT 1)
             FROM households h WHERE h.id % 151 = 17 ORDER BY h.id",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut n = 0;
    for (k, (household, id_number, phone, toilet)) in picked.into_iter().enumerate() {
        let recorded = match (k % 3, id_number, phone, toilet) {
            (0, Some(id), _, _) => {
                let wrong = if id.ends_with('1') { '2' } else { '1' };
                let written = format!("{}{wrong}", &id[..17]);
                tx.execute(
                    "UPDATE households SET id_number = NULL, id_number_rev = NULL WHERE id = ?1",
                    [household],
                )?;
                record_unreadable(tx, household, None, Field::IdNumber, &written, year, now)?
            }
            (1, _, Some(phone), _) => {
                tx.execute(
                    "UPDATE households SET phone = NULL WHERE id = ?1",
                    [household],
                )?;
                let written = &phone[..phone.len() - 1];
                record_unreadable(tx, household, None, Field::Phone, written, year, now)?
            }
            (2, _, _, Some(toilet)) => {
                tx.execute(
                    "UPDATE toilets SET build_year = NULL WHERE id = ?1",
                    [toilet],
                )?;
                let written = (year + 5).to_string();
                record_unreadable(
                    tx,
                    household,
                    Some(toilet),
                    Field::BuildYear,
                    &written,
                    year,
                    now,
                )?
            }
            _ => false,
        };
        n += recorded as usize;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::places::idcard;

    #[test]
    fn village_names_are_unique_for_a_district() {
        let names = village_names(4000);
        assert_eq!(names.len(), 4000);
        assert_eq!(
            names.iter().collect::<HashSet<_>>().len(),
            4000,
            "village names must not repeat"
        );
        assert_eq!(names[0], "石鱼村", "the town's own villages come first");
    }

    #[test]
    fn ids_pass_checksum_and_carry_gender() {
        let mut rng = Rng::new(3);
        for _ in 0..1000 {
            let male = rng.chance(0.5);
            let id = id_number(&mut rng, male);
            assert!(idcard::is_valid(&id), "demo ID {id} must pass GB 11643");
            let gender_digit = id.as_bytes()[16] - b'0';
            assert_eq!(
                gender_digit % 2 == 1,
                male,
                "17th digit odd means male: {id}"
            );
        }
    }
}
