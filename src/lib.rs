//! tonewatch: a real-time speech-prosody monitor for contact-center calls.
//!
//! The pipeline, one module per stage:
//! `audio` (decode, resample, telephone channel, synthetic voices) →
//! `dsp` (filters, frames, FFT, pitch, level, voice activity, syllable nuclei) →
//! `measures` (speech rate, active speech level, pitch variation over windows) →
//! `analyzer` (the one streaming core every mode feeds) →
//! `offline` (recorded calls: decoder → one analyser per channel) and
//! `live` (capture or replay → queue → analysis thread → outputs) →
//! `report` (JSON, CSV, text, live events) → `panel` (the agent's live web page).
//!
//! The core ([`analyzer::Analyzer`]) does no I/O and is deterministic: the same
//! samples give the same frames, points and alerts whatever the chunk sizes.

pub mod analyzer;
pub mod audio;
pub mod classify;
pub mod cues;
pub mod dsp;
pub mod eval;
pub mod learn;
pub mod live;
pub mod measures;
pub mod offline;
pub mod panel;
pub mod report;
pub mod role;
pub mod usage;

pub use role::Role;

/// The rate every channel is analysed at, whatever the input rate. Everything is
/// measured in the telephone band, so a headset call and a G.711 recording give
/// comparable measures.
pub const ANALYSIS_RATE: u32 = 8000;
/// Samples per hop at [`ANALYSIS_RATE`] (10 ms).
pub const HOP: usize = 80;
/// Seconds per hop.
pub const HOP_S: f64 = HOP as f64 / ANALYSIS_RATE as f64;
