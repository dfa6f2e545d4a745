//! Integration tests of the core on real SQLite files and in-memory databases with the real
//! migrations. One binary, one module per area.

mod accounts;
mod audit_log;
mod backups;
mod demo_town;
mod field_work;
mod household_queries;
mod import_apply;
mod import_files;
mod migrations;
mod printing;
mod progress;
mod reports;
mod signoffs;
mod spot_samples;

pub const NOW: &str = "2026-11-29T10:00:00+08:00";
