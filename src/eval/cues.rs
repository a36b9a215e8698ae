//! Two-party calls with known overlaps and silences, and how the agent cues
//! do on them.
//!
//! A call alternates the customer's and the agent's utterances (one speaker
//! per channel). Most turns follow the previous one after an ordinary pause
//! (0.6–2.5 s); some are placed to start 0.8–1.8 s before the other party's
//! speech ends (an overlap, started by the party who comes in), some after a
//! silence of 6–9 s (dead air, over the default 5 s threshold), and now and
//! then the customer goes on with a second utterance after a short pause
//! (a monologue).
//!
//! **Truth speech extent** of an utterance: from the start of its first to the
//! end of its last 10 ms frame of talk, where a frame is talk when its RMS in
//! the telephone band (300–3400 Hz: what a call carries, and what tonewatch
//! analyses at 8 kHz) is within [`EXTENT_DB`] of the utterance's loudest
//! frame and above the line noise the builder adds, in the same band
//! (EmoDB's digital-zero padding and the quiet lead-in and tail are outside
//! it; pauses inside the utterance are inside). Measured on the full band,
//! the truth counted as talk sibilants above 4 kHz that no 8 kHz recording
//! has, and tails of quiet EMOVO utterances below the line noise (27 % of
//! EMOVO utterances have their 35 dB threshold under −60 dBFS).
//! Utterances are placed by their extents. Truth overlaps are the
//! intersections of the two parties' extents, truth dead air the gaps longer
//! than the threshold in the union of all extents, truth talk share each
//! party's total extent over both parties' totals.

use std::collections::BTreeMap;
use std::path::Path;

use super::corpus::{self, Corpus};
use crate::audio::synth::{self, Rng, UtteranceSpec};
use crate::cues::{CueParams, Starter};
use crate::offline::{self, Options};
use crate::report::FileReport;

/// The truth extent is where the 10 ms RMS (telephone band) is within this
/// many dB of the loudest 10 ms of the utterance.
pub const EXTENT_DB: f64 = 35.0;

/// Detected events count as found when both ends are this close to the truth, s.
pub const TOLERANCE_S: f64 = 0.3;

/// Level of the line noise on both channels, dB re full scale (RMS).
const LINE_NOISE_DB: f64 = -60.0;

/// The band the truth is measured in, Hz.
const TELEPHONE_BAND: (f64, f64) = (300.0, 3400.0);

/// An utterance ready to place: samples, their truth speech extent and the
/// talk inside it, s.
#[derive(Debug, Clone)]
pub struct Piece {
    pub samples: Vec<f32>,
    pub extent: (f64, f64),
    /// Stretches of talk: 10 ms frames within [`EXTENT_DB`] of the peak and
    /// above the line noise (telephone band), pauses up to [`BRIDGE_S`] bridged (the cues' own rule: a pause inside
    /// a phrase is talk, a longer one is not).
    pub talk: Vec<(f64, f64)>,
}

/// Pauses up to this long inside an utterance count as talk in the truth,
/// as they do for the cues ([`CueParams::bridge_s`]).
pub const BRIDGE_S: f64 = 0.3;

impl Piece {
    /// A piece with its extent and talk measured as the docs say.
    pub fn measured(samples: Vec<f32>, rate: u32) -> Option<Piece> {
        let talk = speech_talk(&samples, rate);
        let extent = (talk.first()?.0, talk.last()?.1);
        Some(Piece {
            samples,
            extent,
            talk,
        })
    }
}

