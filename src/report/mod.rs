//! Reports: JSON, CSV, text.
