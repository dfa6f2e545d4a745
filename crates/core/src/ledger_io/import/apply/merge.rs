//! Two baseline lists merged, not overwritten: the 2022 survey list (摸排名单) and the list of
//! toilets built with public money since 2013 (财政补助改厕名单). A subsidy row is matched to
//! one of its household's stored toilets by the subsidy record (project, year, amount), or to a
//! toilet the survey left without one; it fills the subsidy fields and what the survey left
//! empty, and never overwrites what the survey found. What is on one list and not the other is
//! reported (查缺补漏).

use super::stored::{Stored, TOILET_COLUMNS};
use super::types::{FastSet, ImportReport, MergeLine, MergeReport};
use super::values::{FieldValue, Values};
use crate::error::Result;
use crate::store::sql::Db;
use rusqlite::types::Value;

/// Column positions in [`TOILET_COLUMNS`].
const BUILD_YEAR: usize = 2;
const SUBSIDIZED: usize = 3;
const SUBSIDY_YEAR: usize = 4;
const AMOUNT: usize = 5;
const PROJECT: usize = 6;
/// What a subsidy list owns; any other field is filled only where the survey left it empty.
const SUBSIDY_COLUMNS: [&str; 4] = [
    "subsidized",
    "subsidy_year",
    "subsidy_amount_fen",
    "project_name",
];
const LISTED: usize = 500;

/// The merge's state through one import.
#[derive(Default)]
pub(super) struct Merge {
    /// Stored toilets matched by a row of this file.
    used: FastSet<i64>,
    villages: FastSet<i64>,
    pub(super) report: MergeReport,
}

/// A stored toilet a subsidy row was matched to.
pub(super) struct Matched {
    pub(super) seq: i64,
    pub(super) id: i64,
    pub(super) current: Vec<Value>,
    pub(super) survey_said_no: bool,
    /// The stored toilet had another subsidy record (year, amount or project).
    pub(super) record_differs: bool,
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Integer(i) => Some(*i),
        _ => None,
    }
}

fn text(v: &Value) -> Option<&str> {
    match v {
        Value::Text(s) => Some(s),
        _ => None,
    }
}

impl Merge {
    pub(super) fn village(&mut self, id: i64) {
        self.villages.insert(id);
    }

    /// A toilet this file added (a subsidy row with nothing to match): it is on the list.
    pub(super) fn added(&mut self, toilet_id: i64) {
        self.used.insert(toilet_id);
    }

    /// The stored toilet of `household_id` a subsidy row `v` belongs to, best first: the same
    /// subsidy record; a toilet the survey gave no subsidy record (subsidised or unknown,
    /// preferring the same build year); any toilet left (the survey said not subsidised: to
    /// verify). A toilet with another subsidy record is another toilet.
    pub(super) fn pick(
        &mut self,
        db: Db<'_>,
        stored: &mut Stored,
        household_id: i64,
        v: &Values,
    ) -> Result<Option<Matched>> {
        let mut best: Option<(u8, Matched)> = None;
        let mut seq = 1;
        while let Some((id, current)) = stored.toilet(db, household_id, seq)? {
            let this_seq = seq;
            seq += 1;
            if self.used.contains(&id) {
                continue;
            }
            let (year, amount, project) = (
                int(&current[SUBSIDY_YEAR]),
                int(&current[AMOUNT]),
                text(&current[PROJECT]),
            );
            let has_record = year.is_some() || amount.is_some() || project.is_some();
            // A field agrees or differs only when both sides give it.
            let both = |a: Option<i64>, b: Option<i64>| a.zip(b).map(|(a, b)| a == b);
            let checks = [
                both(year, v.subsidy_year),
                both(amount, v.subsidy_amount_fen),
                project.zip(v.project_name.as_deref()).map(|(a, b)| a == b),
            ];
            let agree = checks.iter().filter(|c| **c == Some(true)).count();
            let conflict = checks.contains(&Some(false));
            let said_no = int(&current[SUBSIDIZED]) == Some(0);
            let same_year = int(&current[BUILD_YEAR]).is_some()
                && int(&current[BUILD_YEAR]) == v.build_year.or(v.subsidy_year);
            // The same record; the same record written differently (the finance record wins
            // for its own fields, the difference is reported); a toilet the survey gave no
            // record; one the survey said was not subsidised; last, another record entirely.
            let rank: u8 = match (has_record, conflict, agree) {
                (true, false, _) => 0,
                (true, true, 1..) => 1,
                (false, _, _) if !said_no && same_year => 2,
                (false, _, _) if !said_no => 3,
                (false, _, _) => 4,
                (true, true, 0) => 5,
            };
            if best.as_ref().is_none_or(|(r, _)| rank < *r) {
                best = Some((
                    rank,
                    Matched {
                        seq: this_seq,
                        id,
                        survey_said_no: rank == 4,
                        record_differs: rank == 1 || rank == 5,
                        current,
                    },
                ));
            }
        }
        Ok(best.map(|(rank, m)| {
            self.used.insert(m.id);
            self.report.matched += 1;
            if rank == 0 {
                self.report.already += 1;
            }
            m
        }))
    }

    /// The fields a subsidy row writes into the toilet it matched: the subsidy record, and
    /// whatever else the survey left empty.
    pub(super) fn fields(fields: Vec<FieldValue>, current: &[Value]) -> Vec<FieldValue> {
        fields
            .into_iter()
            .filter(|f| {
                SUBSIDY_COLUMNS.contains(&f.column)
                    || TOILET_COLUMNS
                        .iter()
                        .position(|c| *c == f.column)
                        .is_some_and(|i| current[i] == Value::Null)
            })
            .collect()
    }

    pub(super) fn note(list: &mut Vec<MergeLine>, line: MergeLine) {
        if list.len() < LISTED {
            list.push(line);
        }
    }

    /// After the file: the survey's subsidised toilets in the file's villages that no row
    /// matched.
    pub(super) fn finish(mut self, db: Db<'_>, report: &mut ImportReport) -> Result<()> {
        db.for_each(
            "SELECT t.id, h.village_id, h.head_name, v.name || g.name, t.seq
             FROM toilets t JOIN households h ON h.id = t.household_id
             JOIN villages v ON v.id = h.village_id JOIN village_groups g ON g.id = h.group_id
             WHERE t.subsidized = 1
             ORDER BY v.sort_order, g.sort_order, h.id, t.seq",
            [],
            |r| {
                let (id, village): (i64, i64) = (r.get(0)?, r.get(1)?);
                if self.used.contains(&id) || !self.villages.contains(&village) {
                    return Ok(());
                }
                self.report.only_on_survey_total += 1;
                Merge::note(
                    &mut self.report.only_on_survey,
                    MergeLine {
                        row: None,
                        head_name: r.get(2)?,
                        place: r.get(3)?,
                        toilet_seq: Some(r.get(4)?),
                        note: "摸排名单记为财政补助，补助名单中没有：请核实补助来源".into(),
                    },
                );
                Ok(())
            },
        )?;
        report.merge = Some(self.report);
        Ok(())
    }
}
