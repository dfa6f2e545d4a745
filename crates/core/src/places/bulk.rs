//! Many households and toilets written in one transaction (imports, the demo town).
//!
//! On the file every row is written at once (an in-process statement costs microseconds) and
//! the search keys are collected and written in the order of their table's key by
//! [`Bulk::finish`] — sequential B-tree appends instead of random inserts. An import into an
//! empty town also builds the other indexes of these tables after its rows ([`LaterIndexes`]),
//! on either engine.
//!
//! On the server a statement is a round trip, and a row a round trip made an import of 100,000
//! rows twelve times slower than on the file (#18). There the rows wait in a queue and go a
//! thousand at a time, in one `COPY … FROM STDIN`.
//! Their ids are taken ahead from the tables' identity sequences (the same sequences every
//! other insert uses, so nothing collides), so a caller gets a household's id at once, as on
//! the file. A caller that reads or writes a queued household (or its toilets) with its own
//! statements first calls [`Bulk::ready`]; anything else waits for the next
//! [`Bulk::flush`] or [`Bulk::finish`]. Ids taken and not used (at most one block) are left
//! unused, as a rolled-back insert leaves them on any PostgreSQL sequence.

use std::collections::VecDeque;
use std::io::Write;

use rusqlite::params;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::ToSql;

use crate::error::{Error, Result};
use crate::fast_map::{FastMap, FastSet};
use crate::model::{NewHousehold, NewToilet};
use crate::places::households::{
    self, insert_household_in, insert_household_row, insert_toilet_row, INSERT_KEY,
};
use crate::search_keys;
use crate::store::sql::{Db, Engine};

/// Where a search key points: (village, 社, household), in the order of its table's key.
type KeyPlace = (i64, i64, i64);

/// Rows written at a time on the server (a thousand households is about 200 KB).
const TOGETHER: usize = 1000;
/// A search key's columns.
const KEY_COLUMNS: &[&str] = &["term", "household_id", "village_id", "group_id"];
/// Search keys written at a time on the server (about six a household).
const KEYS_TOGETHER: usize = 6000;
/// The first block of ids taken ahead; each next block is twice as big, up to [`TOGETHER`]:
/// a small import leaves few ids unused, a big one takes them in few round trips.
const FIRST_BLOCK: i64 = 16;

/// See the module documentation. Call `finish` before committing.
pub struct Bulk {
    /// (household, key, village, 社): in the order the households were written.
    keys: Vec<(i64, String, i64, i64)>,
    next_seq: FastMap<i64, i64>,
    /// The village of each household written here, for its toilets' rows (on the server they
    /// go in a `COPY`, where the database would otherwise look each one up by trigger).
    village_of: FastMap<i64, i64>,
    households: Queue,
    toilets: Queue,
    /// The search keys of the queued households, in their order (server only).
    household_keys: Queue,
    /// Households whose row, or a toilet of theirs, is queued.
    waiting: FastSet<i64>,
    /// On the file, the search keys of the households an import inserted, by household: its
    /// village, 社 and keys, until `finish` (or `ready`, before the household is changed).
    keys_waiting: FastMap<i64, (i64, i64, Vec<String>)>,
    household_ids: Ids,
    toilet_ids: Ids,
}

impl Default for Bulk {
    fn default() -> Bulk {
        Bulk::new()
    }
}

impl Bulk {
    pub fn new() -> Bulk {
        Bulk {
            keys: Vec::new(),
            next_seq: FastMap::default(),
            village_of: FastMap::default(),
            households: Queue::new("households", households::NEW_HOUSEHOLD_COLUMNS),
            toilets: Queue::new("toilets", households::NEW_TOILET_COLUMNS),
            household_keys: Queue::new("household_search", KEY_COLUMNS),
            waiting: FastSet::default(),
            keys_waiting: FastMap::default(),
            household_ids: Ids::new("households"),
            toilet_ids: Ids::new("toilets"),
        }
    }

