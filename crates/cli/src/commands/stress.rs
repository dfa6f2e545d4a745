//! The crash test's hidden commands `stress-save` and `stress-staff`: a stream of small
//! transactions, each acknowledged on stdout after its commit, for the test to kill at random.

use std::io::Write;
use std::path::PathBuf;

use huce_core::inspections::{self, InspectionInput};
use huce_core::model::{HouseholdStatus, InspectionKind};
use huce_core::staff::{self, StaffInput};
use huce_core::{Error, Result};

use super::common::{cli_actor, now, now_local, open_existing, today};

#[derive(clap::Args)]
pub struct StressArgs {
    #[arg(long)]
    db: PathBuf,
    #[arg(long, default_value_t = 100_000)]
    count: usize,
}

/// Saves no-problem 村级自查 inspections of toilets without an open case (over and over), one
/// transaction each, and prints "acked <inspection id>" after each commit: the crash test kills
/// this at random and checks that every acknowledged save is in the database.
pub fn save_stream(a: StressArgs) -> Result<()> {
    let conn = open_existing(&a.db)?;
    let local = huce_core::accounts::Account::local(&cli_actor());
    let staff: Vec<i64> = conn
        .prepare("SELECT id FROM staff WHERE active = 1 ORDER BY id LIMIT 2")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if staff.len() < 2 {
        return Err(Error::Invalid("需要至少 2 位工作人员。".into()));
    }
    let toilets: Vec<i64> = conn
        .prepare(
            "SELECT id FROM toilets t WHERE NOT EXISTS
               (SELECT 1 FROM rectifications r WHERE r.toilet_id = t.id AND r.state <> 'closed')
             ORDER BY id",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if toilets.is_empty() {
        return Ok(());
    }
    let today = today();
    let mut out = std::io::stdout().lock();
    for toilet in toilets.iter().copied().cycle().take(a.count) {
        let input = InspectionInput {
            toilet_id: toilet,
            kind: InspectionKind::VillageSelf,
            inspected_on: today.clone(),
            members: staff.clone(),
            household_status: HouseholdStatus::Normal,
            status_note: None,
            in_normal_use: Some(true),
            no_problem: true,
            problems: Vec::new(),
            photos: Vec::new(),
            corrections: Vec::new(),
            remarks: None,
            recorded_by: staff[0],
            decision: None,
            close_on_site: None,
        };
        let saved = inspections::save(&conn, &local, &input, &today, &now())?;
        let _ = writeln!(out, "acked {}", saved.inspection_id);
        let _ = out.flush();
    }
    Ok(())
}

/// Adds a staff member, then changes them, over and over, one transaction each, printing
/// "acked <id> <name>" after each commit: the crash test kills this at random and checks that
/// every acknowledged change is there and every staff row matches its latest audit entry.
pub fn staff_stream(a: StressArgs) -> Result<()> {
    let conn = open_existing(&a.db)?;
    let mut out = std::io::stdout().lock();
    let stamp = now_local().format("%H%M%S%f").to_string();
    let input = |name: String| StaffInput {
        name,
        unit: "压力测试".into(),
        phone: None,
        roles: String::new(),
        active: true,
    };
    for i in 0..a.count {
        let name = format!("员{stamp}-{i}");
        let id = staff::add_staff(&conn, &input(name.clone()), &now())?;
        let _ = writeln!(out, "acked {id} {name}");
        let renamed = format!("{name}改");
        staff::update_staff(&conn, id, &input(renamed.clone()), &now())?;
        let _ = writeln!(out, "acked {id} {renamed}");
        let _ = out.flush();
    }
    Ok(())
}
