//! The caller's own calm voice: learnt from the first stretch of their speech,
//! then adapted slowly, and only while they sound calm.

use super::features::RawFeatures;
use crate::measures::{ChannelAccumulator, HopRecord, Measures};

#[derive(Debug, Clone, Copy)]
pub struct BaselineParams {
    /// Seconds of speech the first baseline is learnt from.
    pub learn_speech_s: f64,
    /// Time constant of the adaptation while calm, seconds of timeline.
    pub adapt_s: f64,
}

impl Default for BaselineParams {
    fn default() -> Self {
        Self {
            learn_speech_s: 10.0,
            adapt_s: 120.0,
        }
    }
}

/// What the baseline holds once learnt.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    pub features: RawFeatures,
    /// Active speech level, dBFS (for evidence; not a model feature).
    pub level_dbfs: Option<f64>,
    pub speech_rate_syl_s: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Baseline {
    params: BaselineParams,
    learning: Option<ChannelAccumulator>,
    reference: Option<Reference>,
}

impl Baseline {
    pub fn new(params: BaselineParams) -> Self {
        Self {
            params,
            learning: Some(ChannelAccumulator::new()),
            reference: None,
        }
    }

    /// Feeds one hop while learning.
    pub fn push_hop(&mut self, r: &HopRecord) {
        let Some(acc) = self.learning.as_mut() else {
            return;
        };
        acc.push(r);
        if acc.speech_s() >= self.params.learn_speech_s {
            let m = acc.measures();
            self.reference = Some(Reference {
                features: RawFeatures::from_measures(&m),
                level_dbfs: m.active_level_dbfs,
                speech_rate_syl_s: m.speech_rate_syl_s,
            });
            self.learning = None;
        }
    }

    pub fn reference(&self) -> Option<&Reference> {
        self.reference.as_ref()
    }

    /// Moves the baseline a little towards `window` (call only while calm).
    pub fn adapt(&mut self, window: &Measures, dt: f64) {
        let Some(r) = self.reference.as_mut() else {
            return;
        };
        let a = (dt / self.params.adapt_s).min(1.0);
        let w = RawFeatures::from_measures(window);
        for (b, v) in r.features.0.iter_mut().zip(w.0) {
            if let (Some(b), Some(v)) = (b.as_mut(), v) {
                *b += a * (v - *b);
            }
        }
        if let (Some(b), Some(v)) = (r.level_dbfs.as_mut(), window.active_level_dbfs) {
            *b += a * (v - *b);
        }
        if let (Some(b), Some(v)) = (r.speech_rate_syl_s.as_mut(), window.speech_rate_syl_s) {
            *b += a * (v - *b);
        }
    }
}
