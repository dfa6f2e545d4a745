//! Storage: the database file (opening, the schema and its migrations, connection helpers), the
//! key–value settings, the hash-chained audit log and its anchors outside the file, backups and
//! restores, the folders beside a database, and the server database (copying a town to and
//! from it). Knows nothing of households or field work.

pub mod anchors;
pub mod audit;
pub mod backup;
pub mod conn;
pub mod db;
pub mod identity;
pub mod paths;
pub mod schema;
pub mod server;
pub mod settings;
pub mod sql;
pub mod versions;
