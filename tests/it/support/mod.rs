//! Helpers shared by several test modules.

pub mod backchannel;
pub mod ended;