    /// Inserts a household (its 社's village looked up); its search keys wait for `finish`.
    pub fn insert_household<'a>(
        &mut self,
        db: impl Into<Db<'a>>,
        h: &NewHousehold,
        now: &str,
    ) -> Result<i64> {
        let keys = search_keys::household_keys(&h.head_name);
        let (id, village_id) = insert_household_row(db.into(), h, &keys, now)?;
        self.keys
            .extend(keys.into_iter().map(|k| (id, k, village_id, h.group_id)));
        self.next_seq.insert(id, 1);
        self.village_of.insert(id, village_id);
        Ok(id)
    }

    /// Inserts a household of a 社 whose village the caller knows (an import holds all places
    /// in memory); its search keys wait for `finish` or [`Bulk::ready`] (on the server, the
    /// row too: see the module documentation).
    pub fn insert_household_now_in<'a>(
        &mut self,
        db: impl Into<Db<'a>>,
        h: &NewHousehold,
        village_id: i64,
        now: &str,
    ) -> Result<i64> {
        let db = db.into();
        match db.engine() {
            Engine::File => {
                let keys = search_keys::household_keys(&h.head_name);
                let id = insert_household_in(db, h, village_id, &keys, now)?;
                self.keys_waiting.insert(id, (village_id, h.group_id, keys));
                self.next_seq.insert(id, 1);
                self.village_of.insert(id, village_id);
                Ok(id)
            }
            Engine::Server => {
                let id = self.household_ids.take(db)?;
                let (head_name, id_number, id_rev) = households::written_forms(h);
                let keys = search_keys::household_keys(&h.head_name);
                let terms = households::terms_of(&keys);
                self.households.push(&[
                    &id,
                    &village_id,
                    &h.group_id,
                    &head_name,
                    &id_number,
                    &id_rev,
                    &h.phone,
                    &h.address,
                    &h.registered_pop,
                    &h.resident_pop,
                    &h.category,
                    &h.is_resident,
                    &now,
                    &now,
                    &terms,
                ])?;
                // Straight into the queue: a household's keys come deduplicated, and the
                // households in id order.
                for key in keys {
                    self.household_keys
                        .push(&[&key, &id, &village_id, &h.group_id])?;
                }
                self.next_seq.insert(id, 1);
                self.village_of.insert(id, village_id);
                self.waiting.insert(id);
                self.full(db)?;
                Ok(id)
            }
        }
    }

    /// Inserts a toilet as its household's next one; queued on the server.
    pub fn insert_toilet<'a>(
        &mut self,
        db: impl Into<Db<'a>>,
        household_id: i64,
        t: &NewToilet,
        now: &str,
    ) -> Result<i64> {
        let db = db.into();
        let seq = match self.next_seq.get(&household_id) {
            Some(seq) => *seq,
            None => households::next_toilet_seq(db, household_id)?,
        };
        self.next_seq.insert(household_id, seq + 1);
        match db.engine() {
            Engine::File => {
                let village = self.village_of.get(&household_id).copied();
                insert_toilet_row(db, household_id, seq, t, now, village)
            }
            Engine::Server => {
                let id = self.toilet_ids.take(db)?;
                self.toilets.push(&[
                    &id,
                    &household_id,
                    &seq,
                    &t.tech_mode,
                    &t.location,
                    &t.build_year,
                    &t.subsidized,
                    &t.subsidy_year,
                    &t.subsidy_amount_fen,
                    &t.project_name,
                    &t.is_sanitary,
                    &t.use_status,
                    &t.baseline_source,
                    &now,
                    &now,
                    &self.village_of.get(&household_id).copied(),
                ])?;
                self.waiting.insert(household_id);
                self.full(db)?;
                Ok(id)
            }
        }
    }

    /// Makes sure the household and its toilets are written, for a caller about to read or
    /// change them (or to write a row that refers to them) with its own statements. On the
    /// file, its search keys are written now: a move to another 社 or a new head then changes
    /// them as it changes those of any stored household.
    pub fn ready<'a>(&mut self, db: impl Into<Db<'a>>, household_id: i64) -> Result<()> {
        let db = db.into();
        // The caller may move the household to another village: its later toilets take the
        // village from its row (by trigger on the server), not from what was noted here.
        self.village_of.remove(&household_id);
        if let Some((village_id, group_id, keys)) = self.keys_waiting.remove(&household_id) {
            let mut stmt = db.prepare_cached(INSERT_KEY)?;
            for key in keys {
                stmt.execute(params![key, household_id, village_id, group_id])?;
            }
        }
        if self.waiting.contains(&household_id) {
            self.flush(db)?;
        }
        Ok(())
    }

    /// Writes everything queued (on the server: households, then their toilets and search
    /// keys). On the file nothing waits but the search keys, which `finish` writes.
    pub fn flush<'a>(&mut self, db: impl Into<Db<'a>>) -> Result<()> {
        let db = db.into();
        if db.engine() == Engine::File {
            return Ok(());
        }
        self.households.write(db)?;
        self.toilets.write(db)?;
        self.household_keys.write(db)?;
        self.write_keys(db)?;
        self.waiting.clear();
        Ok(())
    }

    fn full(&mut self, db: Db<'_>) -> Result<()> {
        if self.households.rows >= TOGETHER || self.toilets.rows >= TOGETHER {
            self.flush(db)?;
        }
        Ok(())
    }

    /// Writes what is still queued and the collected search keys: on the file in the order of
    /// their table's key (see below), one row a statement (a statement of many rows kept a
    /// statement journal, and that measured slower).
    pub fn finish<'a>(mut self, db: impl Into<Db<'a>>) -> Result<()> {
        let db = db.into();
        if db.engine() == Engine::Server {
            return self.flush(db);
        }
        // In the order of the table's primary key (term, village, 社, household): each key is
        // appended at the end of the B-tree (#19: the first import of 100,000 rows measured
        // 4–5 % faster than keys written household by household). Gathered by term first: a
        // sort of the distinct terms and of each term's few places (integers) instead of one
        // of every key (half a million for a town of 90,000 households, 0.2 s of the import).
        let waiting = std::mem::take(&mut self.keys_waiting).into_iter().flat_map(
            |(id, (village_id, group_id, keys))| {
                keys.into_iter().map(move |k| (id, k, village_id, group_id))
            },
        );
        let mut by_term: FastMap<String, Vec<KeyPlace>> = FastMap::default();
        for (id, key, village_id, group_id) in waiting.chain(std::mem::take(&mut self.keys)) {
            by_term
                .entry(key)
                .or_default()
                .push((village_id, group_id, id));
        }
        let mut terms: Vec<(String, Vec<KeyPlace>)> = by_term.into_iter().collect();
        terms.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        // The file's own statement, prepared once; each term bound once for its places.
        let mut stmt = db.file("写入检索词")?.prepare_cached(INSERT_KEY)?;
        for (term, mut places) in terms {
            places.sort_unstable();
            places.dedup();
            stmt.raw_bind_parameter(1, &term)?;
            for (village_id, group_id, id) in places {
                stmt.raw_bind_parameter(2, id)?;
                stmt.raw_bind_parameter(3, village_id)?;
                stmt.raw_bind_parameter(4, group_id)?;
                stmt.raw_execute()?;
            }
        }
        Ok(())
    }

    /// The collected search keys, [`KEYS_TOGETHER`] at a time (server only). They belong to
    /// households this value wrote, so none is there yet: no conflict to skip.
    fn write_keys(&mut self, db: Db<'_>) -> Result<()> {
        self.keys.sort();
        self.keys.dedup();
        let mut queue = Queue::new("household_search", KEY_COLUMNS);
        for (id, key, village_id, group_id) in self.keys.drain(..) {
            queue.push(&[&key, &id, &village_id, &group_id])?;
            if queue.rows >= KEYS_TOGETHER {
                queue.write(db)?;
            }
        }
        queue.write(db)
    }
}

