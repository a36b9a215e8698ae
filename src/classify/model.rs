//! Model files (`models/*.json`): what a classifier computes and where it came
//! from. The default anger model is compiled into the binary so tonewatch
//! runs standalone; `tonewatch train anger` rebuilds it from the corpora.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use super::features::{FEATURE_NAMES, N_FEATURES};
use crate::learn::logistic::{Logistic, sigmoid};

/// The data a model was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSet {
    pub corpora: Vec<String>,
    pub speakers: Vec<String>,
    pub utterances: usize,
    /// Utterances of the positive class (anger).
    pub positives: usize,
    /// Audio the features were measured on ("clean" or "telephone").
    pub channel: String,
    /// How each speaker's baseline was formed.
    pub baseline: String,
}

/// A logistic-regression classifier over [`FEATURE_NAMES`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AngerModel {
    pub name: String,
    pub description: String,
    pub features: Vec<String>,
    /// Standardisation: feature `i` enters as `(x_i - mean_i) / scale_i`.
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
    pub weights: Vec<f64>,
    pub bias: f64,
    /// L2 penalty the weights were fitted with.
    pub l2: f64,
    pub trained_on: TrainingSet,
    /// Measured accuracy (speaker-independent), e.g. `loso_uar_emodb`.
    pub accuracy: BTreeMap<String, f64>,
    pub produced_by: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a tonewatch model: {source}", .path.display())]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{}: {problem}", .path.display())]
    Invalid { path: PathBuf, problem: String },
}

const BUILTIN_JSON: &str = include_str!("../../models/anger.json");

impl AngerModel {
    /// The model compiled into the binary.
    pub fn builtin() -> Arc<AngerModel> {
        static MODEL: OnceLock<Arc<AngerModel>> = OnceLock::new();
        MODEL
            .get_or_init(|| {
                // The file is checked by a unit test, so this cannot fail in a
                // released binary.
                Arc::new(
                    Self::parse(BUILTIN_JSON, Path::new("models/anger.json"))
                        .unwrap_or_else(|e| panic!("built-in model: {e}")),
                )
            })
            .clone()
    }

    pub fn load(path: &Path) -> Result<Self, ModelError> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    fn parse(text: &str, path: &Path) -> Result<Self, ModelError> {
        let m: AngerModel = serde_json::from_str(text).map_err(|source| ModelError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        let invalid = |problem: String| ModelError::Invalid {
            path: path.to_path_buf(),
            problem,
        };
        if m.features != FEATURE_NAMES {
            return Err(invalid(format!(
                "its features {:?} are not the ones this tonewatch computes ({:?})",
                m.features, FEATURE_NAMES
            )));
        }
        for (name, v) in [
            ("mean", &m.mean),
            ("scale", &m.scale),
            ("weights", &m.weights),
        ] {
            if v.len() != N_FEATURES {
                return Err(invalid(format!(
                    "{name} has {} values, expected {N_FEATURES}",
                    v.len()
                )));
            }
            if v.iter().any(|x| !x.is_finite()) {
                return Err(invalid(format!(
                    "{name} has a value that is not a finite number"
                )));
            }
        }
        if m.scale.iter().any(|&s| s <= 0.0) || !m.bias.is_finite() {
            return Err(invalid("scale must be positive and bias finite".into()));
        }
        Ok(m)
    }

    pub fn from_logistic(l: &Logistic, l2: f64, trained_on: TrainingSet) -> Self {
        Self {
            name: "anger".into(),
            description: "Anger vs other emotions from prosody and voice quality relative to the speaker's calm baseline; logistic regression.".into(),
            features: FEATURE_NAMES.iter().map(|s| s.to_string()).collect(),
            mean: l.mean.clone(),
            scale: l.scale.clone(),
            weights: l.weights.clone(),
            bias: l.bias,
            l2,
            trained_on,
            accuracy: BTreeMap::new(),
            produced_by: "tonewatch train anger".into(),
        }
    }

    /// Probability-like anger score in [0, 1] for relative features.
    pub fn score(&self, x: &[f64; N_FEATURES]) -> f64 {
        sigmoid(self.logit_parts(x).iter().sum::<f64>() + self.bias)
    }

    /// Each feature's contribution to the logit (for evidence: which cues
    /// pushed the score up).
    pub fn logit_parts(&self, x: &[f64; N_FEATURES]) -> [f64; N_FEATURES] {
        let mut out = [0.0; N_FEATURES];
        for (i, o) in out.iter_mut().enumerate() {
            *o = self.weights[i] * (x[i] - self.mean[i]) / self.scale[i];
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_model_loads_and_scores_in_range() {
        let m = AngerModel::builtin();
        let s = m.score(&[0.0; N_FEATURES]);
        assert!((0.0..=1.0).contains(&s));
    }

    #[test]
    fn a_model_for_other_features_is_refused_with_the_path() {
        let mut v: serde_json::Value = serde_json::from_str(BUILTIN_JSON).unwrap();
        v["features"][0] = "loudness".into();
        let e = AngerModel::parse(&v.to_string(), Path::new("x.json")).unwrap_err();
        assert!(e.to_string().starts_with("x.json: its features"), "{e}");
    }
}
