//! A value field work established at the door (an inspection's correction of the baseline, a
//! toilet added at the door) outranks an old ledger: a re-import leaves it as it is and tells
//! the clerk, per row and field, while the fields field work never touched are written as before.

use huce_core::accounts::{self, Account, AccountInput};
use huce_core::found::{self, FoundToilet};
use huce_core::import::apply::ImportReport;
use huce_core::inspections::{self, CorrectionInput, InspectionInput};
use huce_core::model::{HouseholdStatus, InspectionKind, Role, TechMode};
use huce_core::signoff::{self, Step};

use crate::engine::TestDb;
use crate::NOW;

use super::{opts, run, write_xlsx};

const TODAY: &str = "2026-11-29";
const HEADER: &[&str] = &["行政村", "社", "户主姓名", "技术模式", "建设年份"];

/// A town with the ledger `rows` imported, an inspection group (李明, 王芳) and a 审核人
/// (赵晓昇, not in the group).
struct Town {
    dir: tempfile::TempDir,
    t: TestDb,
    li: i64,
    wang: i64,
    reviewer: Account,
}

fn town(rows: &[&[&str]]) -> Town {
    let dir = tempfile::tempdir().unwrap();
    let t = crate::engine::fresh();
    let admin = crate::first_admin(&t);
    let (li, wang) = (crate::add_person(&t, "李明"), crate::add_person(&t, "王芳"));
    let zhao = crate::add_person(&t, "赵晓昇");
    let reviewer = accounts::add(
        &t,
        &admin,
        &AccountInput {
            username: "zhao".into(),
            display_name: "赵晓昇".into(),
            role: Role::Reviewer,
            staff_id: Some(zhao),
            password: Some("shiyu2022".into()),
            active: true,
        },
        NOW,
    )
    .unwrap();
    let town = Town {
        dir,
        t,
        li,
        wang,
        reviewer,
    };
    town.import(rows);
    town
}

impl Town {
    /// Imports the ledger `rows` under [`HEADER`]: committed, or a dry run.
    fn import_as(&self, rows: &[&[&str]], commit: bool) -> ImportReport {
        let path = self.dir.path().join("摸底.xlsx");
        let mut all: Vec<&[&str]> = vec![HEADER];
        all.extend_from_slice(rows);
        write_xlsx(&path, &all);
        run(&self.t, &path, &opts(true), commit, self.dir.path())
    }

    fn import(&self, rows: &[&[&str]]) -> ImportReport {
        self.import_as(rows, true)
    }

    fn toilet_of(&self, head: &str) -> i64 {
        self.t
            .query_row(
                "SELECT t.id FROM toilets t JOIN households h ON h.id = t.household_id
                 WHERE h.head_name = ?1 ORDER BY t.seq LIMIT 1",
                [head],
                |r| r.get(0),
            )
            .unwrap()
    }

    fn household_of(&self, head: &str) -> i64 {
        self.t
            .query_row(
                "SELECT id FROM households WHERE head_name = ?1",
                [head],
                |r| r.get(0),
            )
            .unwrap()
    }

    /// A 村级自查 of the toilet that found nothing wrong and corrected `corrections`
    /// (field code, new value); its id.
    fn inspect(&self, toilet_id: i64, corrections: &[(&str, &str)]) -> i64 {
        let f = InspectionInput {
            toilet_id,
            kind: InspectionKind::VillageSelf,
            inspected_on: "2022-09-20".into(),
            members: vec![self.li, self.wang],
            household_status: HouseholdStatus::Normal,
            status_note: None,
            in_normal_use: Some(true),
            no_problem: true,
            problems: vec![],
            photos: vec![],
            corrections: corrections
                .iter()
                .map(|(field, value)| CorrectionInput {
                    field: (*field).into(),
                    value: Some((*value).into()),
                })
                .collect(),
            remarks: None,
            recorded_by: self.li,
            decision: None,
            close_on_site: None,
        };
        inspections::save(&self.t, &crate::local(), &f, TODAY, NOW)
            .unwrap()
            .inspection_id
    }

