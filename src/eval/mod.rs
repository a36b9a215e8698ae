//! Evaluations against synthetic signals and the shared corpora.
