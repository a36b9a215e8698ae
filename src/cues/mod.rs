//! Agent cues of a two-party call: the behaviours complaint-handling trainers
//! teach, measured from the two parties' voice activity, timelines and alerts.
//!
//! [`CueTracker`] is streaming: it takes the core's per-hop `speech` decision
//! of both channels (from [`crate::analyzer::Sink::frame`]) hop by hop and
//! keeps fixed state, so a live monitor can run it with the same results,
//! [`turns::TalkSmoother::delay`] hops late. What it measures:
//!
//! - **talk**: seconds of talk per party and each party's share of the talk
//!   (speech more than `tail_db` under the party's loudest moment of the last
//!   `tail_window_s` is a fading tail, not talk: [`turns::TailGate`]);
//! - **overlaps**: both parties talking at once for at least `min_overlap_s`.
//!   Whoever started their current spurt later started the overlap (talked
//!   over the other); overlaps that start in the same hop are `both`;
//! - **dead air**: neither party talking for more than `dead_air_s`, between
//!   two moments of talk (the silence before the first word and after the
//!   last is not dead air: the call is connecting or ending);
//! - **the customer's longest monologue**: the customer holding the floor,
//!   pauses of up to `monologue_gap_s` included, until the agent talks for
//!   `backchannel_s` or more (a shorter "mm-hm" is listening, not taking the
//!   floor). It is `interrupted` when the agent took the floor while the
//!   customer was still talking.
//!
//! Whole-call cues come from the parties' reports at the end ([`whole_call`]):
//! the agent's own `anger_rising` alerts (emotional hijacking), the agent's
//! speech rate against the customer's profile, and whether the customer's
//! anger came down after its peak and how fast.

pub mod turns;

use serde::Serialize;

use crate::HOP_S;
use crate::analyzer::TimelinePoint;
use crate::classify::profile::ProfileType;
use crate::classify::{Alert, AlertKind, Profile};
use crate::measures::Measures;
use crate::report::Role;
use turns::{TailGate, TalkSmoother};

/// Settings of the cues.
#[derive(Debug, Clone, Copy)]
pub struct CueParams {
    /// Pauses up to this long inside a spurt of talk are part of it, s.
    pub bridge_s: f64,
    /// Shorter bursts of voice activity are not talk, s.
    pub min_spurt_s: f64,
    /// The core's voice-activity hangover, s (taken off the end of spurts).
    pub vad_hangover_s: f64,
    /// Speech more than this far under the party's loudest hop of the last
    /// `tail_window_s` is a fading tail, not talk, dB (see [`TailGate`]).
    pub tail_db: f32,
    pub tail_window_s: f64,
    /// Shorter overlaps are not counted, s (a word of acknowledgement while
    /// the other talks is not talking over them).
    pub min_overlap_s: f64,
    /// Silences of both parties longer than this are dead air, s.
    pub dead_air_s: f64,
    /// A pause of the customer longer than this ends a monologue, s.
    pub monologue_gap_s: f64,
    /// The agent taking the floor: talking at least this long, s.
    pub backchannel_s: f64,
    /// The agent's speech rate is out of step when it differs from the
    /// customer's by more than this fraction.
    pub pace_tolerance: f64,
    /// Anger score below which the customer has calmed down (the escalation
    /// monitor's calm threshold).
    pub calm_score: f64,
    /// Anger score a peak must reach to ask whether it came down (the
    /// escalation monitor's tense threshold).
    pub tense_score: f64,
}

impl Default for CueParams {
    fn default() -> Self {
        Self {
            bridge_s: 0.3,
            min_spurt_s: 0.15,
            vad_hangover_s: crate::dsp::vad::VadParams::default().hangover_s,
            tail_db: 35.0,
            tail_window_s: 2.0,
            min_overlap_s: 0.3,
            dead_air_s: 5.0,
            monologue_gap_s: 2.0,
            backchannel_s: 1.0,
            pace_tolerance: 0.15,
            calm_score: 0.4,
            tense_score: 0.5,
        }
    }
}

fn hops(s: f64) -> u64 {
    (s / HOP_S).round().max(0.0) as u64
}

fn secs(h: u64) -> f64 {
    h as f64 * HOP_S
}

/// Who started an overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Starter {
    Customer,
    Agent,
    /// Both started in the same hop.
    Both,
}

