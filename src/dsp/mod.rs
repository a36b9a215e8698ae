//! Frame-level signal processing at the analysis rate.
