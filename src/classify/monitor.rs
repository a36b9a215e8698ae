//! One party's classifier state: baseline, anger score, escalation, alerts.
//! The streaming core runs one per channel and asks it for an assessment at
//! every timeline point.

use serde::Serialize;

use super::Models;
use super::advice::{Evidence, anger_advice};
use super::baseline::{Baseline, BaselineParams, Reference};
use super::escalation::{AngerState, Escalation, EscalationParams};
use super::features::{BALANCE, PITCH, RawFeatures};
use super::profile::{self, Profile, ProfileTracker, ProfileType};
use crate::Role;
use crate::measures::{HopRecord, Measures};

/// What kind of moment an alert marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// The party crossed into anger (relative to their own baseline).
    AngerRising,
    /// The party's communication style settled (or, rarely, changed).
    Profile,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::AngerRising => "anger_rising",
            AlertKind::Profile => "profile",
        }
    }
}

/// A moment worth the agent's attention. `time_s` is when a live monitor
/// raises it: nothing after that moment was used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub time_s: f64,
    pub kind: AlertKind,
    pub role: Role,
    /// Anger score at the moment of the alert.
    pub score: f64,
    pub evidence: Evidence,
    /// The evidence in a sentence (English), e.g. "pitch +4.1 st over baseline, level +7 dB".
    pub message: String,
    pub message_zh: String,
    pub advice_en: String,
    pub advice_zh: String,
    /// The style, for `profile` alerts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
}

/// The assessment at one timeline point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assessment {
    /// Anger score in [0, 1]; `None` while learning the baseline or when the
    /// window has too little speech.
    pub anger_score: Option<f64>,
    pub state: AngerState,
}

/// Settings of the classifier stage.
#[derive(Debug, Clone, Copy, Default)]
pub struct MonitorParams {
    pub baseline: BaselineParams,
    pub escalation: EscalationParams,
}

/// Least speech in a window to score it, s.
const MIN_SPEECH_S: f64 = 1.0;
/// Least voiced speech in a window to score it, s.
const MIN_VOICED_S: f64 = 0.3;

/// Seconds a style must hold before it is announced, and before a settled
/// style is replaced by another.
const PROFILE_SETTLE_S: f64 = 5.0;
const PROFILE_CHANGE_S: f64 = 60.0;

pub struct PartyMonitor {
    role: Role,
    models: Models,
    params: MonitorParams,
    baseline: Baseline,
    escalation: Escalation,
    last_time_s: Option<f64>,
    profile: ProfileTracker,
    last_profile_s: Option<f64>,
}

impl PartyMonitor {
    pub fn new(role: Role, models: Models, params: MonitorParams) -> Self {
        Self {
            role,
            models,
            params,
            baseline: Baseline::new(params.baseline),
            escalation: Escalation::new(params.escalation),
            last_time_s: None,
            profile: ProfileTracker::new(PROFILE_SETTLE_S, PROFILE_CHANGE_S),
            last_profile_s: None,
        }
    }

    /// Judges the style on the party's speech so far (`channel`: whole-channel
    /// measures up to `time_s`); returns an alert when it settles or changes.
    pub fn update_profile(&mut self, time_s: f64, channel: &Measures) -> Option<Alert> {
        let dt = self.last_profile_s.map_or(0.0, |t| (time_s - t).max(0.0));
        self.last_profile_s = Some(time_s);
        let judged =
            profile::classify(channel, self.models.language_norms(), &self.models.profiles);
        let p = self.profile.update(judged, dt)?.clone();
        Some(Alert {
            time_s: (time_s * 1000.0).round() / 1000.0,
            kind: AlertKind::Profile,
            role: self.role,
            score: (p.confidence * 1000.0).round() / 1000.0,
            evidence: Evidence::default(),
            message: format!("{} ({}): {}", p.kind.as_str(), p.label_zh, p.reasons_en),
            message_zh: format!("{}：{}", p.label_zh, p.reasons_zh),
            advice_en: p.advice_en.into(),
            advice_zh: p.advice_zh.into(),
            profile: Some(p),
        })
    }

    /// The settled style, or `undetermined` with the latest measures.
    pub fn profile(&self, channel: &Measures) -> Profile {
        match self.profile.settled() {
            Some(p) => p.clone(),
            None => {
                let mut p =
                    profile::classify(channel, self.models.language_norms(), &self.models.profiles);
                if p.kind != ProfileType::Undetermined {
                    // Judged, but not held long enough to be named.
                    let (en, zh) = ProfileType::Undetermined.advice();
                    p.kind = ProfileType::Undetermined;
                    p.label_zh = ProfileType::Undetermined.label_zh();
                    p.confidence = 0.0;
                    p.advice_en = en;
                    p.advice_zh = zh;
                }
                p
            }
        }
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn push_hop(&mut self, r: &HopRecord) {
        self.baseline.push_hop(r);
    }

    pub fn baseline(&self) -> Option<&Reference> {
        self.baseline.reference()
    }

    /// Scores the window ending at `time_s`; returns the assessment and an
    /// alert when one fires now.
    pub fn assess(&mut self, time_s: f64, window: &Measures) -> (Assessment, Option<Alert>) {
        let dt = self.last_time_s.map_or(0.0, |t| (time_s - t).max(0.0));
        self.last_time_s = Some(time_s);
        let enough = window.speech_s >= MIN_SPEECH_S && window.voiced_s >= MIN_VOICED_S;
        if enough {
            self.baseline.observe_window(window);
        }
        let Some(reference) = self.baseline.reference() else {
            return (
                Assessment {
                    anger_score: None,
                    state: AngerState::Learning,
                },
                None,
            );
        };
        let relative = RawFeatures::from_measures(window).relative_to(&reference.features);
        let score = enough.then(|| self.models.anger.score(&relative, self.models.language()));
        let pitch_rise = enough
            .then_some(relative[PITCH])
            .filter(|_| window.pitch_median_hz.is_some());
        let evidence = Evidence::new(
            pitch_rise,
            window
                .active_level_dbfs
                .zip(reference.level_dbfs)
                .map(|(w, b)| w - b),
            window.spectral_balance_db.and(Some(relative[BALANCE])),
            window
                .speech_rate_syl_s
                .zip(reference.speech_rate_syl_s)
                .map(|(w, b)| 100.0 * (w / b - 1.0)),
        );
        let fire = self.escalation.update_with_pitch(score, pitch_rise, dt);
        let state = self.escalation.state();
        if state == AngerState::Calm && score.is_some_and(|s| s < self.params.escalation.calm_score)
        {
            self.baseline.adapt(window, dt);
        }
        let alert = fire.then(|| {
            let (advice_en, advice_zh) = anger_advice(self.role);
            Alert {
                time_s: (time_s * 1000.0).round() / 1000.0,
                kind: AlertKind::AngerRising,
                role: self.role,
                score: (score.unwrap_or(1.0) * 1000.0).round() / 1000.0,
                evidence,
                message: evidence.text_en(),
                message_zh: evidence.text_zh(),
                advice_en: advice_en.into(),
                advice_zh: advice_zh.into(),
                profile: None,
            }
        });
        (
            Assessment {
                anger_score: score,
                state,
            },
            alert,
        )
    }
}
