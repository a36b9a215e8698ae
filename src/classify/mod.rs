//! Classify: the anger score, escalation and caller profile, from the core's
//! measures relative to the party's own baseline.

pub mod advice;
pub mod baseline;
pub mod escalation;
pub mod features;
pub mod logistic;
pub mod model;
pub mod monitor;

pub use escalation::AngerState;
pub use monitor::{Alert, AlertKind, Assessment, MonitorParams, PartyMonitor};
