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
