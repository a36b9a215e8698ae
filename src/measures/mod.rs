//! Measures over windows and whole channels.