/// The indexes of the households, their toilets and search keys that an import into an empty
/// town drops before its rows and builds again after them: one sorted build of each instead of
/// 100,000 inserts into each (#19: the first import of 100,000 rows into a file measured
/// 13–15 % faster). Unique indexes stay, as the constraints they are. The whole runs in the
/// import's transaction (on either engine), so a failed or previewed import leaves them as
/// they were.
pub(crate) struct LaterIndexes(Vec<String>);

impl LaterIndexes {
    /// Drops the indexes when the town has no household yet; none otherwise (a town already
    /// there keeps its indexes: a re-import changes few rows).
    pub(crate) fn drop_if_empty(db: Db<'_>) -> Result<LaterIndexes> {
        let any: i64 = db.query_row(
            "SELECT count(*) FROM (SELECT 1 FROM households LIMIT 1) AS any_household",
            [],
            |r| r.get(0),
        )?;
        if any > 0 {
            return Ok(LaterIndexes(Vec::new()));
        }
        let found: Vec<(String, String)> = db.query_map(
            match db.engine() {
                Engine::File => {
                    "SELECT name, sql FROM sqlite_schema
                     WHERE type = 'index' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE %'
                       AND tbl_name IN ('households', 'toilets', 'household_search')
                     ORDER BY rowid"
                }
                Engine::Server => {
                    "SELECT indexname, indexdef FROM pg_indexes
                     WHERE schemaname = current_schema() AND indexdef NOT LIKE 'CREATE UNIQUE %'
                       AND tablename IN ('households', 'toilets', 'household_search')
                     ORDER BY indexname"
                }
            },
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        for (name, _) in &found {
            db.execute(&format!("DROP INDEX \"{name}\""), [])?;
        }
        let mut later: Vec<String> = found.into_iter().map(|(_, sql)| sql).collect();
        // On the server also the search keys' primary key and the two tables' foreign keys: a
        // key inserted into the primary key's B-tree, or a reference checked, one row at a time
        // cost more than all of the server's other work on these rows (measured: 545,000 keys
        // copied in 1.08 s with their primary key, 0.15 s without it and 0.28 s to build it
        // after; 98,000 toilets 0.56 s with their foreign key, 0.25 s without). Each comes
        // back as it was, the primary key first; adding it checks every row.
        if db.engine() == Engine::Server {
            let constraints: Vec<(String, String, String)> = db.query_map(
                "SELECT c.conname, t.relname, pg_get_constraintdef(c.oid)
                 FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
                 WHERE t.relnamespace = current_schema()::regnamespace
                   AND t.relname IN ('households', 'toilets', 'household_search')
                   AND (c.contype = 'f' OR (c.contype = 'p' AND t.relname = 'household_search'))
                 ORDER BY c.contype DESC, c.conname",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            for (name, table, definition) in constraints {
                db.execute(
                    &format!("ALTER TABLE \"{table}\" DROP CONSTRAINT \"{name}\""),
                    [],
                )?;
                later.push(format!(
                    "ALTER TABLE \"{table}\" ADD CONSTRAINT \"{name}\" {definition}"
                ));
            }
        }
        Ok(LaterIndexes(later))
    }

    /// Builds the dropped indexes again, as they were.
    pub(crate) fn build(self, db: Db<'_>) -> Result<()> {
        for sql in &self.0 {
            db.execute(sql, [])?;
        }
        Ok(())
    }
}

/// Rows of one table written in bulk on either engine (derived tables rebuilt in one go, such
/// as the kept 多方比对): on the file a cached insert a row, on the server queued and sent
/// with `COPY` a few megabytes at a time. Call [`Rows::finish`].
pub(crate) struct Rows<'a> {
    db: Db<'a>,
    insert: String,
    queue: Option<Queue>,
}

