//! The town's places and households: villages, 社, households and toilets, their search keys and
//! ID numbers.

pub mod bulk;
pub mod households;
pub mod idcard;
pub mod town;
