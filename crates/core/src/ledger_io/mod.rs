//! Ledgers in and out as files: importing the town's Excel/CSV ledgers, exporting ledgers and
//! lists as .xlsx.

pub mod export;
pub mod import;
pub mod pending;
pub mod xlsx;
