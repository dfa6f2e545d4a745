//! Turning the rows of an import file into households and toilets: parse and validate every row,
//! match it to the database (by ID number, else by 户主 + 行政村 + 社), and insert or update,
//! recording every changed field as old → new in `change_log`.
//!
//! A dry run and a commit run the same code inside one transaction; the dry run rolls it back,
//! so the preview is exactly what the commit will do. A commit that changes anything takes a
//! verified backup of the file as it was before (see `pre_backup`).

mod index;
mod merge;
mod pre_backup;
mod problem_rows;
mod reader;
mod run;
mod stored;
mod types;
mod values;
mod write;

pub use problem_rows::write_problem_rows;
pub use run::{import_file, import_into};
pub use types::{
    BaselineList, ColumnInfo, ImportOptions, ImportReport, MergeLine, MergeReport, Mode, RowFlag,
    RowProblem,
};
pub(crate) use values::{display_stored, field_value};
pub(crate) use write::pending_old;