    /// The toilet's stored 技术模式 and 建设年度.
    fn toilet(&self, id: i64) -> (Option<String>, Option<i64>) {
        self.t
            .query_row(
                "SELECT tech_mode, build_year FROM toilets WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    }

    /// The change log of one toilet's field written by imports.
    fn imported_changes(&self, toilet_id: i64, field: &str) -> i64 {
        self.t
            .query_row(
                "SELECT count(*) FROM change_log WHERE entity = 'toilet' AND entity_id = ?1
                 AND field = ?2 AND source LIKE '导入%'",
                rusqlite::params![toilet_id, field],
                |r| r.get(0),
            )
            .unwrap()
    }
}

/// What the report says was kept: (row, column, message).
fn kept(r: &ImportReport) -> Vec<(usize, &str, &str)> {
    r.kept_from_door
        .iter()
        .map(|k| (k.row, k.column.as_str(), k.message.as_str()))
        .collect()
}

/// An inspection at the door corrected a toilet's 技术模式 三格式 → 双瓮漏斗式 and a 审核人
/// reviewed it (locked); the same old ledger imported again keeps 双瓮漏斗式 and says so on the
/// row, while a field the door never touched (建设年度) and another household's toilet take the
/// ledger's values as always.
#[test]
fn a_reimport_keeps_a_reviewed_correction_made_at_the_door() {
    let town = town(&[
        &["石鱼村", "3社", "王大山", "三格式", "2016"],
        &["石鱼村", "3社", "李小河", "三格式", "2016"],
    ]);
    let toilet = town.toilet_of("王大山");
    let other = town.toilet_of("李小河");
    let inspection = town.inspect(toilet, &[("tech_mode", "double_urn")]);
    signoff::sign(&town.t, &town.reviewer, &[inspection], Step::Review, NOW).unwrap();

    // The old ledger again, with 王大山's 建设年份 and 李小河's 技术模式 changed.
    let rows: [&[&str]; 2] = [
        &["石鱼村", "3社", "王大山", "三格式", "2017"],
        &["石鱼村", "3社", "李小河", "双瓮漏斗式", "2016"],
    ];
    let dry = town.import_as(&rows, false);
    let again = town.import(&rows);
    assert_eq!(
        town.toilet(toilet),
        (Some(TechMode::DoubleUrn.code().into()), Some(2017)),
        "the correction made at the door stays; the year the door did not touch is the ledger's"
    );
    assert_eq!(
        town.toilet(other).0.as_deref(),
        Some(TechMode::DoubleUrn.code()),
        "a toilet field work never corrected takes the ledger's value"
    );
    assert_eq!(town.imported_changes(toilet, "技术模式"), 0);
    assert_eq!(town.imported_changes(toilet, "建设（改造）年度"), 1);
    assert_eq!((again.toilets_updated, again.fields_changed), (2, 2));
    // The clerk is told, on the row and the field, and what to do if the ledger is right.
    assert_eq!(
        kept(&again),
        vec![(
            2,
            "技术模式",
            "台账写“三格式化粪池”，入户核查已核实为“双瓮漏斗式”，未改动；如台账正确，请在入户核查中更正"
        )],
        "{:#?}",
        again.kept_from_door
    );
    assert_eq!(
        dry.kept_from_door, again.kept_from_door,
        "the preview says it too"
    );
    // Imported once more: still kept, still said.
    let third = town.import(&rows);
    assert_eq!(third.kept_from_door, again.kept_from_door);
    assert_eq!(third.fields_changed, 0);
    assert_eq!(
        town.toilet(toilet).0.as_deref(),
        Some(TechMode::DoubleUrn.code())
    );
}

/// Unreviewed corrections are kept too (the door outranks the ledger, locked or not), and so are
/// the values of a toilet added at the door (入户核查新增); a field the door left empty is filled
/// from the ledger, and a value a ledger wrote after the door's is a ledger's value again.
#[test]
fn values_set_at_the_door_stay_reviewed_or_not_and_on_toilets_found_there() {
    let town = town(&[&["石鱼村", "3社", "王大山", "三格式", "2016"]]);
    let toilet = town.toilet_of("王大山");
    // Not reviewed: the year found at the door.
    town.inspect(toilet, &[("build_year", "2018")]);
    // A second toilet found at the door: 双瓮漏斗式, year not known.
    let household = town.household_of("王大山");
    let second = found::add_toilet(
        &town.t,
        &crate::local(),
        household,
        &FoundToilet {
            tech_mode: Some(TechMode::DoubleUrn),
            ..Default::default()
        },
        NOW,
    )
    .unwrap();
    let rows: [&[&str]; 2] = [
        &["石鱼村", "3社", "王大山", "三格式", "2016"],
        &["石鱼村", "3社", "王大山", "三格式", "2015"],
    ];
    let r = town.import(&rows);
    assert_eq!(
        town.toilet(toilet),
        (Some(TechMode::ThreeCompartment.code().into()), Some(2018))
    );
    assert_eq!(
        town.toilet(second),
        (Some(TechMode::DoubleUrn.code().into()), Some(2015)),
        "the mode found at the door stays, the year it left empty is the ledger's"
    );
    assert_eq!(
        kept(&r),
        vec![
            (
                2,
                "建设年份",
                "台账写“2016年”，入户核查已核实为“2018年”，未改动；如台账正确，请在入户核查中更正"
            ),
            (
                3,
                "技术模式",
                "台账写“三格式化粪池”，入户核查新增户厕时记为“双瓮漏斗式”，未改动；如台账正确，请在入户核查中更正"
            ),
        ]
    );
    // The year the ledger filled in is the ledger's: a later ledger may change it.
    let later = town.import(&[
        &["石鱼村", "3社", "王大山", "三格式", "2016"],
        &["石鱼村", "3社", "王大山", "三格式", "2014"],
    ]);
    assert_eq!(town.toilet(second).1, Some(2014));
    assert_eq!(later.kept_from_door.len(), 2, "{:#?}", later.kept_from_door);
}
