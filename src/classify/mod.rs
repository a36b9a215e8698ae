//! Classify: the anger score, escalation and caller profile, from the core's
//! measures relative to the party's own baseline.

pub mod advice;
pub mod baseline;
pub mod escalation;
pub mod features;
pub mod model;
pub mod monitor;
pub mod profile;

pub use escalation::AngerState;
pub use monitor::{Alert, AlertKind, Assessment, MonitorParams, PartyMonitor};
pub use profile::{Profile, ProfileType};

use std::sync::Arc;

use model::AngerModel;
use profile::{LanguageNorms, NormsError, ProfileNorms};

/// What the classifiers run on: the anger model, and the profile norms with
/// the language whose norms apply.
#[derive(Debug, Clone)]
pub struct Models {
    pub anger: Arc<AngerModel>,
    pub profiles: Arc<ProfileNorms>,
    language: String,
}

/// Norms used when no language is given.
pub const DEFAULT_LANGUAGE: &str = "generic";

impl Models {
    /// The models compiled into the binary, generic norms.
    pub fn builtin() -> Self {
        Self {
            anger: AngerModel::builtin(),
            profiles: ProfileNorms::builtin(),
            language: DEFAULT_LANGUAGE.into(),
        }
    }

    pub fn with_anger_model(mut self, anger: Arc<AngerModel>) -> Self {
        self.anger = anger;
        self
    }

    pub fn with_profile_norms(mut self, profiles: Arc<ProfileNorms>) -> Self {
        self.profiles = profiles;
        self
    }

    /// Uses the norms of `language` (an error names the languages known).
    pub fn with_language(mut self, language: &str) -> Result<Self, NormsError> {
        self.profiles.language(language)?;
        self.language = language.to_string();
        Ok(self)
    }

    pub fn language(&self) -> &str {
        &self.language
    }

    pub fn language_norms(&self) -> &LanguageNorms {
        // Checked when the language was set; the generic norms are always there.
        self.profiles
            .language(&self.language)
            .or_else(|_| self.profiles.language(DEFAULT_LANGUAGE))
            .unwrap_or_else(|e| panic!("profile norms without '{DEFAULT_LANGUAGE}': {e}"))
    }
}