/// The stretches of talk of an utterance (see [`Piece::talk`]).
pub fn speech_talk(x: &[f32], rate: u32) -> Vec<(f64, f64)> {
    use crate::dsp::filter::Cascade;
    let fs = f64::from(rate);
    let mut band = Cascade::butter_highpass(4, TELEPHONE_BAND.0, fs).then(Cascade::butter_lowpass(
        4,
        TELEPHONE_BAND.1,
        fs,
    ));
    let x: Vec<f32> = x.iter().map(|&v| band.process(v)).collect();
    // White line noise: the band holds its share of the noise power.
    let band_share = (TELEPHONE_BAND.1 - TELEPHONE_BAND.0) / (fs / 2.0);
    let noise = 10f64.powf(LINE_NOISE_DB / 20.0) * band_share.min(1.0).sqrt();
    let frame = (rate as usize / 100).max(1);
    let rms: Vec<f64> = x
        .chunks(frame)
        .map(|c| (c.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / c.len() as f64).sqrt())
        .collect();
    let peak = rms.iter().copied().fold(0.0, f64::max);
    let mut out: Vec<(f64, f64)> = Vec::new();
    if peak <= 0.0 {
        return out;
    }
    let floor = (peak * 10f64.powf(-EXTENT_DB / 20.0)).max(noise);
    let f = frame as f64 / rate as f64;
    for (i, &r) in rms.iter().enumerate() {
        if r < floor {
            continue;
        }
        let (s, e) = (i as f64 * f, (i + 1) as f64 * f);
        match out.last_mut() {
            Some(last) if s - last.1 <= BRIDGE_S + 1e-9 => last.1 = e,
            _ => out.push((s, e)),
        }
    }
    out
}

/// The truth of a built call.
#[derive(Debug, Clone, Default)]
pub struct CallTruth {
    pub customer: Vec<(f64, f64)>,
    pub agent: Vec<(f64, f64)>,
    pub overlaps: Vec<(f64, f64, Starter)>,
    pub dead_air: Vec<(f64, f64)>,
}

impl CallTruth {
    pub fn customer_share(&self) -> f64 {
        let c: f64 = self.customer.iter().map(|(a, b)| b - a).sum();
        let a: f64 = self.agent.iter().map(|(a, b)| b - a).sum();
        c / (c + a).max(1e-9)
    }
}

/// A two-party call: channel 0 the customer, channel 1 the agent.
#[derive(Debug, Clone)]
pub struct TwoPartyCall {
    pub name: String,
    pub sample_rate: u32,
    pub customer: Vec<f32>,
    pub agent: Vec<f32>,
    pub truth: CallTruth,
}

impl TwoPartyCall {
    pub fn duration_s(&self) -> f64 {
        self.customer.len() as f64 / self.sample_rate as f64
    }

    /// Writes the call as a 16-bit stereo WAV (customer left, agent right).
    pub fn write_wav(&self, path: &Path) -> Result<(), String> {
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: self.sample_rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let err = |e: hound::Error| format!("{}: {e}", path.display());
        let mut w = hound::WavWriter::create(path, spec).map_err(err)?;
        for (c, a) in self.customer.iter().zip(&self.agent) {
            for v in [c, a] {
                w.write_sample((v.clamp(-1.0, 1.0) * 32767.0).round() as i16)
                    .map_err(err)?;
            }
        }
        w.finalize().map_err(err)
    }
}

/// How the next turn is placed.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Placement {
    Pause(f64),
    /// Starts this long before the other party's speech ends.
    Overlap(f64),
    DeadAir(f64),
}

