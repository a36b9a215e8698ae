//! Evaluations against synthetic signals and the shared corpora. Each prints
//! its figures and returns them so CI can hold them to a threshold.

pub mod anger;
pub mod corpus;
pub mod rate;
pub mod stats;
pub mod volume;
