//! Saved column mappings: a mapping the user corrected is kept for the next file with the same
//! header row (the same village sends the same layout every time).

use super::headers::Field;
use crate::error::Result;
use crate::store::settings;
use crate::store::sql::Db;

fn key(headers: &[String]) -> String {
    let sig: Vec<String> = headers
        .iter()
        .map(|h| super::headers::header_key(h))
        .collect();
    format!("import_mapping:{}", sig.join("|"))
}

/// Remembers the mapping of this header row.
pub fn save<'a>(
    db: impl Into<Db<'a>>,
    headers: &[String],
    columns: &[Option<Field>],
) -> Result<()> {
    let json = serde_json::to_string(columns).expect("fields serialise");
    settings::set(db, &key(headers), &json)
}

/// The saved mapping for this header row, if there is one (and it still parses).
pub fn load<'a>(db: impl Into<Db<'a>>, headers: &[String]) -> Result<Option<Vec<Option<Field>>>> {
    Ok(settings::get(db, &key(headers))?.and_then(|json| serde_json::from_str(&json).ok()))
}
