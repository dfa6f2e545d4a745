//! Core of the rural household toilet survey and rectification workbench (农村户厕问题摸排整改).
//!
//! Everything that is not a screen lives here: the domain model, the SQLite schema and its
//! migrations, the queries behind the household browser, personal-data masking, pinyin search
//! keys and the deterministic demo-town generator. The crate knows nothing about Tauri; the
//! desktop app and the `huce` CLI are thin callers of it.

pub mod access;
pub mod demo;
pub mod error;
mod fast_map;
pub mod fieldwork;
pub mod ledger_io;
pub mod model;
pub mod places;
pub mod print;
pub mod reports;
pub mod rng;
pub mod search_keys;
pub mod store;
pub mod text;

// Short paths for the app and the command line (`huce_core::audit`, …). Inside the core, modules
// are named by their folder (`crate::store::audit`); the layer test holds that.
pub use access::{accounts, permissions, staff};
pub use fieldwork::{
    escalation, found, inspections, paper, photos, problem_items, rectification, rules, signoff,
    working,
};
pub use ledger_io::{export, import, pending};
pub use places::{bulk, households, idcard, town};
pub use reports::{compare, progress, sampling};
pub use store::{anchors, audit, backup, db, paths, server, settings, sql, versions};

pub use error::{Error, Result};
