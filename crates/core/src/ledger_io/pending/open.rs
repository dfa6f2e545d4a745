//! The open 待核实 entries as an import meets them: recorded once per field (a re-import of the
//! same ledger updates the entry instead of adding another), and resolved when a later ledger
//! gives the field a value that can be taken.

use std::collections::{HashMap, HashSet};

use rusqlite::params;

use crate::error::Result;
use crate::store::sql::Db;

/// Which value an entry is about: the household, its toilet (if a toilet field), the column.
type Key = (i64, Option<i64>, &'static str);

/// Open entries by what they are about: (entry id, the value as written).
pub(crate) struct OpenChecks {
    by_key: HashMap<Key, (i64, String)>,
    households: HashSet<i64>,
}

/// Where an entry came from.
pub(crate) struct Origin<'a> {
    pub(crate) batch_id: Option<i64>,
    pub(crate) row: usize,
    pub(crate) now: &'a str,
}

impl OpenChecks {
    pub(crate) fn load(tx: Db<'_>) -> Result<OpenChecks> {
        let mut by_key = HashMap::new();
        let mut households = HashSet::new();
        let mut stmt = tx.prepare(
            "SELECT id, household_id, toilet_id, field, written FROM pending_checks
             WHERE resolved_at IS NULL",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<i64>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        for row in rows {
            let (id, household, toilet, field, written) = row?;
            // Only columns this program writes are ever recorded.
            if let Some(column) =
                crate::ledger_io::import::headers::Field::of_column(&field).and_then(|f| f.column())
            {
                households.insert(household);
                by_key.insert((household, toilet, column), (id, written));
            }
        }
        Ok(OpenChecks { by_key, households })
    }

    /// What the open entry about `column` says was written, if there is one.
    pub(crate) fn written(
        &self,
        household_id: i64,
        toilet_id: Option<i64>,
        column: &'static str,
    ) -> Option<&String> {
        self.by_key
            .get(&(household_id, toilet_id, column))
            .map(|(_, w)| w)
    }

    /// Whether the household has any open entry (most have none: one lookup skips the rest).
    pub(crate) fn any_for(&self, household_id: i64) -> bool {
        self.households.contains(&household_id)
    }

    /// Records one value left empty: a new entry, or the open one about the same field brought
    /// up to date with what this ledger wrote.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn record(
        &mut self,
        tx: Db<'_>,
        household_id: i64,
        toilet_id: Option<i64>,
        column: &'static str,
        written: &str,
        reason: &str,
        origin: &Origin,
    ) -> Result<()> {
        let key = (household_id, toilet_id, column);
        if let Some((id, old)) = self.by_key.get_mut(&key) {
            tx.prepare_cached(
                "UPDATE pending_checks SET written = ?1, reason = ?2, import_batch_id = ?3,
                        source_row = ?4 WHERE id = ?5",
            )?
            .execute(params![
                written,
                reason,
                origin.batch_id,
                origin.row as i64,
                *id
            ])?;
            *old = written.to_string();
            return Ok(());
        }
        let new_id = tx
            .prepare_cached(
                "INSERT INTO pending_checks (household_id, toilet_id, field, written, reason,
                                         import_batch_id, source_row, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
            )?
            .query_row(
                params![
                    household_id,
                    toilet_id,
                    column,
                    written,
                    reason,
                    origin.batch_id,
                    origin.row as i64,
                    origin.now
                ],
                |r| r.get::<_, i64>(0),
            )?;
        self.by_key.insert(key, (new_id, written.to_string()));
        self.households.insert(household_id);
        Ok(())
    }

    /// Resolves the open entry about `column` now that a ledger gives it `shown`; returns what
    /// the entry said was written (the change log's old value), or `None` if there was none.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn resolve(
        &mut self,
        tx: Db<'_>,
        household_id: i64,
        toilet_id: Option<i64>,
        column: &'static str,
        shown: &str,
        actor: &str,
        now: &str,
    ) -> Result<Option<String>> {
        let Some((id, written)) = self.by_key.remove(&(household_id, toilet_id, column)) else {
            return Ok(None);
        };
        tx.prepare_cached(
            "UPDATE pending_checks SET resolved_at = ?1, resolved_by = ?2, resolution = 'reimported',
                    new_value = ?3 WHERE id = ?4",
        )?
        .execute(params![now, actor, shown, id])?;
        Ok(Some(written))
    }
}
