//! 待核实: values of imported rows that could not be taken (a wrong ID checksum, a year like
//! 2031, a word outside the vocabulary). The household is imported with the field empty; the
//! value as written waits here, with the reason, on a worklist by village and 社, until a person
//! corrects it (here, or by importing a corrected ledger) or confirms that it stays empty.
//! Every settlement is in the change log (what was written → the value now stored) and the
//! operation log.

mod export;
pub(crate) mod open;
mod settle;
pub(crate) mod worklist;

pub use export::export_xlsx;
pub(crate) use settle::record_unreadable;
pub use settle::{correct, leave_empty, Settler};
pub use worklist::{by_village, list, of_household, GroupPending, PendingCheck, VillagePending};
