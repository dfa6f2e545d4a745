//! The demo town's field work: a staff list (包村干部, 村社人员, 农业服务中心, 督导组), village
//! self-checks of most toilets in Sep–Oct 2022, town re-checks of some, and the problem ledger
//! those inspections opened, at every stage from 待整改 to 已销号. Deterministic from the seed.
//!
//! Inspections are written with direct inserts (a district has 200,000 of them); the cases go
//! through the same ledger functions the app uses, so the demo obeys every rule of the ledger.

use rusqlite::params;
use serde::Serialize;

use crate::access::staff::{self, StaffInput};
use crate::error::{Error, Result};
use crate::fieldwork::rectification::{self, Decision, MoveInput};
use crate::fieldwork::rules::{self, Found};
use crate::model::{CaseState, Category, Cause, HouseholdStatus, InspectionKind};
use crate::rng::Rng;
use crate::store::sql::Db;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct FieldSummary {
    pub staff: usize,
    pub inspections: usize,
    pub problem_toilets: usize,
}

struct VillageTeam {
    cadre: i64,
    cadre_name: String,
    locals: Vec<i64>,
}

fn add_person(
    db: Db<'_>,
    rng: &mut Rng,
    unit: &str,
    roles: &str,
    now: &str,
) -> Result<(i64, String)> {
    loop {
        let name = super::names::person_name(rng);
        let input = StaffInput {
            name: name.clone(),
            unit: unit.into(),
            phone: Some(super::names::phone(rng)),
            roles: roles.into(),
            active: true,
        };
        // Two people of one unit with the same name: draw another name (any other failure,
        // of the database itself, is passed on).
        match staff::add_staff(db, &input, now) {
            Ok(id) => return Ok((id, name)),
            Err(Error::Invalid(_)) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// What a verifier writes on a 销号 (验收情况), chosen by the case's number so the seed's draws
/// stay as they were.
const ACCEPTANCE_REMARKS: [&str; 4] = [
    "入户查看，已按要求整改到位，能正常使用",
    "复查无渗漏，池盖完好，能正常使用",
    "冲水正常，厕屋整洁，验收合格",
    "现场查看整改到位，户主认可",
];

fn date(rng: &mut Rng, from: chrono::NaiveDate, days: i64) -> chrono::NaiveDate {
    from + chrono::Days::new(rng.below(days as u64 + 1))
}

fn day(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Writes the field work into a freshly generated demo town (inside its transaction).
pub fn generate(db: Db<'_>, seed: u64, now: &str) -> Result<FieldSummary> {
    let mut rng = Rng::new(seed ^ 0x00F1_E1D0_u64);
    let today: String = now.chars().take(10).collect();
    let today = today.as_str();
    let by = crate::access::accounts::Account::local("示例数据");
    let mut summary = FieldSummary::default();

    let villages: Vec<(i64, String)> = db
        .prepare("SELECT id, name FROM villages ORDER BY sort_order, id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut office = Vec::new();
    for _ in 0..4 {
        office.push(add_person(db, &mut rng, "石鱼镇农业服务中心", "台账录入、审核", now)?.0);
    }
    let mut supervisors = Vec::new();
    for _ in 0..2 {
        supervisors.push(add_person(db, &mut rng, "石鱼镇纪委督导组", "督导组", now)?.0);
    }
    let mut teams = std::collections::HashMap::new();
    for (id, name) in &villages {
        let (cadre, cadre_name) = add_person(
            db,
            &mut rng,
            "石鱼镇人民政府",
            &format!("包村干部（{name}）"),
            now,
        )?;
        let mut locals = Vec::new();
        for _ in 0..2 {
            locals.push(add_person(db, &mut rng, &format!("{name}村民委员会"), "村社干部", now)?.0);
        }
        teams.insert(
            *id,
            VillageTeam {
                cadre,
                cadre_name,
                locals,
            },
        );
    }
    summary.staff = office.len() + supervisors.len() + villages.len() * 3;

    let items: Vec<(i64, bool)> = crate::fieldwork::problem_items::problem_items(db, false)?
        .into_iter()
        .map(|i| (i.id, i.stops_use))
        .collect();
    let serious: Vec<i64> = items.iter().filter(|i| i.1).map(|i| i.0).collect();
    let minor: Vec<i64> = items.iter().filter(|i| !i.1).map(|i| i.0).collect();

    struct T {
        id: i64,
        village: i64,
        subsidized: Option<bool>,
        build_year: Option<i64>,
        subsidy_year: Option<i64>,
        unusable: bool,
    }
    let toilets: Vec<T> = db
        .prepare(
            "SELECT t.id, h.village_id, t.subsidized, t.subsidy_year, t.use_status = 'unusable',
                    t.build_year
             FROM toilets t JOIN households h ON h.id = t.household_id
             WHERE t.tech_mode IS NULL OR t.tech_mode <> 'no_toilet' ORDER BY t.id",
        )?
        .query_map([], |r| {
            Ok(T {
                id: r.get(0)?,
                village: r.get(1)?,
                subsidized: r.get(2)?,
                subsidy_year: r.get(3)?,
                unusable: r.get::<_, Option<bool>>(4)?.unwrap_or(false),
                build_year: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;

    let mut inspection = db.prepare(
        "INSERT INTO inspections (toilet_id, kind, inspected_on, household_status, status_note,
            in_normal_use, has_problems, remarks, proposed_category, proposal_reason, recorded_by, recorded_at)
         VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?6, NULL, ?7, ?8, ?9, ?10) RETURNING id",
    )?;
    let mut member =
        db.prepare("INSERT INTO inspection_members (inspection_id, staff_id) VALUES (?1, ?2)")?;
    let mut problem = db.prepare(
        "INSERT INTO inspection_problems (inspection_id, item_id, stops_use, cause, remarks)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let start = chrono::NaiveDate::from_ymd_opt(2022, 9, 16).expect("date");
    let recheck_start = chrono::NaiveDate::from_ymd_opt(2022, 10, 11).expect("date");

    for t in &toilets {
        if !rng.chance(0.78) {
            continue; // not yet inspected
        }
        let team = &teams[&t.village];
        let on = date(&mut rng, start, 24);
        let status = *rng.weighted(&[
            (HouseholdStatus::Normal, 94),
            (HouseholdStatus::Vacant, 5),
            (HouseholdStatus::MovedOut, 1),
        ]);
        let mut found: Vec<(i64, bool, Option<Cause>)> = Vec::new();
        if status == HouseholdStatus::Normal && rng.chance(if t.unusable { 0.9 } else { 0.11 }) {
            let stopping = t.unusable || rng.chance(0.55);
            if stopping {
                let cause = *rng.weighted(&[
                    (Cause::Construction, 45),
                    (Cause::ProductQuality, 25),
                    (Cause::UnsuitableMode, 22),
                    (Cause::Other, 8),
                ]);
                found.push((rng.pick(&serious), true, Some(cause)));
            }
            let extra = if stopping {
                rng.below(2)
            } else {
                1 + rng.below(2)
            };
            for _ in 0..extra {
                let id = rng.pick(&minor);
                if !found.iter().any(|f| f.0 == id) {
                    found.push((id, false, None));
                }
            }
        }
        let rule_input: Vec<Found> = found
            .iter()
            .map(|f| Found {
                stops_use: f.1,
                cause: f.2,
            })
            .collect();
        let proposal = rules::propose(&rule_input, t.subsidized, t.build_year, t.subsidy_year);
        let in_use = (status == HouseholdStatus::Normal).then(|| !found.iter().any(|f| f.1));
        let recorder = rng.pick(&office);
        let inspection_id: i64 = inspection.query_row(
            params![
                t.id,
                InspectionKind::VillageSelf,
                day(on),
                status,
                in_use,
                !found.is_empty(),
                proposal.category,
                proposal.reason,
                recorder,
                now
            ],
            |r| r.get(0),
        )?;
        summary.inspections += 1;
        member.execute(params![inspection_id, team.cadre])?;
        member.execute(params![inspection_id, rng.pick(&team.locals)])?;
        for (item, stops, cause) in &found {
            let remark = (*cause == Some(Cause::Other)).then_some("村民自行改建，未按图施工");
            problem.execute(params![inspection_id, item, stops, cause, remark])?;
        }

        if found.is_empty() {
            if rng.chance(0.12) {
                // 镇级复核 agrees: no problem — except in every fourth village, whose group
                // reported a third of its households at home and using the toilet where the
                // re-check finds nobody living (an office-only survey, for 多方比对 to show).
                let careless = t.village % 4 == 1 && t.id % 3 == 0;
                let (status, in_use) = if careless && status == HouseholdStatus::Normal {
                    (HouseholdStatus::Vacant, None)
                } else {
                    (status, in_use)
                };
                let id: i64 = inspection.query_row(
                    params![
                        t.id,
                        InspectionKind::TownRecheck,
                        day(date(&mut rng, recheck_start, 14)),
                        status,
                        in_use,
                        false,
                        None::<Category>,
                        proposal.reason,
                        recorder,
                        now
                    ],
                    |r| r.get(0),
                )?;
                member.execute(params![id, rng.pick(&supervisors)])?;
                member.execute(params![id, rng.pick(&office)])?;
                summary.inspections += 1;
            }
            continue;
        }
        summary.problem_toilets += 1;
        let case = rectification::open_case(
            db,
            &by,
            t.id,
            inspection_id,
            proposal.category,
            &proposal.reason,
            recorder,
            &day(on),
            now,
        )?;
        if rng.chance(0.1) {
            continue; // a person has not decided yet
        }
        let category = proposal.category.unwrap_or(Category::PlanTownFunded);
        let planned = category.is_planned();
        let month = |rng: &mut Rng| {
            let (y, m) = if category == Category::PlanDistrict {
                (2023 + rng.below(3), 1 + rng.below(12))
            } else {
                (2023 + rng.below(2), 1 + rng.below(12))
            };
            format!("{y}-{m:02}")
        };
        let decision = Decision {
            category: Some(category),
            // Why the rules proposed nothing, as the office would write it for this toilet.
            override_reason: proposal.category.is_none().then(|| {
                if t.subsidized == Some(true) {
                    "财政补助修建，但方案没有规定这种情形的类别（问题原因为其他，或建设年度不详），经镇村研究由农户自改、镇给予适当补助"
                        .into()
                } else {
                    "未享受财政补助（或补助年度不详），经镇村研究由农户自改、镇给予适当补助".into()
                }
            }),
            measures: planned.then(|| "按技术规范维修或重建，整改后由镇农业服务中心验收".into()),
            responsible: planned.then(|| team.cadre_name.clone()),
            planned_month: planned.then(|| month(&mut rng)),
            funding: planned.then(|| {
                if category == Category::PlanDistrict {
                    "区级农村改厕资金".into()
                } else {
                    "镇筹资金 + 农户自筹".into()
                }
            }),
        };
        rectification::decide_in(db, &by, case, &decision, recorder, &day(on), now)?;

        // How far the case has come.
        let stage = if planned {
            *rng.weighted(&[(0u8, 22), (1, 30), (2, 14), (3, 34)])
        } else {
            *rng.weighted(&[(0u8, 8), (2, 4), (3, 88)])
        };
        let mut when = on;
        let mut step = |to: CaseState,
                        rng: &mut Rng,
                        days: i64,
                        actor: i64,
                        verifier: Option<i64>|
         -> Result<()> {
            when = date(rng, when, days);
            let m = MoveInput {
                case_id: case,
                to,
                actor_id: actor,
                date: day(when),
                // 销号 records how it was verified: what the verifier found at the door.
                remark: (to == CaseState::Closed)
                    .then(|| ACCEPTANCE_REMARKS[(case as usize) % ACCEPTANCE_REMARKS.len()].into()),
                verifier_id: verifier,
                photo: None,
                // Most heads sign the 验收单; now and then one is away and a relative signs.
                head_confirmed: case % 23 != 0,
                unconfirmed_reason: (case % 23 == 0)
                    .then(|| "户主外出务工，由其家属在验收单上代签".to_string()),
                scan: None,
            };
            rectification::move_in(db, &by, &m, today, now)
        };
        let span = if planned { 300 } else { 0 };
        if stage >= 1 {
            step(CaseState::InProgress, &mut rng, span / 3, team.cadre, None)?;
        }
        if stage >= 2 {
            step(
                CaseState::AwaitingAcceptance,
                &mut rng,
                span,
                team.cadre,
                None,
            )?;
        }
        if stage >= 3 {
            let verifier = rng.pick(&supervisors);
            step(
                CaseState::Closed,
                &mut rng,
                if planned { 20 } else { 0 },
                recorder,
                Some(verifier),
            )?;
        }
    }
    Ok(summary)
}
