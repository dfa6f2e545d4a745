//! Core of the rural household toilet survey and rectification workbench (农村户厕问题摸排整改).
//!
//! Everything that is not a screen lives here: the domain model, the SQLite schema and its
//! migrations, the queries behind the household browser, personal-data masking, pinyin search
//! keys and the deterministic demo-town generator. The crate knows nothing about Tauri; the
//! desktop app and the `huce` CLI are thin callers of it.

pub mod accounts;
pub mod anchors;
pub mod audit;
pub mod backup;
pub mod compare;
pub mod db;
pub mod demo;
mod demo_field;
pub mod error;
pub mod export;
pub mod households;
pub mod idcard;
pub mod import;
pub mod inspections;
pub mod model;
pub mod paths;
pub mod permissions;
pub mod photos;
pub mod print;
pub mod progress;
pub mod rectification;
pub mod rng;
pub mod rules;
pub mod sampling;
pub mod search_keys;
pub mod settings;
pub mod signoff;
pub mod staff;

pub use error::{Error, Result};
