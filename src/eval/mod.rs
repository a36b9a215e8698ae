//! Evaluations against synthetic signals and the shared corpora. Each prints
//! its figures and returns them so CI can hold them to a threshold.

pub mod anger;
pub mod calls;
pub mod corpus;
pub mod cues;
pub mod gates;
pub mod live_match;
pub mod modify;
pub mod nuclei;
pub mod pitch_real;
pub mod pitch_synth;
pub mod profiles;
pub mod rate;
pub mod stats;
pub mod volume;