/// Builds a call of at least `min_seconds` from two pools of utterances,
/// drawn in a shuffled order (repeating when a pool runs out).
pub fn build_call(
    name: String,
    sample_rate: u32,
    customer: &[Piece],
    agent: &[Piece],
    min_seconds: f64,
    seed: u64,
) -> TwoPartyCall {
    let mut rng = Rng::new(seed);
    let rate = sample_rate as f64;
    let mut bufs = [Vec::<f32>::new(), Vec::<f32>::new()];
    let mut extents: [Vec<(f64, f64)>; 2] = [Vec::new(), Vec::new()];
    let mut talk: [Vec<(f64, f64)>; 2] = [Vec::new(), Vec::new()];
    let mut truth = CallTruth::default();
    let order = |n: usize, rng: &mut Rng| {
        let mut v: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            v.swap(i, rng.index(i + 1));
        }
        v
    };
    let pools = [customer, agent];
    let mut orders = [
        order(customer.len(), &mut rng),
        order(agent.len(), &mut rng),
    ];
    let mut next = [0usize; 2];
    // The customer opens after a short ring.
    let mut party = 0usize;
    let mut speech_end = rng.uniform(0.5, 1.0);
    let mut last_party = None;
    let mut first = true;
    while first || speech_end < min_seconds {
        let k = orders[party][next[party] % orders[party].len()];
        next[party] += 1;
        if next[party] % orders[party].len() == 0 {
            orders[party] = order(pools[party].len(), &mut rng);
        }
        let piece = &pools[party][k];
        let dur = piece.extent.1 - piece.extent.0;
        let placement = if first {
            Placement::Pause(0.0)
        } else if last_party == Some(party) {
            Placement::Pause(rng.uniform(0.6, 1.5))
        } else {
            let prev_dur = extents[1 - party].last().map_or(0.0, |e| e.1 - e.0);
            let r = rng.next_f64();
            if r < 0.25 && prev_dur > 1.5 && dur > 1.5 {
                Placement::Overlap(rng.uniform(0.8, 1.8).min(prev_dur - 0.5).min(dur - 0.5))
            } else if r < 0.40 {
                Placement::DeadAir(rng.uniform(6.0, 9.0))
            } else {
                Placement::Pause(rng.uniform(0.6, 2.5))
            }
        };
        first = false;
        let start = match placement {
            Placement::Pause(g) | Placement::DeadAir(g) => speech_end + g,
            Placement::Overlap(o) => speech_end - o,
        };
        // Never before this party's own previous speech ends.
        let own_end = extents[party].last().map_or(0.0, |e| e.1);
        let start = start.max(own_end + 0.6);
        let offset = ((start - piece.extent.0) * rate).round().max(0.0) as usize;
        let at = offset as f64 / rate;
        let buf = &mut bufs[party];
        if buf.len() < offset + piece.samples.len() {
            buf.resize(offset + piece.samples.len(), 0.0);
        }
        for (slot, &x) in buf[offset..].iter_mut().zip(&piece.samples) {
            *slot += x;
        }
        let extent = (at + piece.extent.0, at + piece.extent.1);
        extents[party].push(extent);
        talk[party].extend(piece.talk.iter().map(|&(a, b)| (at + a, at + b)));
        speech_end = speech_end.max(extent.1);
        last_party = Some(party);
        // The customer sometimes goes on (a monologue); otherwise turns alternate.
        if !(party == 0 && rng.chance(0.3)) {
            party = 1 - party;
        }
    }
    let len = bufs[0].len().max(bufs[1].len()) + (rng.uniform(1.0, 2.0) * rate) as usize;
    let noise = 10f64.powf(LINE_NOISE_DB / 20.0);
    for b in &mut bufs {
        b.resize(len, 0.0);
        for x in b.iter_mut() {
            *x += (rng.gaussian() * noise) as f32;
        }
    }
    let [c, a] = talk;
    truth.overlaps = intersections(&c, &a)
        .into_iter()
        .filter(|o| o.1 - o.0 >= CueParams::default().min_overlap_s)
        .collect();
    truth.dead_air = gaps(&c, &a, CueParams::default().dead_air_s);
    truth.customer = c;
    truth.agent = a;
    let [customer, agent] = bufs;
    TwoPartyCall {
        name,
        sample_rate,
        customer,
        agent,
        truth,
    }
}

fn intersections(c: &[(f64, f64)], a: &[(f64, f64)]) -> Vec<(f64, f64, Starter)> {
    let mut out = Vec::new();
    for &(cs, ce) in c {
        for &(as_, ae) in a {
            let (s, e) = (cs.max(as_), ce.min(ae));
            if e > s {
                let starter = if cs > as_ {
                    Starter::Customer
                } else if as_ > cs {
                    Starter::Agent
                } else {
                    Starter::Both
                };
                out.push((s, e, starter));
            }
        }
    }
    out.sort_by(|x, y| x.0.total_cmp(&y.0));
    out
}

