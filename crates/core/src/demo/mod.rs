//! The synthetic demo town (示例数据): households, staff and field work at every stage.

mod field;
mod names;
mod town;

pub use town::*;
