//! The subcommands, one module each (a few closely related ones share a module), and what
//! they share in `common`.

pub mod audit;
pub mod backup;
pub mod bulletin;
mod common;
pub mod compare;
pub mod export;
pub mod import;
pub mod init;
pub mod ledger;
pub mod pending;
pub mod print;
pub mod sample;
pub mod server;
pub mod stats;
pub mod stress;
pub mod template;
