//! What the database holds for the rows an import compares with, packed to keep memory small.

use rusqlite::params;
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::ToSql;

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
    pub(super) fn load(db: Db<'_>, all: bool) -> Result<Stored> {
        let mut s = Stored {
            households: FastMap::default(),
            toilets: FastMap::default(),
            all_toilets: all,
            toilets_added: FastSet::default(),
        };
        if all {
            db.for_each(
                &format!(
                    "SELECT id, {} FROM households",
                    HOUSEHOLD_COLUMNS.join(", ")
                ),
                [],
                |r| {
                    s.households
                        .insert(r.get(0)?, packed_row(r, 1, HOUSEHOLD_COLUMNS.len())?);
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
                    s.toilets.insert(
                        (r.get(0)?, r.get(1)?),
                        (r.get(2)?, packed_row(r, 3, TOILET_COLUMNS.len())?),
                    );
                    Ok(())
                },
            )?;
        }
        Ok(s)
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
