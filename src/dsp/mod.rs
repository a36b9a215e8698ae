//! Frame-level signal processing at the analysis rate.

pub mod filter;
pub mod level;
pub mod nuclei;
pub mod pitch;
pub mod sliding;
pub mod spectrum;
pub mod vad;
