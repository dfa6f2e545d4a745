//! Inspections, the category decision and the problem ledger's state machine, on the real schema,
//! on the run's engine (the file, or the server with `HUCE_TEST_ENGINE=server`).

mod cases;
mod forms;
mod paper;
mod second_entries;

use huce_core::households::{self, Scope};
use huce_core::inspections::{self, CorrectionInput, InspectionInput, OnSiteClose, ProblemInput};
use huce_core::model::*;
use huce_core::rectification::{self, Decision, LedgerFilter, MoveInput};
use huce_core::staff::{self, StaffInput};

use crate::engine::TestDb;

use super::NOW;

const TODAY: &str = "2026-11-29";

struct Town {
    db: TestDb,
    village: i64,
    other_village: i64,
    /// Toilets: fiscally supported 2016, 2019, not supported, both years missing.
    t2016: i64,
    t2019: i64,
    unsupported: i64,
    no_year: i64,
    /// Staff: two inspectors and a verifier.
    li: i64,
    wang: i64,
    zhao: i64,
}

fn toilet(subsidized: Option<bool>, year: Option<i64>) -> NewToilet {
    NewToilet {
        tech_mode: Some(TechMode::ThreeCompartment),
        location: Some(Location::Yard),
        build_year: year,
        subsidized,
        subsidy_year: year.filter(|_| subsidized == Some(true)),
        subsidy_amount_fen: None,
        project_name: None,
        is_sanitary: Some(true),
        use_status: Some(UseStatus::InUse),
        baseline_source: BaselineSource::Subsidy,
    }
}

fn person(db: &TestDb, name: &str) -> i64 {
    staff::add_staff(
        db,
        &StaffInput {
            name: name.into(),
            unit: "石鱼镇农业服务中心".into(),
            phone: None,
            roles: "包村干部".into(),
            active: true,
        },
        NOW,
    )
    .unwrap()
}

fn town() -> Town {
    let db = crate::engine::fresh();
    let village = households::add_village(&db, "石鱼村", 1).unwrap();
    let other_village = households::add_village(&db, "三和村", 2).unwrap();
    let group = households::add_group(&db, village, "3社", Some(3), 3).unwrap();
    let other_group = households::add_group(&db, other_village, "1社", Some(1), 1).unwrap();
    let hh = |name: &str, group_id: i64| {
        households::insert_household(
            &db,
            &NewHousehold {
                group_id,
                head_name: name.into(),
                id_number: None,
                phone: None,
                address: None,
                registered_pop: None,
                resident_pop: None,
                category: HouseholdCategory::Ordinary,
                is_resident: true,
            },
            NOW,
        )
        .unwrap()
    };
    let a = hh("张建国", group);
    let b = hh("曾玥", group);
    let c = hh("单犇", other_group);
    let t2016 = households::insert_toilet(&db, a, &toilet(Some(true), Some(2016)), NOW).unwrap();
    let t2019 = households::insert_toilet(&db, a, &toilet(Some(true), Some(2019)), NOW).unwrap();
    let unsupported =
        households::insert_toilet(&db, b, &toilet(Some(false), Some(2015)), NOW).unwrap();
    // Subsidised, but the ledger gives neither its build year nor its subsidy year.
    let mut missing = toilet(Some(true), Some(2016));
    missing.subsidy_year = None;
    missing.build_year = None;
    let no_year = households::insert_toilet(&db, c, &missing, NOW).unwrap();
    let li = person(&db, "李明");
    let wang = person(&db, "王芳");
    let zhao = person(&db, "赵晓昇");
    Town {
        db,
        village,
        other_village,
        t2016,
        t2019,
        unsupported,
        no_year,
        li,
        wang,
        zhao,
    }
}

fn item(db: &TestDb, name: &str) -> i64 {
    huce_core::problem_items::problem_items(db, true)
        .unwrap()
        .into_iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("problem item {name}"))
        .id
}

fn form(t: &Town, toilet_id: i64) -> InspectionInput {
    InspectionInput {
        toilet_id,
        kind: InspectionKind::VillageSelf,
        inspected_on: "2022-09-20".into(),
        members: vec![t.li, t.wang],
        household_status: HouseholdStatus::Normal,
        status_note: None,
        in_normal_use: Some(false),
        no_problem: false,
        problems: vec![],
        photos: vec![],
        corrections: vec![],
        remarks: None,
        recorded_by: t.li,
        decision: None,
        close_on_site: None,
    }
}

fn leak(t: &Town) -> ProblemInput {
    ProblemInput {
        item_id: item(&t.db, "渗漏"),
        stops_use: true,
        cause: Some(Cause::Construction),
        remarks: None,
    }
}

fn minor(t: &Town) -> ProblemInput {
    ProblemInput {
        item_id: item(&t.db, "池盖缺失或破损"),
        stops_use: false,
        cause: None,
        remarks: None,
    }
}

fn count(db: &TestDb, table: &str) -> i64 {
    db.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

fn refused(t: &Town, f: &InspectionInput, words: &str) {
    let before = count(&t.db, "inspections");
    let err = inspections::save(&t.db, &crate::local(), f, TODAY, NOW).unwrap_err();
    assert!(
        err.to_string().contains(words),
        "expected “{words}” in: {err}"
    );
    assert_eq!(
        count(&t.db, "inspections"),
        before,
        "a refused form saves nothing"
    );
    assert_eq!(count(&t.db, "rectifications"), 0);
}
