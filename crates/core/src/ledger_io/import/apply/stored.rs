//! What the database holds for the rows an import compares with, packed to keep memory small.

use rusqlite::params;
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::ToSql;

use super::index::Households;
use super::types::{FastMap, FastSet};
use crate::error::Result;
use crate::model::NewHousehold;
use crate::places::households::written_forms;
use crate::store::sql::{Db, Optional, Row};

/// The stored columns an import compares, in the order [`Stored`] holds them.
pub(super) const HOUSEHOLD_COLUMNS: [&str; 9] = [
    "head_name",
    "id_number",
    "phone",
    "address",
    "registered_pop",
    "resident_pop",
    "category",
    "is_resident",
    "group_id",
];
pub(super) const TOILET_COLUMNS: [&str; 9] = [
    "tech_mode",
    "location",
    "build_year",
    "subsidized",
    "subsidy_year",
    "subsidy_amount_fen",
    "project_name",
    "is_sanitary",
    "use_status",
];

/// What the database holds for the households and toilets the import compares rows with: read
/// all at once when the file is big (two table scans beat a few lookups a row), else one row
/// at a time on first use. Every write of the import goes to the database and here alike.
/// Rows are kept packed ([`pack`]): a town's worth of `Value`s took several times the memory.
pub(super) struct Stored {
    pub(super) households: FastMap<i64, Box<[u8]>>,
    pub(super) toilets: FastMap<ToiletKey, (i64, Box<[u8]>)>,
    /// Every toilet the database had before the import is in `toilets`.
    pub(super) all_toilets: bool,
    /// Households that got a toilet in this import (their new toilets are not in `toilets`).
    pub(super) toilets_added: FastSet<i64>,
    /// Read with everything stored: each household's 无厕所 mark, toilet count and first
    /// toilet, as [`Stored::facts`] gives them.
    facts: FastMap<i64, HouseholdFacts>,
}

/// A stored household's 无厕所 mark, how many toilets it has and its first toilet (lowest seq:
/// (seq, id)).
#[derive(Clone, Copy, Default)]
struct HouseholdFacts {
    no_toilet: bool,
    toilets: i64,
    first: Option<(i64, i64)>,
}

/// (household, seq) of a toilet, which [`Stored`] maps to (toilet id, packed values).
pub(super) type ToiletKey = (i64, i64);

/// Values packed into one allocation: per value a tag byte, then nothing (NULL), 8 bytes (an
/// integer or a real) or a 4-byte length and the bytes (text, blob).
pub(super) fn pack<'a>(values: impl Iterator<Item = rusqlite::types::ValueRef<'a>>) -> Box<[u8]> {
    use rusqlite::types::ValueRef;
    let mut out = Vec::with_capacity(96);
    for v in values {
        match v {
            ValueRef::Null => out.push(0),
            ValueRef::Integer(n) => {
                out.push(1);
                out.extend_from_slice(&n.to_le_bytes());
            }
            ValueRef::Real(f) => {
                out.push(2);
                out.extend_from_slice(&f.to_le_bytes());
            }
            ValueRef::Text(b) | ValueRef::Blob(b) => {
                out.push(if matches!(v, ValueRef::Text(_)) { 3 } else { 4 });
                out.extend_from_slice(&(b.len() as u32).to_le_bytes());
                out.extend_from_slice(b);
            }
        }
    }
    out.into_boxed_slice()
}

pub(super) fn pack_values(values: &[Value]) -> Box<[u8]> {
    pack(values.iter().map(rusqlite::types::ValueRef::from))
}

pub(super) fn unpack(mut bytes: &[u8]) -> Vec<Value> {
    pub(super) fn take<'a>(n: usize, bytes: &mut &'a [u8]) -> &'a [u8] {
        let (head, rest) = bytes.split_at(n);
        *bytes = rest;
        head
    }
    let mut out = Vec::with_capacity(HOUSEHOLD_COLUMNS.len());
    while let Some((&tag, rest)) = bytes.split_first() {
        bytes = rest;
        let v = match tag {
            0 => Value::Null,
            1 => Value::Integer(i64::from_le_bytes(
                take(8, &mut bytes).try_into().expect("8 bytes"),
            )),
            2 => Value::Real(f64::from_le_bytes(
                take(8, &mut bytes).try_into().expect("8 bytes"),
            )),
            _ => {
                let len = u32::from_le_bytes(take(4, &mut bytes).try_into().expect("4 bytes"));
                let b = take(len as usize, &mut bytes);
                if tag == 3 {
                    // Packed from SQLite text, which rusqlite hands out as UTF-8 too.
                    Value::Text(String::from_utf8_lossy(b).into_owned())
                } else {
                    Value::Blob(b.to_vec())
                }
            }
        };
        out.push(v);
    }
    out
}

/// The values of columns `from..from + n` of a row, packed.
pub(super) fn packed_row(r: &Row, from: usize, n: usize) -> rusqlite::Result<Box<[u8]>> {
    let refs = (from..from + n)
        .map(|i| r.get_ref(i))
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(pack(refs.into_iter()))
}

