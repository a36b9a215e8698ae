//! Classify: the anger score, escalation and caller profile, from the core's
//! measures relative to the caller's own baseline.

pub mod features;
pub mod logistic;
pub mod model;
