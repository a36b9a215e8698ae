//! Model files (`models/*.json`): what a classifier computes and where it came
//! from. The default anger model is compiled into the binary so tonewatch
//! runs standalone; `tonewatch train anger` rebuilds it from the corpora.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use super::features::{FEATURE_NAMES, N_FEATURES};
use crate::learn::logistic::{GroupedLogistic, Logistic, sigmoid};

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

/// A logistic-regression classifier over [`FEATURE_NAMES`]: weights shared
/// by every language, plus, for the languages it was trained on, each one's
/// own deviation from them (a language it does not know is judged by the
/// shared weights alone).
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
    /// Per language code ("de", "it"): the deviation from the shared weights
    /// and bias.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub languages: BTreeMap<String, LanguageTerms>,
    pub trained_on: TrainingSet,
    /// Measured accuracy (speaker-independent), e.g. `loso_uar_emodb`.
    pub accuracy: BTreeMap<String, f64>,
    pub produced_by: String,
}

/// One language's deviation from the shared weights (on the shared
/// standardisation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LanguageTerms {
    pub weights: Vec<f64>,
    pub bias: f64,
    /// L2 penalty the deviation was fitted with: the stronger, the closer
    /// the language stays to the shared weights.
    pub l2: f64,
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
        let language_weights = m
            .languages
            .iter()
            .map(|(code, t)| (format!("languages.{code}.weights"), &t.weights));
        for (name, v) in [
            ("mean".to_string(), &m.mean),
            ("scale".to_string(), &m.scale),
            ("weights".to_string(), &m.weights),
        ]
        .into_iter()
        .chain(language_weights)
        {
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
        if let Some((code, _)) = m.languages.iter().find(|(_, t)| !t.bias.is_finite()) {
            return Err(invalid(format!("languages.{code}.bias is not finite")));
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
            languages: BTreeMap::new(),
            trained_on,
            accuracy: BTreeMap::new(),
            produced_by: "tonewatch train anger".into(),
        }
    }

    /// A model from a fit whose groups are `languages` (codes, in group
    /// order), each deviation fitted with penalty `language_l2[g]`.
    pub fn from_grouped(
        g: &GroupedLogistic,
        languages: &[&str],
        l2: f64,
        language_l2: &[f64],
        trained_on: TrainingSet,
    ) -> Self {
        let mut m = Self::from_logistic(&g.shared, l2, trained_on);
        m.description = "Anger vs other emotions from prosody and voice quality relative to the speaker's calm baseline; logistic regression with weights shared by all languages plus each training language's own deviation.".into();
        m.languages = languages
            .iter()
            .zip(&g.deviations)
            .zip(language_l2)
            .map(|((code, d), &l2)| {
                let terms = LanguageTerms {
                    weights: d.weights.clone(),
                    bias: d.bias,
                    l2,
                };
                (code.to_string(), terms)
            })
            .collect();
        m
    }

    /// Probability-like anger score in [0, 1] for relative features of
    /// speech in `language`.
    pub fn score(&self, x: &[f64; N_FEATURES], language: &str) -> f64 {
        self.score_with(x, self.languages.get(language))
    }

    /// The score by the weights shared by all languages alone, as a
    /// language without its own terms gets it.
    pub fn shared_score(&self, x: &[f64; N_FEATURES]) -> f64 {
        self.score_with(x, None)
    }

    fn score_with(&self, x: &[f64; N_FEATURES], own: Option<&LanguageTerms>) -> f64 {
        let bias = self.bias + own.map_or(0.0, |t| t.bias);
        sigmoid(self.parts(x, own).iter().sum::<f64>() + bias)
    }

    /// Each feature's contribution to the logit (for evidence: which cues
    /// pushed the score up).
    pub fn logit_parts(&self, x: &[f64; N_FEATURES], language: &str) -> [f64; N_FEATURES] {
        self.parts(x, self.languages.get(language))
    }

    fn parts(&self, x: &[f64; N_FEATURES], own: Option<&LanguageTerms>) -> [f64; N_FEATURES] {
        let mut out = [0.0; N_FEATURES];
        for (i, o) in out.iter_mut().enumerate() {
            let w = self.weights[i] + own.map_or(0.0, |t| t.weights[i]);
            *o = w * (x[i] - self.mean[i]) / self.scale[i];
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
        for language in ["generic", "de", "it"] {
            let s = m.score(&[0.0; N_FEATURES], language);
            assert!((0.0..=1.0).contains(&s));
        }
    }

    #[test]
    fn a_language_the_model_knows_adds_its_own_terms() {
        let mut m = (*AngerModel::builtin()).clone();
        m.languages.clear();
        let x = [1.0; N_FEATURES];
        let shared = m.score(&x, "de");
        m.languages.insert(
            "de".into(),
            LanguageTerms {
                weights: vec![0.0; N_FEATURES],
                bias: 2.0,
                l2: 1.0,
            },
        );
        assert!(m.score(&x, "de") > shared);
        assert_eq!(m.score(&x, "it"), shared);
    }

    #[test]
    fn a_model_file_without_language_terms_loads_and_judges_every_language_alike() {
        let mut v: serde_json::Value = serde_json::from_str(BUILTIN_JSON).unwrap();
        v.as_object_mut().unwrap().remove("languages");
        let m = AngerModel::parse(&v.to_string(), Path::new("old.json")).unwrap();
        assert!(m.languages.is_empty());
        let x = [0.5; N_FEATURES];
        assert_eq!(m.score(&x, "de"), m.score(&x, "generic"));
        // The built-in model does have terms for its training languages.
        let builtin = AngerModel::builtin();
        assert!(builtin.languages.contains_key("de") && builtin.languages.contains_key("it"));
        assert_ne!(builtin.score(&x, "de"), builtin.score(&x, "generic"));
    }

    #[test]
    fn a_language_with_the_wrong_number_of_weights_is_refused() {
        let mut v: serde_json::Value = serde_json::from_str(BUILTIN_JSON).unwrap();
        v["languages"]["xx"] = serde_json::json!({"weights": [1.0], "bias": 0.0, "l2": 1.0});
        let e = AngerModel::parse(&v.to_string(), Path::new("x.json")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("x.json: languages.xx.weights has 1 values"),
            "{e}"
        );
    }

    #[test]
    fn the_model_file_scores_as_the_fitted_model_predicts() {
        // The evaluation and the product both score through `AngerModel`;
        // it must say what the learner fitted.
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        let (mut x, mut y, mut group) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..300 {
            let row: Vec<f64> = (0..N_FEATURES)
                .map(|k| next() * (1 + k % 3) as f64)
                .collect();
            let g = i % 2;
            let z = row[0] - row[1] + if g == 1 { row[2] + 0.3 } else { 0.0 } + 0.5 * next();
            x.push(row);
            y.push(z > 0.0);
            group.push(g);
        }
        let fit = crate::learn::logistic::fit_grouped(&x, &y, &group, 1.0, &[4.0, 0.5]);
        let set = TrainingSet {
            corpora: vec!["synthetic".into()],
            speakers: vec![],
            utterances: x.len(),
            positives: y.iter().filter(|&&v| v).count(),
            channel: "none".into(),
            baseline: "none".into(),
        };
        let m = AngerModel::from_grouped(&fit, &["de", "it"], 1.0, &[4.0, 0.5], set);
        for row in x.iter().take(50) {
            let a: [f64; N_FEATURES] = row.as_slice().try_into().unwrap();
            for (language, g) in [("de", Some(0)), ("it", Some(1)), ("zh", None)] {
                let (ours, fitted) = (m.score(&a, language), fit.predict(row, g));
                assert!(
                    (ours - fitted).abs() < 1e-12,
                    "{language}: {ours} vs {fitted}"
                );
            }
            assert_eq!(m.shared_score(&a), m.score(&a, "zh"));
        }
        // The language terms matter here, or the check would prove little.
        let a: [f64; N_FEATURES] = x[0].as_slice().try_into().unwrap();
        assert!((m.score(&a, "de") - m.score(&a, "it")).abs() > 1e-3);
    }

    #[test]
    fn a_model_for_other_features_is_refused_with_the_path() {
        let mut v: serde_json::Value = serde_json::from_str(BUILTIN_JSON).unwrap();
        v["features"][0] = "loudness".into();
        let e = AngerModel::parse(&v.to_string(), Path::new("x.json")).unwrap_err();
        assert!(e.to_string().starts_with("x.json: its features"), "{e}");
    }
}
