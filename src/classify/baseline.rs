//! The caller's own calm voice: learnt from the first stretch of their speech,
//! then adapted slowly, and only while they sound calm.
//!
//! The classifier's features are judged on short windows, and some of them
//! depend on the length of the stretch they are measured on (a standard
//! deviation over ten seconds of speech is larger than over two). So the
//! learnt features are the mean of the window features seen while learning,
//! as in training, where the baseline is the mean over calm utterances; the
//! whole first stretch is used only when no window had enough speech.

use super::features::{FeatureMean, RawFeatures};
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
    /// Features of the windows scored while learning.
    windows: FeatureMean,
    reference: Option<Reference>,
}

impl Baseline {
    pub fn new(params: BaselineParams) -> Self {
        Self {
            params,
            learning: Some(ChannelAccumulator::new()),
            windows: FeatureMean::default(),
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
            let features = if self.windows.count() > 0 {
                self.windows.mean()
            } else {
                RawFeatures::from_measures(&m)
            };
            self.reference = Some(Reference {
                features,
                level_dbfs: m.active_level_dbfs,
                speech_rate_syl_s: m.speech_rate_syl_s,
            });
            self.learning = None;
        }
    }

    /// Takes in a window with enough speech to be scored, while learning.
    pub fn observe_window(&mut self, window: &Measures) {
        if self.learning.is_some() {
            self.windows.add(&RawFeatures::from_measures(window));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn speech_hop() -> HopRecord {
        HopRecord {
            speech: true,
            f0_st: Some(30.0),
            ..Default::default()
        }
    }

    #[test]
    fn learnt_features_are_the_mean_of_the_windows_seen_while_learning() {
        let mut b = Baseline::new(BaselineParams {
            learn_speech_s: 1.0,
            adapt_s: 120.0,
        });
        let window = |sd: f64| Measures {
            pitch_sd_st: Some(sd),
            ..Default::default()
        };
        b.observe_window(&window(1.0));
        b.observe_window(&window(2.0));
        for _ in 0..99 {
            b.push_hop(&speech_hop());
        }
        assert!(b.reference().is_none(), "still learning");
        b.push_hop(&speech_hop());
        let r = b.reference().expect("learnt after 1 s of speech");
        assert_eq!(r.features.0[1], Some(1.5));
        // Windows after learning do not change it (only `adapt` does).
        b.observe_window(&window(9.0));
        assert_eq!(b.reference().unwrap().features.0[1], Some(1.5));
    }

    #[test]
    fn without_windows_the_whole_first_stretch_is_the_baseline() {
        let mut b = Baseline::new(BaselineParams {
            learn_speech_s: 1.0,
            adapt_s: 120.0,
        });
        for _ in 0..100 {
            b.push_hop(&speech_hop());
        }
        let r = b.reference().unwrap();
        // Constant F0 of 30 st over the stretch: median 30 (within the
        // 0.02 st bin of the channel histogram), no spread.
        let st = r.features.0[0].unwrap();
        assert!((st - 30.0).abs() <= 0.02, "{st}");
        assert_eq!(r.features.0[1], Some(0.0));
    }
}
