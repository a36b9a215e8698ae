//! Voice modifications for the profile evaluation: pitch excursions scaled
//! around the speaker's mean, by time-domain pitch-synchronous overlap-add
//! (TD-PSOLA), and tempo without pitch change, by waveform-similarity
//! overlap-add (WSOLA, as sox's `tempo` does), which keeps voicing intact at
//! high speed-ups better than PSOLA with our pitch marks.
//!
//! Pitch marks come from tonewatch's own pitch tracker: one mark per period in
//! voiced speech, placed on the waveform's peak near where the period says;
//! unvoiced stretches get marks every 5 ms. Each output mark takes the
//! two-period (Hann-windowed) grain of the nearest analysis mark; the output
//! is normalised by the summed windows so the level does not wobble.

use crate::analyzer::{Analyzer, AnalyzerConfig, Frame, Sink};

/// Mark spacing in unvoiced stretches, s.
const UNVOICED_STEP_S: f64 = 0.005;

struct F0Track {
    /// (centre time of the frame's correlation window, F0 or 0).
    frames: Vec<(f64, f32)>,
}

impl Sink for F0Track {
    fn frame(&mut self, f: &Frame) {
        // The pitch reference window is the 32 ms ending at `time_s`.
        self.frames.push((f.time_s - 0.016, f.f0_hz.unwrap_or(0.0)));
    }
}

impl F0Track {
    fn measure(x: &[f32], rate: u32) -> Self {
        let mut t = F0Track { frames: Vec::new() };
        if let Ok(mut a) = Analyzer::new(rate, AnalyzerConfig::default()) {
            a.process(x, &mut t);
            a.finish(&mut t);
        }
        t
    }

    /// F0 at time `s` (0 = unvoiced).
    fn at(&self, s: f64) -> f32 {
        let i = ((s + 0.016) / crate::HOP_S).round() as isize - 1;
        if i < 0 {
            return 0.0;
        }
        self.frames.get(i as usize).map_or(0.0, |f| f.1)
    }

    /// Mean of log F0 over voiced frames.
    fn mean_log(&self) -> Option<f64> {
        let v: Vec<f64> = self
            .frames
            .iter()
            .filter(|f| f.1 > 0.0)
            .map(|f| (f.1 as f64).ln())
            .collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    }
}

/// A pitch mark: sample position, the local period in samples, voiced.
#[derive(Debug, Clone, Copy)]
struct Mark {
    pos: usize,
    period: f64,
    f0: f64,
}

fn analysis_marks(x: &[f32], rate: u32, f0: &F0Track) -> Vec<Mark> {
    let fs = rate as f64;
    let mut marks: Vec<Mark> = Vec::new();
    let mut t = 0usize;
    let step = (UNVOICED_STEP_S * fs) as usize;
    while t < x.len() {
        let f = f0.at(t as f64 / fs) as f64;
        if f > 0.0 {
            let period = fs / f;
            // Place the mark where the waveform best matches the one a
            // period earlier (cross-correlation over a period, searched within
            // a quarter period), so every grain is cut at the same phase of
            // its cycle; peak picking hops between similar peaks and breaks
            // the periodicity of the result.
            let pos = match marks.last() {
                Some(prev) if prev.f0 > 0.0 => {
                    let half = (period / 2.0) as isize;
                    let reach = (period / 4.0) as isize;
                    let corr = |cand: isize| -> f32 {
                        (-half..half)
                            .map(|j| {
                                let a = prev.pos as isize + j;
                                let b = cand + j;
                                if a < 0 || b < 0 || a as usize >= x.len() || b as usize >= x.len()
                                {
                                    0.0
                                } else {
                                    x[a as usize] * x[b as usize]
                                }
                            })
                            .sum()
                    };
                    (t as isize - reach..=t as isize + reach)
                        .filter(|&c| c > prev.pos as isize && (c as usize) < x.len())
                        .max_by(|&a, &b| corr(a).total_cmp(&corr(b)))
                        .map_or(t, |c| c as usize)
                }
                // Voicing starts: cut at the highest peak of the first period.
                _ => {
                    let hi = (t + period as usize).min(x.len() - 1);
                    (t..=hi).max_by(|&a, &b| x[a].total_cmp(&x[b])).unwrap_or(t)
                }
            };
            marks.push(Mark { pos, period, f0: f });
            t = pos + period.round().max(1.0) as usize;
        } else {
            marks.push(Mark {
                pos: t,
                period: step as f64,
                f0: 0.0,
            });
            t += step;
        }
    }
    marks
}

/// Returns `x` with its tempo multiplied by `tempo` (1.3 = 30 % faster,
/// same pitch) and its pitch excursions around the mean (in log F0)
/// multiplied by `excursion` (1.8 = livelier, 0.5 = flatter).
pub fn modify(x: &[f32], rate: u32, tempo: f64, excursion: f64) -> Vec<f32> {
    let y = if excursion == 1.0 {
        x.to_vec()
    } else {
        psola(x, rate, 1.0, excursion)
    };
    if tempo == 1.0 {
        y
    } else {
        wsola(&y, rate, tempo)
    }
}