fn gaps(c: &[(f64, f64)], a: &[(f64, f64)], threshold: f64) -> Vec<(f64, f64)> {
    let mut all: Vec<(f64, f64)> = c.iter().chain(a).copied().collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let mut out = Vec::new();
    let mut end = f64::NEG_INFINITY;
    for (s, e) in all {
        if end.is_finite() && s - end > threshold {
            out.push((end, s));
        }
        end = end.max(e);
    }
    out
}

/// How the detected cues of calls compare with their truth.
#[derive(Debug, Clone, Default)]
pub struct CueScore {
    pub calls: usize,
    pub audio_s: f64,
    pub overlaps: usize,
    pub overlaps_found: usize,
    /// Found overlaps whose starter was right.
    pub starters_right: usize,
    pub overlaps_detected: usize,
    pub dead_air: usize,
    pub dead_air_found: usize,
    pub dead_air_detected: usize,
    /// |measured − true| customer talk share, percentage points, per call.
    pub share_errors_pp: Vec<f64>,
    /// Truth events not found, and share errors over 2 points, described.
    pub misses: Vec<String>,
}

impl CueScore {
    pub fn overlap_recall(&self) -> f64 {
        self.overlaps_found as f64 / self.overlaps.max(1) as f64
    }
    pub fn dead_air_recall(&self) -> f64 {
        self.dead_air_found as f64 / self.dead_air.max(1) as f64
    }
    pub fn overlap_precision(&self) -> f64 {
        self.overlaps_found as f64 / self.overlaps_detected.max(1) as f64
    }
    pub fn dead_air_precision(&self) -> f64 {
        self.dead_air_found as f64 / self.dead_air_detected.max(1) as f64
    }
    pub fn share_within(&self, pp: f64) -> f64 {
        self.share_errors_pp.iter().filter(|&&e| e <= pp).count() as f64
            / self.share_errors_pp.len().max(1) as f64
    }
    pub fn max_share_error_pp(&self) -> f64 {
        self.share_errors_pp.iter().copied().fold(0.0, f64::max)
    }

    /// Adds one analysed call.
    /// Notes each true event that no detection matched, with what was
    /// detected near it.
    fn record_misses(
        &mut self,
        file: &str,
        what: &str,
        truth: &[(f64, f64)],
        found: &[(usize, usize)],
        detected: &[(f64, f64)],
    ) {
        for (i, w) in truth.iter().enumerate() {
            if !found.iter().any(|p| p.0 == i) {
                let nearby = detected
                    .iter()
                    .filter(|x| (x.0 - w.0).abs() < 3.0)
                    .map(|x| format!("{:.2}–{:.2}", x.0, x.1))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.misses.push(format!(
                    "{file}: {what} {:.2}–{:.2} not found (detected nearby: {nearby})",
                    w.0, w.1
                ));
            }
        }
    }

    pub fn add(&mut self, truth: &CallTruth, report: &FileReport, duration_s: f64) {
        self.calls += 1;
        self.audio_s += duration_s;
        let Some(cues) = &report.cues else {
            self.overlaps += truth.overlaps.len();
            self.dead_air += truth.dead_air.len();
            return;
        };
        let t = &cues.turns;
        let detected: Vec<(f64, f64)> = t.overlaps.iter().map(|o| (o.start_s, o.end_s)).collect();
        let want: Vec<(f64, f64)> = truth.overlaps.iter().map(|o| (o.0, o.1)).collect();
        let pairs = matches(&want, &detected);
        self.record_misses(&report.file, "overlap", &want, &pairs, &detected);
        self.overlaps += want.len();
        self.overlaps_detected += detected.len();
        self.overlaps_found += pairs.len();
        self.starters_right += pairs
            .iter()
            .filter(|&&(w, d)| truth.overlaps[w].2 == t.overlaps[d].started_by)
            .count();
        let detected: Vec<(f64, f64)> = t.dead_air.iter().map(|d| (d.start_s, d.end_s)).collect();
        self.dead_air += truth.dead_air.len();
        self.dead_air_detected += detected.len();
        let found = matches(&truth.dead_air, &detected);
        self.dead_air_found += found.len();
        self.record_misses(&report.file, "dead air", &truth.dead_air, &found, &detected);
        if let Some(share) = t.customer_share() {
            let e = 100.0 * (share - truth.customer_share()).abs();
            if e > 2.0 {
                self.misses.push(format!(
                    "{}: customer talk share {:.1} %, truth {:.1} % (talk {:.1} s / {:.1} s, truth {:.1} s / {:.1} s)",
                    report.file,
                    100.0 * share,
                    100.0 * truth.customer_share(),
                    t.customer_talk_s,
                    t.agent_talk_s,
                    truth.customer.iter().map(|(a, b)| b - a).sum::<f64>(),
                    truth.agent.iter().map(|(a, b)| b - a).sum::<f64>()
                ));
            }
            self.share_errors_pp.push(e);
        }
    }
}

