//! What the office reports: 月调度 progress, 多方比对 comparison, 区级抽查 samples.

pub mod bulletin;
pub mod compare;
pub mod district_list;
pub mod problem_ledger;
pub mod progress;
pub mod sampling;