/// Bytes of COPY data sent at a time by [`Rows`].
const ROWS_AT_A_TIME: usize = 4 << 20;

impl<'a> Rows<'a> {
    pub(crate) fn new(db: Db<'a>, table: &str, columns: &[&str]) -> Rows<'a> {
        let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
        Rows {
            db,
            insert: format!(
                "INSERT INTO {table} ({}) VALUES ({})",
                columns.join(", "),
                marks.join(", ")
            ),
            queue: (db.engine() == Engine::Server).then(|| Queue::new(table, columns)),
        }
    }

    pub(crate) fn push(&mut self, values: &[&dyn ToSql]) -> Result<()> {
        match &mut self.queue {
            None => {
                self.db.execute(&self.insert, values)?;
            }
            Some(q) => {
                q.push(values)?;
                if q.data.len() >= ROWS_AT_A_TIME {
                    q.write(self.db)?;
                }
            }
        }
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Result<()> {
        match &mut self.queue {
            None => Ok(()),
            Some(q) => q.write(self.db),
        }
    }
}

/// Rows of one table waiting on the server, in the text format of `COPY … FROM STDIN` (the
/// server's fastest way in: measured faster than the same rows as one JSON parameter).
struct Queue {
    sql: String,
    columns: usize,
    data: Vec<u8>,
    rows: usize,
}

impl Queue {
    fn new(table: &str, columns: &[&str]) -> Queue {
        Queue {
            sql: format!("COPY {table} ({}) FROM STDIN", columns.join(", ")),
            columns: columns.len(),
            data: Vec::new(),
            rows: 0,
        }
    }

    /// Queues a row: `values` in the order of the columns.
    fn push(&mut self, values: &[&dyn ToSql]) -> Result<()> {
        debug_assert_eq!(values.len(), self.columns);
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                self.data.push(b'\t');
            }
            let written = match value.to_sql()? {
                ToSqlOutput::Borrowed(v) => copy_value(&mut self.data, v),
                ToSqlOutput::Owned(v) => copy_value(&mut self.data, ValueRef::from(&v)),
                _ => Err(unsupported()),
            };
            written?;
        }
        self.data.push(b'\n');
        self.rows += 1;
        Ok(())
    }