/// WSOLA: 30 ms Hann frames at half-frame output hops; each frame is taken
/// within ±10 ms of where the tempo puts it, where it best continues the
/// previous frame.
fn wsola(x: &[f32], rate: u32, tempo: f64) -> Vec<f32> {
    let fs = rate as f64;
    let n = (0.03 * fs) as usize & !1;
    let hop = n / 2;
    let reach = (0.01 * fs) as isize;
    if x.len() < 2 * n || tempo <= 0.0 {
        return x.to_vec();
    }
    let window: Vec<f32> = (0..n)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / n as f32).cos())
        .collect();
    let out_len = (x.len() as f64 / tempo) as usize;
    let mut out = vec![0.0f32; out_len + n];
    let mut prev: Option<usize> = None;
    let mut k = 0usize;
    loop {
        let ideal = (k as f64 * hop as f64 * tempo) as isize;
        if ideal as usize + n >= x.len() || k * hop >= out_len {
            break;
        }
        let pos = match prev {
            // The natural continuation of the previous frame is `p + hop`;
            // pick the candidate near the ideal position most like it.
            Some(p) if p + hop + n < x.len() => {
                let target = &x[p + hop..p + hop + n];
                let lo = (ideal - reach).max(0);
                let hi = (ideal + reach).min((x.len() - n - 1) as isize);
                (lo..=hi)
                    .step_by(2)
                    .max_by(|&a, &b| {
                        let c = |s: isize| -> f32 {
                            target
                                .iter()
                                .zip(&x[s as usize..s as usize + n])
                                .map(|(u, v)| u * v)
                                .sum()
                        };
                        c(a).total_cmp(&c(b))
                    })
                    .map_or(ideal as usize, |p| p as usize)
            }
            _ => ideal as usize,
        };
        for i in 0..n {
            out[k * hop + i] += window[i] * x[pos + i];
        }
        prev = Some(pos);
        k += 1;
    }
    out.truncate(out_len);
    out
}

/// TD-PSOLA with a tempo factor and an excursion factor.
fn psola(x: &[f32], rate: u32, tempo: f64, excursion: f64) -> Vec<f32> {
    if x.is_empty() || tempo <= 0.0 {
        return Vec::new();
    }
    let f0 = F0Track::measure(x, rate);
    let marks = analysis_marks(x, rate, &f0);
    let mean_log = f0.mean_log().unwrap_or(0.0);
    let out_len = (x.len() as f64 / tempo) as usize;
    let mut out = vec![0.0f32; out_len];
    let mut weight = vec![0.0f32; out_len];
    let mut ts = 0.0f64;
    let mut k = 0usize;
    while (ts as usize) < out_len {
        let ta = ts * tempo;
        // Nearest analysis mark to the corresponding input time.
        while k + 1 < marks.len() && (marks[k + 1].pos as f64) <= ta {
            k += 1;
        }
        let m = match marks.get(k + 1) {
            Some(next) if (next.pos as f64 - ta) < (ta - marks[k].pos as f64) => *next,
            _ => marks[k],
        };
        let half = m.period.round().max(2.0) as isize;
        for j in -half..=half {
            let src = m.pos as isize + j;
            let dst = ts.round() as isize + j;
            if src < 0 || dst < 0 || src as usize >= x.len() || dst as usize >= out_len {
                continue;
            }
            let w = 0.5 + 0.5 * (std::f64::consts::PI * j as f64 / half as f64).cos();
            out[dst as usize] += (w as f32) * x[src as usize];
            weight[dst as usize] += w as f32;
        }
        let step = if m.f0 > 0.0 {
            let target = (mean_log + excursion * (m.f0.ln() - mean_log)).exp();
            rate as f64 / target
        } else {
            m.period
        };
        ts += step.max(1.0);
    }
    for (o, w) in out.iter_mut().zip(&weight) {
        if *w > 1e-3 {
            *o /= w;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyzer::analyze_samples;
    use crate::audio::synth::{UtteranceSpec, utterance};

    fn speech() -> Vec<f32> {
        let spec = UtteranceSpec {
            syllables_per_s: 4.5,
            f0_mean_hz: 140.0,
            pitch_spread: 1.0,
            level_dbfs: -26.0,
            effort: 0.5,
            duration_s: 8.0,
            pause_fraction: 0.1,
        };
        utterance(16000, 11, &spec).0
    }

    #[test]
    fn tempo_changes_length_and_rate_but_not_pitch() {
        let x = speech();
        let (_, before) = analyze_samples(&x, 16000, AnalyzerConfig::default()).unwrap();
        let y = modify(&x, 16000, 1.3, 1.0);
        assert!((y.len() as f64 / x.len() as f64 - 1.0 / 1.3).abs() < 0.01);
        let (_, after) = analyze_samples(&y, 16000, AnalyzerConfig::default()).unwrap();
        let pitch = after.pitch_median_hz.unwrap() / before.pitch_median_hz.unwrap();
        assert!((pitch - 1.0).abs() < 0.04, "pitch ratio {pitch}");
        let rate = after.speech_rate_syl_s.unwrap() / before.speech_rate_syl_s.unwrap();
        assert!(rate > 1.15, "rate ratio {rate}");
    }

    #[test]
    fn excursions_scale_pitch_variation_around_the_mean() {
        let x = speech();
        let (_, before) = analyze_samples(&x, 16000, AnalyzerConfig::default()).unwrap();
        let lively = modify(&x, 16000, 1.0, 1.8);
        let flat = modify(&x, 16000, 1.0, 0.5);
        let (_, l) = analyze_samples(&lively, 16000, AnalyzerConfig::default()).unwrap();
        let (_, f) = analyze_samples(&flat, 16000, AnalyzerConfig::default()).unwrap();
        let sd0 = before.pitch_sd_st.unwrap();
        assert!(
            l.pitch_sd_st.unwrap() > 1.4 * sd0,
            "{} vs {sd0}",
            l.pitch_sd_st.unwrap()
        );
        assert!(
            f.pitch_sd_st.unwrap() < 0.7 * sd0,
            "{} vs {sd0}",
            f.pitch_sd_st.unwrap()
        );
        let median = l.pitch_median_hz.unwrap() / before.pitch_median_hz.unwrap();
        assert!((median - 1.0).abs() < 0.1, "median ratio {median}");
    }
}
