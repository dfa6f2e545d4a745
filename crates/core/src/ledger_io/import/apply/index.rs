//! The file's places and households: 行政村 and 社 by name and number, and the households the file has
//! touched so far.

use super::types::{FastMap, FastSet};
use crate::error::Result;
use crate::store::sql::Db;

/// The household a row belongs to, as far as this file is concerned.
pub(super) struct FileHousehold {
    /// The first row of the file that names the household.
    pub(super) first_row: usize,
    pub(super) toilet_rows: i64,
    pub(super) new: bool,
    pub(super) changed: bool,
    /// The household fields a row of this file gave a value (bits of [`Field::bit`]).
    pub(super) given: u32,
    /// The last row of this file that said the household has no toilet (技术模式 无厕所).
    pub(super) no_toilet_row: Option<usize>,
    /// The phone and address this file first gave the household: a later row of the same name
    /// that gives others is a namesake, not this household again.
    pub(super) phone: Option<Box<str>>,
    pub(super) address: Option<Box<str>>,
}

impl FileHousehold {
    /// The household as the file's row `row` first names it; `new` when the import creates it.
    pub(super) fn new(new: bool, row: usize) -> FileHousehold {
        FileHousehold {
            first_row: row,
            toilet_rows: 0,
            new,
            changed: false,
            given: 0,
            no_toilet_row: None,
            phone: None,
            address: None,
        }
    }

    /// Keeps the phone and address a row gives, where this file gave none before.
    pub(super) fn note_given(&mut self, phone: Option<&str>, address: Option<&str>) {
        if self.phone.is_none() {
            self.phone = phone.map(Box::from);
        }
        if self.address.is_none() {
            self.address = address.map(Box::from);
        }
    }

    /// What makes a row giving this phone and address another household than this one: the
    /// file already gave it another address or another phone (the column's name), else None.
    pub(super) fn contradicted_by(
        &self,
        phone: Option<&str>,
        address: Option<&str>,
    ) -> Option<&'static str> {
        let differs = |mine: &Option<Box<str>>, theirs: Option<&str>| matches!((mine.as_deref(), theirs), (Some(a), Some(b)) if a != b);
        if differs(&self.address, address) {
            Some("住址")
        } else if differs(&self.phone, phone) {
            Some("联系电话")
        } else {
            None
        }
    }
}

pub(super) struct Places {
    pub(super) villages: FastMap<String, i64>,
    /// (village_id, number) → group id, and (village_id, name) → group id.
    pub(super) by_number: FastMap<(i64, i64), i64>,
    pub(super) by_name: FastMap<(i64, String), i64>,
    pub(super) names: FastMap<i64, String>,
}

impl Places {
    pub(super) fn load(db: Db<'_>) -> Result<Places> {
        let mut p = Places {
            villages: FastMap::default(),
            by_number: FastMap::default(),
            by_name: FastMap::default(),
            names: FastMap::default(),
        };
        let mut stmt = db.prepare("SELECT id, name FROM villages")?;
        for r in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
            let (id, name) = r?;
            p.villages.insert(name, id);
        }
        let mut stmt = db.prepare("SELECT g.id, g.village_id, g.name, g.number, v.name FROM village_groups g JOIN villages v ON v.id = g.village_id")?;
        for r in stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<i64>>(3)?,
                r.get::<_, String>(4)?,
            ))
        })? {
            let (id, village, name, number, vname) = r?;
            if let Some(n) = number {
                p.by_number.insert((village, n), id);
            }
            p.names.insert(id, format!("{vname}{name}"));
            p.by_name.insert((village, name), id);
        }
        Ok(p)
    }
}

pub(super) struct Households {
    pub(super) count: usize,
    pub(super) by_id_number: FastMap<String, i64>,
    pub(super) by_name: FastMap<(i64, String), Vec<i64>>,
    /// Households that have an ID number on record.
    pub(super) with_id: FastSet<i64>,
}

impl Households {
    pub(super) fn new() -> Households {
        Households {
            count: 0,
            by_id_number: FastMap::default(),
            by_name: FastMap::default(),
            with_id: FastSet::default(),
        }
    }

    pub(super) fn load(db: Db<'_>) -> Result<Households> {
        let mut h = Households::new();
        db.for_each(
            "SELECT id, group_id, head_name, id_number FROM households",
            [],
            |r| {
                h.add(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
                Ok(())
            },
        )?;
        Ok(h)
    }

    /// One household: stored, as [`Households::load`] reads it, or written by this import.
    pub(super) fn add(&mut self, id: i64, group: i64, name: String, id_number: Option<String>) {
        self.count += 1;
        if let Some(idn) = id_number {
            self.note_id(id, idn);
        }
        self.by_name.entry((group, name)).or_default().push(id);
    }

    /// The household has (now) this ID number.
    pub(super) fn note_id(&mut self, id: i64, id_number: String) {
        self.by_id_number.insert(id_number, id);
        self.with_id.insert(id);
    }

    /// The household moved from one 社 and head's name to another (a move, 户主变更): later
    /// rows find it under what it is now.
    pub(super) fn refile(&mut self, id: i64, from: (i64, &str), to: (i64, &str)) {
        if from == to {
            return;
        }
        if let Some(ids) = self.by_name.get_mut(&(from.0, from.1.to_string())) {
            ids.retain(|h| *h != id);
        }
        self.by_name
            .entry((to.0, to.1.to_string()))
            .or_default()
            .push(id);
    }
}