impl Starter {
    pub fn as_str(self) -> &'static str {
        match self {
            Starter::Customer => "customer",
            Starter::Agent => "agent",
            Starter::Both => "both",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Overlap {
    pub start_s: f64,
    pub end_s: f64,
    pub started_by: Starter,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub start_s: f64,
    pub end_s: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Monologue {
    pub start_s: f64,
    pub end_s: f64,
    pub duration_s: f64,
    /// The agent took the floor while the customer was still talking.
    pub interrupted: bool,
}

/// What [`CueTracker`] measures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TurnCues {
    pub customer_talk_s: f64,
    pub agent_talk_s: f64,
    pub overlaps: Vec<Overlap>,
    pub dead_air: Vec<Interval>,
    pub longest_monologue: Option<Monologue>,
    pub dead_air_threshold_s: f64,
}

impl TurnCues {
    /// The customer's share of all talk (0..1), `None` if nobody talked.
    pub fn customer_share(&self) -> Option<f64> {
        let total = self.customer_talk_s + self.agent_talk_s;
        (total > 0.0).then(|| self.customer_talk_s / total)
    }

    pub fn overlaps_by(&self, who: Starter) -> (usize, f64) {
        let of: Vec<&Overlap> = self
            .overlaps
            .iter()
            .filter(|o| o.started_by == who)
            .collect();
        // `+ 0.0` keeps an empty sum (−0.0) out of reports.
        (
            of.len(),
            of.iter().map(|o| o.end_s - o.start_s).sum::<f64>() + 0.0,
        )
    }
}

#[derive(Debug, Clone, Copy)]
struct MonoState {
    start: u64,
    last_customer: u64,
}

/// Streaming turn-taking cues of a two-party call. Fixed memory apart from
/// the events it reports.
#[derive(Debug, Clone)]
pub struct CueTracker {
    params: CueParams,
    gates: [TailGate; 2],
    smoothers: [TalkSmoother; 2],
    /// Smoothed decisions of one party waiting for the other's.
    queued: [std::collections::VecDeque<bool>; 2],
    hop: u64,
    talk: [u64; 2],
    /// Start of each party's current spurt.
    run_start: [Option<u64>; 2],
    overlap_start: Option<(u64, Starter)>,
    silence_start: Option<u64>,
    anyone_talked: bool,
    mono: Option<MonoState>,
    /// Where the current monologue would end if the agent's current run
    /// turns out to take the floor, and whether that would interrupt it.
    mono_end_if_agent: Option<(u64, bool)>,
    out: TurnCues,
}

const CUSTOMER: usize = 0;
const AGENT: usize = 1;

impl CueTracker {
    pub fn new(params: CueParams) -> Self {
        let s = TalkSmoother::new(
            hops(params.bridge_s),
            hops(params.min_spurt_s),
            hops(params.vad_hangover_s),
        );
        let g = TailGate::new(
            params.tail_db,
            hops(params.tail_window_s),
            hops(params.vad_hangover_s),
        );
        Self {
            params,
            gates: [g.clone(), g],
            smoothers: [s.clone(), s],
            queued: Default::default(),
            hop: 0,
            talk: [0; 2],
            run_start: [None; 2],
            overlap_start: None,
            silence_start: None,
            anyone_talked: false,
            mono: None,
            mono_end_if_agent: None,
            out: TurnCues {
                dead_air_threshold_s: params.dead_air_s,
                ..TurnCues::default()
            },
        }
    }

    /// The events closed so far (the live monitor reports each new one).
    pub fn so_far(&self) -> &TurnCues {
        &self.out
    }

    /// Hops the cues lag the audio by.
    pub fn delay_hops(&self) -> u64 {
        self.smoothers[0].delay()
    }

    /// The next hop of one party: the core's voice activity and level
    /// ([`crate::analyzer::Frame`]'s `speech` and `level_db`). The two
    /// parties may be fed independently (their hops are paired in order).
    pub fn push(&mut self, role: Role, speech: bool, level_db: f32) {
        let p = party(role);
        let talk = self.gates[p].push(speech, level_db);
        if let Some(v) = self.smoothers[p].push(talk) {
            self.queued[p].push_back(v);
        }
        self.pair();
    }

    fn pair(&mut self) {
        while !self.queued[0].is_empty() && !self.queued[1].is_empty() {
            let c = self.queued[0].pop_front().unwrap_or(false);
            let a = self.queued[1].pop_front().unwrap_or(false);
            self.step(c, a);
        }
    }

    /// Ends the call: the last hops, then open events are closed at the end.
    /// A party with fewer hops than the other counts as silent at the end.
    pub fn finish(mut self) -> TurnCues {
        for p in 0..2 {
            let rest = self.smoothers[p].drain();
            self.queued[p].extend(rest);
        }
        let n = self.queued[0].len().max(self.queued[1].len());
        for p in 0..2 {
            self.queued[p].resize(n, false);
        }
        self.pair();
        let end = self.hop;
        self.close_overlap(end);
        // A silence running to the end of the recording is the call ending.
        self.end_monologue(None);
        self.out.customer_talk_s = secs(self.talk[CUSTOMER]);
        self.out.agent_talk_s = secs(self.talk[AGENT]);
        self.out
    }

    fn step(&mut self, c: bool, a: bool) {
        let m = self.hop;
        self.hop += 1;
        for (talking, (count, start)) in [c, a]
            .into_iter()
            .zip(self.talk.iter_mut().zip(&mut self.run_start))
        {
            if talking {
                *count += 1;
                start.get_or_insert(m);
            } else {
                *start = None;
            }
        }

        // Overlaps.
        if c && a {
            if self.overlap_start.is_none() {
                let starter = match (self.run_start[CUSTOMER], self.run_start[AGENT]) {
                    (Some(cs), Some(as_)) if cs > as_ => Starter::Customer,
                    (Some(cs), Some(as_)) if as_ > cs => Starter::Agent,
                    _ => Starter::Both,
                };
                self.overlap_start = Some((m, starter));
            }
        } else {
            self.close_overlap(m);
        }

        // Dead air.
        if c || a {
            if let Some(s) = self.silence_start.take()
                && self.anyone_talked
                && m - s > hops(self.params.dead_air_s)
            {
                self.out.dead_air.push(Interval {
                    start_s: secs(s),
                    end_s: secs(m),
                });
            }
            self.anyone_talked = true;
        } else {
            self.silence_start.get_or_insert(m);
        }

        // The customer's monologue.
        if a && self.run_start[AGENT] == Some(m) {
            self.mono_end_if_agent = self.mono.map(|mono| {
                if c {
                    (m, true)
                } else {
                    (mono.last_customer + 1, false)
                }
            });
        }
        let agent_holds = self.run_start[AGENT]
            .is_some_and(|s| m + 1 - s >= hops(self.params.backchannel_s).max(1));
        if let Some(mono) = self.mono
            && m - mono.last_customer > hops(self.params.monologue_gap_s)
        {
            self.end_monologue(Some((mono.last_customer + 1, false)));
        }
        if agent_holds && self.mono.is_some() {
            let end = self.mono_end_if_agent.take();
            match end {
                Some(end) => self.end_monologue(Some(end)),
                // The customer started while the agent was talking: the
                // customer has not got the floor yet.
                None => self.mono = None,
            }
        }
        if c {
            match &mut self.mono {
                Some(mono) => mono.last_customer = m,
                None if !agent_holds => {
                    self.mono = Some(MonoState {
                        start: m,
                        last_customer: m,
                    });
                    self.mono_end_if_agent = None;
                }
                None => {}
            }
        }
    }

    fn close_overlap(&mut self, m: u64) {
        if let Some((s, starter)) = self.overlap_start.take()
            && m - s >= hops(self.params.min_overlap_s).max(1)
        {
            self.out.overlaps.push(Overlap {
                start_s: secs(s),
                end_s: secs(m),
                started_by: starter,
            });
        }
    }

    /// Ends the current monologue at `end` (hop, exclusive) or, for `None`,
    /// at the customer's last talk.
    fn end_monologue(&mut self, end: Option<(u64, bool)>) {
        let Some(mono) = self.mono.take() else {
            return;
        };
        let (end, interrupted) = end.unwrap_or((mono.last_customer + 1, false));
        let end = end.max(mono.start);
        let d = secs(end - mono.start);
        if self
            .out
            .longest_monologue
            .is_none_or(|l| d > l.duration_s + 1e-9)
        {
            self.out.longest_monologue = Some(Monologue {
                start_s: secs(mono.start),
                end_s: secs(end),
                duration_s: d,
                interrupted,
            });
        }
    }
}

fn party(role: Role) -> usize {
    match role {
        Role::Customer => CUSTOMER,
        Role::Agent => AGENT,
    }
}

/// The agent's speech rate against the customer's style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaceVerdict {
    /// In step with what the customer's style needs.
    Ok,
    /// Slower than an eagle customer (who wants brisk answers).
    TooSlow,
    /// Faster than a dove or owl customer (who needs time).
    TooFast,
    /// The customer's style is not one the rule is about, or a rate is missing.
    NotApplicable,
}

impl PaceVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            PaceVerdict::Ok => "ok",
            PaceVerdict::TooSlow => "too_slow",
            PaceVerdict::TooFast => "too_fast",
            PaceVerdict::NotApplicable => "not_applicable",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pace {
    pub customer_profile: ProfileType,
    pub customer_rate_syl_s: Option<f64>,
    pub agent_rate_syl_s: Option<f64>,
    /// Agent rate / customer rate.
    pub ratio: Option<f64>,
    pub verdict: PaceVerdict,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recovery {
    /// Highest anger score of the customer, and when.
    pub peak_score: Option<f64>,
    pub peak_s: Option<f64>,
    /// Whether the peak was high enough (tense or worse) to ask.
    pub escalated: bool,
    /// The score fell below the calm threshold after the peak.
    pub recovered: bool,
    /// Seconds from the peak to the first score below the calm threshold.
    pub recovery_s: Option<f64>,
    /// The last anger score of the call.
    pub final_score: Option<f64>,
}

/// The cues of one two-party call.
#[derive(Debug, Clone, PartialEq)]
pub struct Cues {
    pub turns: TurnCues,
    /// Times of the agent's own `anger_rising` alerts.
    pub agent_anger_s: Vec<f64>,
    pub pace: Pace,
    pub recovery: Recovery,
}

/// What one party's analysis says, for the whole-call cues.
pub struct PartyView<'a> {
    pub summary: &'a Measures,
    pub profile: &'a Profile,
    /// The party's anger recovery over the call.
    pub recovery: Recovery,
    pub alerts: &'a [Alert],
}

/// Completes the cues with what needs the whole call.
pub fn whole_call(
    turns: TurnCues,
    customer: &PartyView,
    agent: &PartyView,
    params: &CueParams,
) -> Cues {
    let agent_anger_s = agent
        .alerts
        .iter()
        .filter(|a| a.kind == AlertKind::AngerRising)
        .map(|a| a.time_s)
        .collect();
    Cues {
        turns,
        agent_anger_s,
        pace: pace(customer, agent, params),
        recovery: customer.recovery.clone(),
    }
}

fn pace(customer: &PartyView, agent: &PartyView, params: &CueParams) -> Pace {
    let kind = customer.profile.kind;
    let cr = customer.summary.speech_rate_syl_s;
    let ar = agent.summary.speech_rate_syl_s;
    let ratio = cr.zip(ar).filter(|(c, _)| *c > 0.0).map(|(c, a)| a / c);
    let verdict = match (kind, ratio) {
        (_, None) => PaceVerdict::NotApplicable,
        (ProfileType::Eagle, Some(r)) if r < 1.0 - params.pace_tolerance => PaceVerdict::TooSlow,
        (ProfileType::Dove | ProfileType::Owl, Some(r)) if r > 1.0 + params.pace_tolerance => {
            PaceVerdict::TooFast
        }
        (ProfileType::Eagle | ProfileType::Dove | ProfileType::Owl, Some(_)) => PaceVerdict::Ok,
        _ => PaceVerdict::NotApplicable,
    };
    Pace {
        customer_profile: kind,
        customer_rate_syl_s: cr,
        agent_rate_syl_s: ar,
        ratio,
        verdict,
    }
}

/// Follows the customer's anger score point by point for [`Recovery`]: the
/// peak, and the first calm score after it. Constant memory, however long the
/// call.
#[derive(Debug, Clone)]
pub struct RecoveryTracker {
    calm_score: f64,
    tense_score: f64,
    /// The first of equal highest scores: the moment the anger topped out.
    peak: Option<(f64, f64)>,
    /// The first point after the peak scored below the calm threshold.
    calm_at: Option<f64>,
    last: Option<f64>,
}

impl RecoveryTracker {
    pub fn new(params: &CueParams) -> RecoveryTracker {
        RecoveryTracker {
            calm_score: params.calm_score,
            tense_score: params.tense_score,
            peak: None,
            calm_at: None,
            last: None,
        }
    }