/// One-to-one matches (truth index, detected index) with both ends within
/// [`TOLERANCE_S`], greedily in time order.
fn matches(truth: &[(f64, f64)], detected: &[(f64, f64)]) -> Vec<(usize, usize)> {
    let mut used = vec![false; detected.len()];
    let mut out = Vec::new();
    for (i, &(s, e)) in truth.iter().enumerate() {
        let hit = detected.iter().enumerate().position(|(j, &(ds, de))| {
            !used[j] && (ds - s).abs() <= TOLERANCE_S && (de - e).abs() <= TOLERANCE_S
        });
        if let Some(j) = hit {
            used[j] = true;
            out.push((i, j));
        }
    }
    out
}

/// Analyses a call as a stereo recording, customer on the left.
pub fn analyze(call: &TwoPartyCall, options: &Options) -> Result<FileReport, String> {
    offline::analyze_samples(
        &call.name,
        call.sample_rate,
        &[&call.customer, &call.agent],
        options,
    )
    .map_err(|e| e.to_string())
}

/// Each speaker's corpus, sample rate and utterances.
pub type Speakers = BTreeMap<String, (Corpus, u32, Vec<Piece>)>;

/// Loads the utterances of every speaker of the corpora, by speaker, with
/// their truth extents (EmoDB's zero padding trimmed first).
pub fn corpus_pieces(data: &Path) -> Result<Speakers, String> {
    let utts = corpus::load_all(data).map_err(|e| e.to_string())?;
    let mut out: BTreeMap<String, (Corpus, u32, Vec<Piece>)> = BTreeMap::new();
    for u in &utts {
        let (mut x, rate) = corpus::read_wav(&u.path)?;
        if u.corpus == Corpus::EmoDb {
            let end = (corpus::audible_duration(&x, rate) * rate as f64) as usize;
            x.truncate(end);
        }
        if let Some(p) = Piece::measured(x, rate) {
            let e = out
                .entry(u.speaker_key())
                .or_insert_with(|| (u.corpus, rate, Vec::new()));
            if e.1 != rate {
                return Err(format!(
                    "{}: {} Hz, its speaker's others are {} Hz",
                    u.path.display(),
                    rate,
                    e.1
                ));
            }
            e.2.push(p);
        }
    }
    Ok(out)
}

/// Call `k` of a set built from the corpora: speakers paired within a corpus
/// (the customer of call k is speaker k of the list, the agent another
/// speaker of the same corpus, the pairs cycling), each call with its own
/// seed. The utterances are the speakers' own, all emotions.
pub fn corpus_call(pieces: &Speakers, k: usize, min_seconds: f64) -> TwoPartyCall {
    let speakers: Vec<_> = pieces.iter().collect();
    let i = k % speakers.len();
    let round = k / speakers.len();
    let (name, (corpus, rate, customer)) = speakers[i];
    let same: Vec<usize> = (0..speakers.len())
        .filter(|&j| j != i && speakers[j].1.0 == *corpus)
        .collect();
    let j = same[(i + round) % same.len()];
    let (agent_name, (_, _, agent)) = speakers[j];
    build_call(
        format!(
            "{:04}-{}-{}",
            k,
            name.replace(':', "-"),
            agent_name.replace(':', "-")
        ),
        *rate,
        customer,
        agent,
        min_seconds,
        7919 * k as u64 + 1,
    )
}

