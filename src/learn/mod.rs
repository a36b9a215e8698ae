//! Learners shared by the pipeline's models: logistic regression (the anger
//! model) and a small neural network (the syllable-nucleus model). Fitting
//! is deterministic; evaluation is cheap enough for every hop.

pub mod logistic;
pub mod mlp;
