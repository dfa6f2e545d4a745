//! Bringing the town's existing ledgers in (导入台账): the two baseline data sets arrive as Excel
//! or CSV files from Chinese offices, with title rows, merged headers, many spellings of the same
//! 社 and IDs damaged by Excel.
//!
//! Built in layers, each tested on its own:
//! - [`read`]: .xlsx/.xls/.csv files into rows of cells, hostile files refused before parsing;
//! - [`normalize`]: one cell's text → a clean value (社 numbers, years, yes/no, amounts, IDs,
//!   vocabularies), with a Chinese message when it cannot be read;
//! - [`headers`]: which row is the header and which column holds which field, by Chinese synonyms;
//! - [`mapping`]: column mappings the user corrected, remembered per header layout;
//! - [`apply`]: rows validated and matched against the database, the dry-run preview, and the
//!   all-or-nothing commit with a backup.

pub mod apply;
pub mod headers;
pub mod mapping;
pub mod normalize;
pub mod read;