    /// One timeline point (points come in time order).
    pub fn push(&mut self, point: &TimelinePoint) {
        let Some(s) = point.anger_score else { return };
        let t = point.time_s;
        match self.peak {
            Some((_, best)) if best >= s => {
                if self.calm_at.is_none() && s < self.calm_score {
                    self.calm_at = Some(t);
                }
            }
            _ => {
                self.peak = Some((t, s));
                self.calm_at = None;
            }
        }
        self.last = Some(s);
    }

    pub fn finish(&self) -> Recovery {
        let peak = self.peak;
        let escalated = peak.is_some_and(|(_, s)| s >= self.tense_score);
        let calm_at = self.calm_at.filter(|_| escalated);
        Recovery {
            peak_score: peak.map(|p| p.1),
            peak_s: peak.map(|p| p.0),
            escalated,
            recovered: calm_at.is_some(),
            recovery_s: calm_at.zip(peak).map(|(c, (p, _))| c - p),
            final_score: self.last,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds per-hop patterns ('#' = speech) of both parties.
    fn run(customer: &str, agent: &str, params: CueParams) -> TurnCues {
        let mut t = CueTracker::new(CueParams {
            vad_hangover_s: 0.0,
            ..params
        });
        for (c, a) in customer.chars().zip(agent.chars()) {
            t.push(Role::Customer, c == '#', -20.0);
            t.push(Role::Agent, a == '#', -20.0);
        }
        t.finish()
    }

    /// Patterns in tenths of a second: each char is 10 hops.
    fn expand(s: &str) -> String {
        s.chars().flat_map(|c| std::iter::repeat_n(c, 10)).collect()
    }

    fn p() -> CueParams {
        CueParams {
            dead_air_s: 1.0,
            ..CueParams::default()
        }
    }

    #[test]
    fn agent_talking_over_the_customer() {
        let c = expand("..##########........");
        let a = expand("........############");
        let cues = run(&c, &a, p());
        assert_eq!(cues.overlaps.len(), 1);
        let o = cues.overlaps[0];
        assert_eq!(o.started_by, Starter::Agent);
        assert!(
            (o.start_s - 0.8).abs() < 0.015 && (o.end_s - 1.2).abs() < 0.015,
            "{o:?}"
        );
        assert!((cues.customer_talk_s - 1.0).abs() < 0.015);
        assert!((cues.agent_talk_s - 1.2).abs() < 0.015);
        let m = cues.longest_monologue.unwrap();
        assert!(m.interrupted);
        assert!(
            (m.start_s - 0.2).abs() < 0.015 && (m.end_s - 0.8).abs() < 0.015,
            "{m:?}"
        );
    }

    #[test]
    fn customer_barging_in_is_the_customers_overlap() {
        let c = expand("........########....");
        let a = expand("..##########........");
        let cues = run(&c, &a, p());
        assert_eq!(cues.overlaps_by(Starter::Customer).0, 1);
        assert_eq!(cues.overlaps_by(Starter::Agent).0, 0);
    }

    #[test]
    fn dead_air_between_turns_only() {
        // 0.5 s of silence before, 1.5 s between turns, 2 s after.
        let c = expand(".....######.....................");
        let a = expand("..........................######....................");
        let cues = run(&c, &a[..c.len()], p());
        assert_eq!(cues.dead_air.len(), 1, "{:?}", cues.dead_air);
        let d = cues.dead_air[0];
        assert!(
            (d.start_s - 1.1).abs() < 0.015 && (d.end_s - 2.6).abs() < 0.015,
            "{d:?}"
        );
        // A 1.5 s silence with a 2 s threshold is not dead air.
        let cues = run(
            &c,
            &a[..c.len()],
            CueParams {
                dead_air_s: 2.0,
                ..p()
            },
        );
        assert!(cues.dead_air.is_empty());
    }

    #[test]
    fn pauses_inside_a_phrase_and_backchannels_keep_the_monologue() {
        // Customer talks 0.1–3.0 s with a 0.2 s pause (bridged) and a 1.0 s
        // pause (not bridged, but shorter than the monologue gap); the agent
        // says "mm" (0.3 s) in the long pause, then answers at 3.5 s.
        let c = expand(".##########..########..........###########..........");
        let a = expand("......................###..................#######..");
        let cues = run(&c, &a, p());
        let m = cues.longest_monologue.unwrap();
        assert!((m.start_s - 0.1).abs() < 0.015, "{m:?}");
        assert!((m.end_s - 4.2).abs() < 0.015, "{m:?}");
        assert!(!m.interrupted);
        // The pause inside the first phrase is talk.
        assert!((cues.customer_talk_s - (1.0 + 0.2 + 0.8 + 1.1)).abs() < 0.015);
        assert!(cues.overlaps.is_empty());
    }

    #[test]
    fn short_overlaps_are_not_counted() {
        let c = expand("..#####.......");
        let a = expand("......####....");
        // 0.1 s of overlap, under the 0.3 s minimum.
        assert!(run(&c, &a, p()).overlaps.is_empty());
    }

    fn point(t: f64, s: Option<f64>) -> TimelinePoint {
        TimelinePoint {
            time_s: t,
            measures: Measures::default(),
            anger_score: s,
            state: crate::classify::AngerState::Calm,
        }
    }

    #[test]
    fn agent_pace_against_the_customer_profile() {
        use crate::classify::profile::ProfileNorms;
        use crate::classify::profile::classify;
        let norms = ProfileNorms::builtin();
        let lang = norms.language("generic").unwrap();
        let verdict = |kind, customer_rate: f64, agent_rate: f64| {
            let mut profile = classify(&Measures::default(), lang, &norms);
            profile.kind = kind;
            let c = Measures {
                speech_rate_syl_s: Some(customer_rate),
                ..Measures::default()
            };
            let a = Measures {
                speech_rate_syl_s: Some(agent_rate),
                ..Measures::default()
            };
            let view = |m| PartyView {
                summary: m,
                profile: &profile,
                recovery: RecoveryTracker::new(&CueParams::default()).finish(),
                alerts: &[],
            };
            pace(&view(&c), &view(&a), &CueParams::default()).verdict
        };
        assert_eq!(verdict(ProfileType::Eagle, 5.5, 4.0), PaceVerdict::TooSlow);
        assert_eq!(verdict(ProfileType::Eagle, 5.5, 5.2), PaceVerdict::Ok);
        assert_eq!(verdict(ProfileType::Dove, 3.0, 4.0), PaceVerdict::TooFast);
        assert_eq!(verdict(ProfileType::Owl, 3.0, 3.2), PaceVerdict::Ok);
        assert_eq!(
            verdict(ProfileType::Undetermined, 3.0, 6.0),
            PaceVerdict::NotApplicable
        );
    }

    #[test]
    fn recovery_after_the_peak() {
        let tl: Vec<TimelinePoint> = [0.2, 0.3, 0.6, 0.9, 0.7, 0.5, 0.35, 0.2]
            .iter()
            .enumerate()
            .map(|(i, &s)| point(i as f64, Some(s)))
            .collect();
        let recovery = |points: &[TimelinePoint], params: &CueParams| {
            let mut t = RecoveryTracker::new(params);
            for p in points {
                t.push(p);
            }
            t.finish()
        };
        let r = recovery(&tl, &CueParams::default());
        assert_eq!(r.peak_s, Some(3.0));
        assert!(r.escalated && r.recovered);
        assert_eq!(r.recovery_s, Some(3.0));
        assert_eq!(r.final_score, Some(0.2));
        let still_angry = &tl[..5];
        let r = recovery(still_angry, &CueParams::default());
        assert!(r.escalated && !r.recovered && r.recovery_s.is_none());
        let calm: Vec<TimelinePoint> = (0..5).map(|i| point(i as f64, Some(0.2))).collect();
        assert!(!recovery(&calm, &CueParams::default()).escalated);
        // A calm spell, then a higher peak: the recovery counts from the higher one.
        let twice: Vec<TimelinePoint> = [0.2, 0.8, 0.1, 0.9, 0.5, 0.15, 0.1]
            .iter()
            .enumerate()
            .map(|(i, &s)| point(i as f64, Some(s)))
            .collect();
        let r = recovery(&twice, &CueParams::default());
        assert_eq!((r.peak_s, r.recovery_s), (Some(3.0), Some(2.0)));
        // Unscored points change nothing.
        let mut gaps = twice.clone();
        gaps.insert(4, point(3.5, None));
        assert_eq!(recovery(&gaps, &CueParams::default()), r);
    }
}
