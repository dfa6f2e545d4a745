//! Who may do what: local accounts and logins, the office's staff list (the people records are
//! signed with), and the role × action permission table.

pub mod accounts;
pub mod permissions;
pub mod staff;
