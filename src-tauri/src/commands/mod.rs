//! Tauri commands, one module per area. Each is a few lines: take the state, call the core,
//! map the error. Every command must also be listed in build.rs and capabilities/main.json.

pub mod app;
pub mod auth;
pub mod backups;
pub mod documents;
pub mod field_work;
pub mod households;
pub mod ledger_files;
pub mod reports;
pub mod signoffs;
