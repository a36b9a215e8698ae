//! The caller's communication style from long-term speech rate, volume and
//! pitch variation: eagle 老鹰 (fast, loud, flat), peacock 孔雀 (fast, fairly
//! loud, lively), dove 鸽子 (slow, soft, gentle) and owl 猫头鹰 (slow,
//! soft-to-moderate, flat).
//!
//! Two axes, as in the four-quadrant model the trainers use: assertiveness
//! (pace and volume together) and expressiveness (pitch variation). Each
//! measure is put on a scale of "units" against a norm: the language's usual
//! rate and pitch variation, and a stated volume reference. A style is named
//! only when both axes are clearly away from the middle; ordinary speech stays
//! `undetermined` rather than being forced into an extreme. A style is a
//! stable trait, so it is judged on everything the party has said so far and
//! settles only after it has held for a while.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use crate::measures::Measures;

/// A communication style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProfileType {
    Eagle,
    Peacock,
    Dove,
    Owl,
    Undetermined,
}

impl ProfileType {
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileType::Eagle => "eagle",
            ProfileType::Peacock => "peacock",
            ProfileType::Dove => "dove",
            ProfileType::Owl => "owl",
            ProfileType::Undetermined => "undetermined",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ProfileType::Eagle => "老鹰型",
            ProfileType::Peacock => "孔雀型",
            ProfileType::Dove => "鸽子型",
            ProfileType::Owl => "猫头鹰型",
            ProfileType::Undetermined => "未确定",
        }
    }

    /// What the agent should do with this caller (English, Chinese).
    pub fn advice(self) -> (&'static str, &'static str) {
        match self {
            ProfileType::Eagle => (
                "A decisive caller who wants control and a deadline: be brief and exact, say the next step and when it happens, \
                 let them talk, agree with what is right and correct what is wrong calmly.",
                "果断、重结果、希望掌控局面：说话简洁准确，讲清下一步和完成时间；让对方说，对的地方认同，不对的地方平静地纠正。",
            ),
            ProfileType::Peacock => (
                "A sociable caller who wants recognition: use a warm tone, allow a little small talk, \
                 show you value them and the relationship; expect interruptions and don't take them personally.",
                "外向、重关系、希望被认可：语气热情，可以适当寒暄，表达对客户和这段关系的重视；对方可能插话，不必介意。",
            ),
            ProfileType::Dove => (
                "A patient, conflict-shy caller: be reassuring and unhurried, check they are comfortable with each step, don't rush them.",
                "耐心、回避冲突：语气安抚、节奏放慢，每一步确认对方是否认可，不要催促。",
            ),
            ProfileType::Owl => (
                "A fact-focused caller: give precise facts, figures and the reasoning behind them, in order; avoid hype and vague promises.",
                "重事实和细节：按顺序给出准确的事实、数据和理由，避免夸大和含糊的承诺。",
            ),
            ProfileType::Undetermined => (
                "Not enough evidence yet for a style; listen and mirror the caller's pace.",
                "目前还无法判断类型；先倾听，并跟随客户的节奏。",
            ),
        }
    }
}

/// Norms of one language, in tonewatch's own measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LanguageNorms {
    /// Usual speech rate, syllable nuclei per second of speech.
    pub speech_rate_syl_s: f64,
    /// Usual pitch variation (F0 SD), semitones.
    pub pitch_sd_st: f64,
    /// Where the numbers come from.
    pub source: String,
}

/// Reference the volume is judged against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumeReference {
    /// Nominal active speech level, dBFS (full-scale sine = 0 dBFS).
    pub level_dbfs: f64,
    pub source: String,
}

/// How far a measure has to move for one unit on an axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scales {
    /// Relative change of speech rate per unit (0.1 = 10 %).
    pub rate_relative_per_unit: f64,
    /// dB of volume per unit.
    pub volume_db_per_unit: f64,
    /// Ratio of pitch SD per unit (1.25 = 25 % more variation).
    pub pitch_sd_ratio_per_unit: f64,
    /// Units both axes need before a style is named.
    pub min_margin: f64,
}

/// `models/profiles.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileNorms {
    pub description: String,
    /// Seconds of the party's speech before any style is named.
    pub min_speech_s: f64,
    pub volume_reference: VolumeReference,
    pub scales: Scales,
    /// Norms per language code ("de", "it", "zh", "en", "generic").
    pub languages: BTreeMap<String, LanguageNorms>,
    pub produced_by: String,
}

#[derive(Debug, thiserror::Error)]
pub enum NormsError {
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a tonewatch profile norms file: {source}", .path.display())]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("unknown language '{language}' (the norms know: {known})")]
    UnknownLanguage { language: String, known: String },
}

const BUILTIN_JSON: &str = include_str!("../../models/profiles.json");