/// Utterances of a synthetic voice (no corpus needed): `n` utterances of
/// 1.5–5 s at `rate`, the extent from the synthesiser's speech intervals.
pub fn synthetic_pieces(
    rate: u32,
    f0_hz: f64,
    syllables_per_s: f64,
    n: usize,
    seed: u64,
) -> Vec<Piece> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|i| {
            let spec = UtteranceSpec {
                syllables_per_s,
                f0_mean_hz: f0_hz,
                duration_s: rng.uniform(1.5, 5.0),
                pause_fraction: 0.1,
                level_dbfs: rng.uniform(-30.0, -22.0),
                ..UtteranceSpec::default()
            };
            let (x, truth) = synth::utterance(rate, seed * 1000 + i as u64, &spec);
            let mut talk: Vec<(f64, f64)> = Vec::new();
            for &(a, b) in &truth.speech_intervals {
                match talk.last_mut() {
                    Some(last) if a - last.1 <= BRIDGE_S => last.1 = b,
                    _ => talk.push((a, b)),
                }
            }
            if talk.is_empty() {
                talk.push((0.0, x.len() as f64 / rate as f64));
            }
            let extent = (talk[0].0, talk[talk.len() - 1].1);
            Piece {
                samples: x,
                extent,
                talk,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extent_skips_quiet_lead_in_and_padding() {
        let rate = 8000;
        let mut x = vec![0.0f32; 4000];
        x.extend((0..8000).map(|i| 0.5 * (i as f32 * 0.3).sin()));
        // A 0.2 s pause inside is talk, a 0.5 s one is not.
        x.extend(vec![0.0; 1600]);
        x.extend((0..800).map(|i| 0.5 * (i as f32 * 0.3).sin()));
        x.extend(vec![0.0; 4000]);
        x.extend((0..800).map(|i| 0.5 * (i as f32 * 0.3).sin()));
        let p = Piece::measured(x, rate).unwrap();
        let near = |a: f64, b: f64| (a - b).abs() < 0.011;
        assert_eq!(p.talk.len(), 2, "{:?}", p.talk);
        assert!(
            near(p.talk[0].0, 0.5) && near(p.talk[0].1, 1.8),
            "{:?}",
            p.talk
        );
        assert!(
            near(p.extent.0, 0.5) && near(p.extent.1, 2.4),
            "{:?}",
            p.extent
        );
        assert!(Piece::measured(vec![0.0; 100], rate).is_none());
    }

    #[test]
    fn truth_overlaps_name_who_came_in() {
        let c = [(0.0, 3.0), (10.0, 12.0)];
        let a = [(2.0, 5.0), (11.5, 14.0)];
        let o = intersections(&c, &a);
        assert_eq!(
            o,
            vec![(2.0, 3.0, Starter::Agent), (11.5, 12.0, Starter::Agent)]
        );
        let g = gaps(&c, &a, 4.0);
        assert_eq!(g, vec![(5.0, 10.0)]);
    }

    /// The whole path on synthetic voices: build, analyse as stereo, score.
    #[test]
    fn cues_find_the_placed_overlaps_and_silences_on_synthetic_calls() {
        let rate = 8000;
        let customer = synthetic_pieces(rate, 210.0, 4.5, 8, 1);
        let agent = synthetic_pieces(rate, 115.0, 4.0, 8, 2);
        let mut score = CueScore::default();
        for seed in 0..3 {
            let call = build_call(format!("synth-{seed}"), rate, &customer, &agent, 60.0, seed);
            let report = analyze(&call, &Options::default()).unwrap();
            score.add(&call.truth, &report, call.duration_s());
        }
        assert!(score.overlaps >= 3 && score.dead_air >= 3, "{score:?}");
        assert!(score.overlap_recall() >= 0.8, "{score:?}");
        assert!(score.dead_air_recall() >= 0.8, "{score:?}");
        assert!(score.max_share_error_pp() <= 5.0, "{score:?}");
    }
}