impl Stored {
    /// The stored households by name and ID number, and what [`Stored`] reads for a file of
    /// `rows` rows: everything stored when the file is about as big as the town (a re-import,
    /// a corrected ledger: two table scans, the households' also making their index, beat a
    /// few lookups a row), else nothing until asked.
    pub(super) fn load(db: Db<'_>, rows: usize) -> Result<(Households, Stored)> {
        let count: i64 = db.query_row("SELECT count(*) FROM households", [], |r| r.get(0))?;
        let all = rows.saturating_mul(4) >= usize::try_from(count).unwrap_or(usize::MAX);
        let mut homes = Households::new();
        let stored = Stored::read(db, all, &mut homes)?;
        if !all {
            homes = Households::load(db)?;
        }
        Ok((homes, stored))
    }

    /// Everything stored when `all`, each household also added to `homes`.
    fn read(db: Db<'_>, all: bool, homes: &mut Households) -> Result<Stored> {
        let mut s = Stored {
            households: FastMap::default(),
            toilets: FastMap::default(),
            all_toilets: all,
            toilets_added: FastSet::default(),
            facts: FastMap::default(),
        };
        if all {
            let n = HOUSEHOLD_COLUMNS.len();
            db.for_each(
                &format!(
                    "SELECT id, {}, no_toilet FROM households",
                    HOUSEHOLD_COLUMNS.join(", ")
                ),
                [],
                |r| {
                    let id = r.get(0)?;
                    // head_name, id_number and group_id: HOUSEHOLD_COLUMNS 0, 1 and 8.
                    homes.add(id, r.get(9)?, r.get(1)?, r.get(2)?);
                    s.households.insert(id, packed_row(r, 1, n)?);
                    s.facts.insert(
                        id,
                        HouseholdFacts {
                            no_toilet: r.get(n + 1)?,
                            ..HouseholdFacts::default()
                        },
                    );
                    Ok(())
                },
            )?;
            db.for_each(
                &format!(
                    "SELECT household_id, seq, id, {} FROM toilets",
                    TOILET_COLUMNS.join(", ")
                ),
                [],
                |r| {
                    let (household, seq, id) = (r.get(0)?, r.get(1)?, r.get(2)?);
                    s.toilets.insert(
                        (household, seq),
                        (id, packed_row(r, 3, TOILET_COLUMNS.len())?),
                    );
                    let f = s.facts.entry(household).or_default();
                    f.toilets += 1;
                    if f.first.is_none_or(|(first, _)| seq < first) {
                        f.first = Some((seq, id));
                    }
                    Ok(())
                },
            )?;
        }
        Ok(s)
    }

    /// A stored household's 无厕所 mark, toilet count and first toilet as they are now, when
    /// everything stored was read and this import added no toilet to it (an import never
    /// moves, removes or marks a toilet before [`Stored::facts`] is asked); else None.
    pub(super) fn facts(&self, household_id: i64) -> Option<(bool, i64, Option<i64>)> {
        if !self.all_toilets || self.toilets_added.contains(&household_id) {
            return None;
        }
        let f = self.facts.get(&household_id)?;
        Some((f.no_toilet, f.toilets, f.first.map(|(_, id)| id)))
    }

    /// The stored values of a household ([`HOUSEHOLD_COLUMNS`]).
    pub(super) fn household(&mut self, db: Db<'_>, id: i64) -> Result<Vec<Value>> {
        if let Some(packed) = self.households.get(&id) {
            return Ok(unpack(packed));
        }
        // Not read yet, or written by this import.
        let packed = db.query_row(
            &format!(
                "SELECT {} FROM households WHERE id = ?1",
                HOUSEHOLD_COLUMNS.join(", ")
            ),
            [id],
            |r| packed_row(r, 0, HOUSEHOLD_COLUMNS.len()),
        )?;
        let values = unpack(&packed);
        self.households.insert(id, packed);
        Ok(values)
    }

    /// A household this import wrote, as its row holds it.
    pub(super) fn new_household(&mut self, id: i64, h: &NewHousehold) {
        let (head_name, id_number, _) = written_forms(h);
        let values: [&dyn ToSql; 9] = [
            &head_name,
            &id_number,
            &h.phone,
            &h.address,
            &h.registered_pop,
            &h.resident_pop,
            &h.category,
            &h.is_resident,
            &h.group_id,
        ];
        // Every column here is text or an integer, which bind as themselves.
        let outputs: Vec<ToSqlOutput<'_>> = values
            .iter()
            .map(|v| v.to_sql().unwrap_or(ToSqlOutput::Owned(Value::Null)))
            .collect();
        let refs = outputs.iter().map(|o| match o {
            ToSqlOutput::Borrowed(r) => *r,
            ToSqlOutput::Owned(v) => ValueRef::from(v),
            _ => ValueRef::Null,
        });
        self.households.insert(id, pack(refs));
    }

    pub(super) fn set_household(&mut self, id: i64, values: &[Value]) {
        self.households.insert(id, pack_values(values));
    }