impl ProfileNorms {
    pub fn builtin() -> Arc<ProfileNorms> {
        static NORMS: OnceLock<Arc<ProfileNorms>> = OnceLock::new();
        NORMS
            .get_or_init(|| {
                // Checked by a unit test, so this cannot fail in a released binary.
                Arc::new(
                    serde_json::from_str(BUILTIN_JSON)
                        .unwrap_or_else(|e| panic!("built-in models/profiles.json: {e}")),
                )
            })
            .clone()
    }

    pub fn load(path: &Path) -> Result<Self, NormsError> {
        let text = std::fs::read_to_string(path).map_err(|source| NormsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| NormsError::Parse {
            path: path.to_path_buf(),
            source,
        })
    }

    pub fn language(&self, code: &str) -> Result<&LanguageNorms, NormsError> {
        self.languages
            .get(code)
            .ok_or_else(|| NormsError::UnknownLanguage {
                language: code.to_string(),
                known: self
                    .languages
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

/// A judgement of a party's style, with the measures behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    #[serde(rename = "type")]
    pub kind: ProfileType,
    pub label_zh: &'static str,
    /// 0.5 at the decision margin, towards 1 as both axes move away from it;
    /// 0 when undetermined.
    pub confidence: f64,
    pub speech_rate_syl_s: Option<f64>,
    pub active_level_dbfs: Option<f64>,
    pub pitch_sd_st: Option<f64>,
    /// Position on the two axes, in units.
    pub assertiveness: f64,
    pub expressiveness: f64,
    pub reasons_en: String,
    pub reasons_zh: String,
    pub advice_en: &'static str,
    pub advice_zh: &'static str,
}

fn describe(units: f64, words: [&'static str; 3]) -> &'static str {
    if units >= 1.0 {
        words[0]
    } else if units <= -1.0 {
        words[2]
    } else {
        words[1]
    }
}

/// Judges the style from long-term measures (`None` fields count as the norm).
pub fn classify(m: &Measures, language: &LanguageNorms, norms: &ProfileNorms) -> Profile {
    let s = &norms.scales;
    let rate_u = m.speech_rate_syl_s.map_or(0.0, |r| {
        (r / language.speech_rate_syl_s - 1.0) / s.rate_relative_per_unit
    });
    let volume_u = m.active_level_dbfs.map_or(0.0, |l| {
        (l - norms.volume_reference.level_dbfs) / s.volume_db_per_unit
    });
    let pitch_u = m.pitch_sd_st.map_or(0.0, |v| {
        (v.max(0.05) / language.pitch_sd_st).ln() / s.pitch_sd_ratio_per_unit.ln()
    });
    let assertiveness = 0.5 * (rate_u + volume_u);
    let expressiveness = pitch_u;
    let enough = m.speech_s >= norms.min_speech_s;
    let margin = assertiveness.abs().min(expressiveness.abs());
    let kind = if !enough || margin < s.min_margin {
        ProfileType::Undetermined
    } else {
        match (assertiveness > 0.0, expressiveness > 0.0) {
            (true, false) => ProfileType::Eagle,
            (true, true) => ProfileType::Peacock,
            (false, true) => ProfileType::Dove,
            (false, false) => ProfileType::Owl,
        }
    };
    let confidence = if kind == ProfileType::Undetermined {
        0.0
    } else {
        margin / (margin + s.min_margin)
    };
    let fmt = |v: Option<f64>, d: usize| v.map_or("–".to_string(), |v| format!("{v:.d$}"));
    let rate = fmt(m.speech_rate_syl_s, 1);
    let level = fmt(m.active_level_dbfs, 0);
    let sd = fmt(m.pitch_sd_st, 1);
    let reasons_en = format!(
        "rate {rate} syl/s {}, volume {level} dBFS {}, intonation {sd} st {}",
        describe(rate_u, ["fast", "average", "slow"]),
        describe(volume_u, ["loud", "moderate", "soft"]),
        describe(pitch_u, ["lively", "moderate", "flat"]),
    );
    let reasons_zh = format!(
        "语速 {rate} 音节/秒 {}，音量 {level} dBFS {}，语调 {sd} 半音 {}",
        describe(rate_u, ["快", "中", "慢"]),
        describe(volume_u, ["大", "中", "小"]),
        describe(pitch_u, ["起伏大", "中", "平"]),
    );
    let (advice_en, advice_zh) = kind.advice();
    Profile {
        kind,
        label_zh: kind.label_zh(),
        confidence,
        speech_rate_syl_s: m.speech_rate_syl_s,
        active_level_dbfs: m.active_level_dbfs,
        pitch_sd_st: m.pitch_sd_st,
        assertiveness,
        expressiveness,
        reasons_en,
        reasons_zh,
        advice_en,
        advice_zh,
    }
}

/// Settles a style over time: a style is announced when it has been judged
/// the same for `settle_s` seconds, and replaced only when another one has
/// held for `change_s` seconds, so the profile does not flip during a call.
#[derive(Debug, Clone)]
pub struct ProfileTracker {
    settled: Option<Profile>,
    candidate: Option<(ProfileType, f64)>,
    settle_s: f64,
    change_s: f64,
}

impl ProfileTracker {
    pub fn new(settle_s: f64, change_s: f64) -> Self {
        Self {
            settled: None,
            candidate: None,
            settle_s,
            change_s,
        }
    }

    pub fn settled(&self) -> Option<&Profile> {
        self.settled.as_ref()
    }

    /// Takes the latest judgement `dt` seconds after the previous one;
    /// returns the profile when it settles or changes now.
    pub fn update(&mut self, judged: Profile, dt: f64) -> Option<&Profile> {
        if judged.kind == ProfileType::Undetermined {
            self.candidate = None;
            return None;
        }
        let current = self.settled.as_ref().map(|p| p.kind);
        if current == Some(judged.kind) {
            // Same style: keep the latest numbers.
            self.candidate = None;
            self.settled = Some(judged);
            return None;
        }
        let held = match self.candidate {
            Some((k, t)) if k == judged.kind => t + dt,
            _ => 0.0,
        };
        self.candidate = Some((judged.kind, held));
        let needed = if current.is_some() {
            self.change_s
        } else {
            self.settle_s
        };
        if held >= needed {
            self.candidate = None;
            self.settled = Some(judged);
            return self.settled.as_ref();
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measures(rate: f64, level: f64, sd: f64) -> Measures {
        Measures {
            speech_s: 20.0,
            speech_rate_syl_s: Some(rate),
            active_level_dbfs: Some(level),
            pitch_sd_st: Some(sd),
            ..Default::default()
        }
    }

    #[test]
    fn builtin_norms_load_and_have_the_languages() {
        let n = ProfileNorms::builtin();
        for code in ["de", "it", "zh", "en", "generic"] {
            assert!(n.language(code).is_ok(), "{code}");
        }
        assert!(
            n.language("xx")
                .unwrap_err()
                .to_string()
                .contains("generic")
        );
    }

    #[test]
    fn quadrants_and_the_middle() {
        let n = ProfileNorms::builtin();
        let l = n.language("generic").unwrap().clone();
        let (r, v, p) = (
            l.speech_rate_syl_s,
            n.volume_reference.level_dbfs,
            l.pitch_sd_st,
        );
        assert_eq!(
            classify(&measures(r * 1.3, v + 8.0, p * 0.5), &l, &n).kind,
            ProfileType::Eagle
        );
        assert_eq!(
            classify(&measures(r * 1.3, v + 8.0, p * 1.8), &l, &n).kind,
            ProfileType::Peacock
        );
        assert_eq!(
            classify(&measures(r * 0.8, v - 8.0, p * 1.8), &l, &n).kind,
            ProfileType::Dove
        );
        assert_eq!(
            classify(&measures(r * 0.8, v - 8.0, p * 0.5), &l, &n).kind,
            ProfileType::Owl
        );
        let mid = classify(&measures(r, v, p), &l, &n);
        assert_eq!(mid.kind, ProfileType::Undetermined);
        assert_eq!(mid.confidence, 0.0);
        // Too little speech: never a style.
        let short = Measures {
            speech_s: 5.0,
            ..measures(r * 1.3, v + 8.0, p * 0.5)
        };
        assert_eq!(classify(&short, &l, &n).kind, ProfileType::Undetermined);
    }

    #[test]
    fn reasons_name_the_measures() {
        let n = ProfileNorms::builtin();
        let l = n.language("de").unwrap().clone();
        let p = classify(&measures(7.0, -15.0, 1.0), &l, &n);
        assert_eq!(p.kind, ProfileType::Eagle);
        assert!(
            p.reasons_zh.contains("语速 7.0 音节/秒 快"),
            "{}",
            p.reasons_zh
        );
        assert!(
            p.reasons_en.contains("intonation 1.0 st flat"),
            "{}",
            p.reasons_en
        );
        assert!(p.confidence > 0.5);
    }

    #[test]
    fn tracker_settles_once_and_does_not_flip() {
        let n = ProfileNorms::builtin();
        let l = n.language("generic").unwrap().clone();
        let (r, v, p) = (
            l.speech_rate_syl_s,
            n.volume_reference.level_dbfs,
            l.pitch_sd_st,
        );
        let eagle = classify(&measures(r * 1.3, v + 8.0, p * 0.5), &l, &n);
        let peacock = classify(&measures(r * 1.3, v + 8.0, p * 1.8), &l, &n);
        let mut t = ProfileTracker::new(5.0, 30.0);
        let mut announced = 0;
        for _ in 0..10 {
            announced += t.update(eagle.clone(), 1.0).is_some() as usize;
        }
        assert_eq!(announced, 1);
        // A few seconds of another style change nothing.
        for _ in 0..10 {
            assert!(t.update(peacock.clone(), 1.0).is_none());
            assert!(t.update(eagle.clone(), 1.0).is_none());
        }
        assert_eq!(t.settled().unwrap().kind, ProfileType::Eagle);
    }
}
