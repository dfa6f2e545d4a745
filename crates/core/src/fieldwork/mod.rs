//! Field work: inspections (入户核查), photos, the category rules, the problem ledger's cases
//! (分类整改 → 销号) and the sign-off (签字背书).

pub mod escalation;
pub mod found;
pub mod inspections;
pub mod paper;
pub mod photo_import;
pub mod photos;
pub mod problem_items;
pub mod rectification;
pub mod rules;
pub mod signoff;
pub mod working;
