//! Bringing the town's existing ledgers in (导入台账): the two baseline data sets arrive as Excel
//! or CSV files from Chinese offices, with title rows, merged headers, many spellings of the same
//! 社 and IDs damaged by Excel.
//!
//! Built in layers, each tested on its own:
//! - [`normalize`]: one cell's text → a clean value (社 numbers, years, yes/no, amounts, IDs,
//!   vocabularies), with a Chinese message when it cannot be read;
//! - [`headers`]: which row is the header and which column holds which field, by Chinese synonyms.
//!
//! Still to come (see the import issue): reading .xlsx/.xls/.csv files, row validation against
//! the database, the dry-run preview, the all-or-nothing commit with a backup, and export.

pub mod apply;
pub mod headers;
pub mod normalize;
pub mod read;

/// Saved column mappings: a mapping the user corrected is kept for the next file with the same
/// header row (the same village sends the same layout every time).
pub mod mapping {
    use rusqlite::Connection;

    use super::headers::Field;
    use crate::error::Result;
    use crate::store::settings;

    fn key(headers: &[String]) -> String {
        let sig: Vec<String> = headers
            .iter()
            .map(|h| super::headers::header_key(h))
            .collect();
        format!("import_mapping:{}", sig.join("|"))
    }

    pub fn save(conn: &Connection, headers: &[String], columns: &[Option<Field>]) -> Result<()> {
        let json = serde_json::to_string(columns).expect("fields serialise");
        settings::set(conn, &key(headers), &json)
    }

    /// The saved mapping for this header row, if there is one (and it still parses).
    pub fn load(conn: &Connection, headers: &[String]) -> Result<Option<Vec<Option<Field>>>> {
        Ok(settings::get(conn, &key(headers))?.and_then(|json| serde_json::from_str(&json).ok()))
    }
}