    fn write(&mut self, db: Db<'_>) -> Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        db.copy_in(&self.sql, &self.data)?;
        self.data.clear();
        self.rows = 0;
        Ok(())
    }
}

/// One value in COPY's text format: `\N` for NULL; in text, the backslash and the characters
/// that end a column or a row escaped. Text must be UTF-8 (the server stores nothing else).
fn copy_value(out: &mut Vec<u8>, v: ValueRef<'_>) -> Result<()> {
    match v {
        ValueRef::Null => out.extend_from_slice(b"\\N"),
        ValueRef::Integer(n) => {
            let _ = write!(out, "{n}");
        }
        ValueRef::Real(f) if f.is_finite() => {
            let _ = write!(out, "{f}");
        }
        ValueRef::Text(t) => {
            std::str::from_utf8(t).map_err(|_| unsupported())?;
            for &b in t {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    _ => out.push(b),
                }
            }
        }
        ValueRef::Real(_) | ValueRef::Blob(_) => return Err(unsupported()),
    }
    Ok(())
}

fn unsupported() -> Error {
    Error::Invalid("程序内部错误：一个值无法成批写入服务器。请联系开发人员。".into())
}

/// Ids taken ahead from a table's identity sequence (server only).
struct Ids {
    table: &'static str,
    /// The statement taking a block, naming the sequence (found once: looking it up for each
    /// id took nine tenths of the time).
    sql: Option<String>,
    ready: VecDeque<i64>,
    block: i64,
}

impl Ids {
    fn new(table: &'static str) -> Ids {
        Ids {
            table,
            sql: None,
            ready: VecDeque::new(),
            block: FIRST_BLOCK / 2,
        }
    }

    fn take(&mut self, db: Db<'_>) -> Result<i64> {
        if self.ready.is_empty() {
            if self.sql.is_none() {
                let sequence: String = db.query_row(
                    "SELECT CAST(pg_get_serial_sequence(?1, 'id') AS text)",
                    [self.table],
                    |r| r.get(0),
                )?;
                // One row of text, not a row an id: reading a thousand rows cost more than
                // taking the ids.
                self.sql = Some(format!(
                    "SELECT string_agg(CAST(nextval(CAST('{}' AS regclass)) AS text), ',')
                     FROM generate_series(1, CAST(?1 AS integer))",
                    sequence.replace('\'', "''")
                ));
            }
            let sql = self.sql.as_deref().expect("set above");
            self.block = (self.block * 2).min(TOGETHER as i64);
            let list: String = db.query_row(sql, [self.block], |r| r.get(0))?;
            let mut ids = list
                .split(',')
                .map(|id| id.parse::<i64>())
                .collect::<std::result::Result<Vec<i64>, _>>()
                .map_err(|_| unsupported())?;
            ids.sort_unstable();
            self.ready.extend(ids);
        }
        self.ready.pop_front().ok_or_else(|| {
            Error::Invalid("程序内部错误：服务器没有给出新的编号。请联系开发人员。".into())
        })
    }
}