    /// The toilet `seq` of a household with its stored values ([`TOILET_COLUMNS`]), if it has
    /// one.
    pub(super) fn toilet(
        &mut self,
        db: Db<'_>,
        household_id: i64,
        seq: i64,
    ) -> Result<Option<(i64, Vec<Value>)>> {
        let key = (household_id, seq);
        if let Some((id, packed)) = self.toilets.get(&key) {
            return Ok(Some((*id, unpack(packed))));
        }
        if self.all_toilets && !self.toilets_added.contains(&household_id) {
            return Ok(None);
        }
        let found = db
            .query_row(
                &format!(
                    "SELECT id, {} FROM toilets WHERE household_id = ?1 AND seq = ?2",
                    TOILET_COLUMNS.join(", ")
                ),
                params![household_id, seq],
                |r| Ok((r.get::<_, i64>(0)?, packed_row(r, 1, TOILET_COLUMNS.len())?)),
            )
            .optional()?;
        Ok(found.map(|(id, packed)| {
            let values = unpack(&packed);
            self.toilets.insert(key, (id, packed));
            (id, values)
        }))
    }

    pub(super) fn set_toilet(&mut self, household_id: i64, seq: i64, id: i64, values: &[Value]) {
        self.toilets
            .insert((household_id, seq), (id, pack_values(values)));
    }

    pub(super) fn toilet_added(&mut self, household_id: i64) {
        self.toilets_added.insert(household_id);
    }
}

/// The change log's source of what field work wrote (`fieldwork::inspections` names a
/// correction "入户核查（村级自查，核查记录 12）", `fieldwork::found::SOURCE` a record added at the
/// door; the import stands beside `fieldwork` and does not use it).
const DOOR_SOURCE: &str = "入户核查";
const FOUND_SOURCE: &str = "入户核查新增";

/// How field work established a toilet field's stored value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AtDoor {
    /// An inspection corrected it (核对、修正), and nothing but field work changed it since.
    Corrected,
    /// The toilet was added at the door (入户核查新增) with this value, never changed since.
    Found,
}

/// The toilet fields whose stored value field work established at the door: a ledger never
/// overwrites them (the door outranks an old ledger; a reviewed record is locked besides). Read
/// with one statement when a row first gives a toilet field another value than the stored one,
/// so a re-import that changes nothing never reads it; kept in step with what the import writes.
#[derive(Default)]
pub(super) struct Door {
    read: bool,
    /// Per toilet that field work touched: each field label of its change log with whether its
    /// last change was made at the door.
    last: FastMap<i64, Vec<(String, bool)>>,
    /// Toilets added at the door.
    found: FastSet<i64>,
    /// The fields of the current row kept as stored: (column, what the ledger wrote, the
    /// stored value as a person reads it, how the door set it).
    pub(super) kept: Vec<(&'static str, String, Option<String>, AtDoor)>,
}

impl Door {
    /// Whether the stored value `stored` of a toilet's field (`label` as the change log names
    /// it) was established at the door, and how.
    pub(super) fn at_door(
        &mut self,
        db: Db<'_>,
        toilet_id: i64,
        label: &str,
        stored: &Value,
    ) -> Result<Option<AtDoor>> {
        if !self.read {
            self.load(db)?;
        }
        let last = self
            .last
            .get(&toilet_id)
            .and_then(|fields| fields.iter().rev().find(|(f, _)| f == label));
        Ok(match last {
            Some((_, true)) => Some(AtDoor::Corrected),
            Some((_, false)) => None,
            None if self.found.contains(&toilet_id) && *stored != Value::Null => {
                Some(AtDoor::Found)
            }
            None => None,
        })
    }

    /// The import wrote a toilet's field: the value is the ledger's now.
    pub(super) fn written(&mut self, toilet_id: i64, label: &str) {
        if self.read {
            self.last
                .entry(toilet_id)
                .or_default()
                .push((label.to_string(), false));
        }
    }

    /// The change log of every toilet field work touched (corrections: source 入户核查（…）;
    /// toilets added at the door: 入户核查新增), oldest first.
    fn load(&mut self, db: Db<'_>) -> Result<()> {
        db.for_each(
            "SELECT c.entity_id, c.field, c.source FROM change_log c
             WHERE c.entity = 'toilet' AND c.entity_id IN
                   (SELECT d.entity_id FROM change_log d
                    WHERE d.entity = 'toilet' AND d.source LIKE '入户核查%')
             ORDER BY c.id",
            [],
            |r| {
                let (id, field, source): (i64, String, Option<String>) =
                    (r.get(0)?, r.get(1)?, r.get(2)?);
                let source = source.unwrap_or_default();
                if source == FOUND_SOURCE {
                    if field == "新增户厕" {
                        self.found.insert(id);
                    }
                } else {
                    let door = source.starts_with(DOOR_SOURCE);
                    self.last.entry(id).or_default().push((field, door));
                }
                Ok(())
            },
        )?;
        self.read = true;
        Ok(())
    }
}
