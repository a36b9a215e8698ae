//! Escalation state of one party: calm → tense → angry, with hysteresis and a
//! minimum time of evidence, so that one loud word does not raise an alarm and
//! one quiet word does not end an episode.
//!
//! A high score counts as evidence of anger only with the pitch raised over
//! the baseline (see [`EscalationParams::min_pitch_rise_st`]).
//!
//! `anger_rising` fires when the state enters `angry`, once per episode; the
//! alarm re-arms only after the party has sounded calm for a while. Points
//! without enough speech (the party is listening) leave everything as it is:
//! silence is neither evidence of anger nor of calm.

use serde::Serialize;

/// Where a party is on the way to anger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AngerState {
    /// The baseline is still being learnt from the party's first speech.
    Learning,
    Calm,
    Tense,
    Angry,
}

impl AngerState {
    pub fn as_str(self) -> &'static str {
        match self {
            AngerState::Learning => "learning",
            AngerState::Calm => "calm",
            AngerState::Tense => "tense",
            AngerState::Angry => "angry",
        }
    }
}

/// Thresholds on the anger score and times, in seconds of timeline.
#[derive(Debug, Clone, Copy)]
pub struct EscalationParams {
    /// Score at which a calm party counts as tense.
    pub tense_score: f64,
    /// Score that, held for `evidence_s`, makes a tense party angry.
    pub angry_score: f64,
    /// Below this score a party is calming down.
    pub calm_score: f64,
    pub evidence_s: f64,
    /// Time below `calm_score` to step down one state.
    pub calm_down_s: f64,
    /// Time calm before a new episode can raise a new alert.
    pub rearm_s: f64,
    /// Least rise of pitch over the baseline, semitones, for a high score to
    /// count as evidence of anger. Raised pitch is the most reliable sign of
    /// anger against the caller's own baseline; a window that scores high on
    /// voice quality alone (one brighter calm sentence) is not enough.
    pub min_pitch_rise_st: f64,
}

impl Default for EscalationParams {
    fn default() -> Self {
        Self {
            tense_score: 0.5,
            angry_score: 0.7,
            calm_score: 0.4,
            evidence_s: 0.5,
            calm_down_s: 4.0,
            rearm_s: 20.0,
            min_pitch_rise_st: 3.5,
        }
    }
}

/// The state machine. Feed it every timeline point.
#[derive(Debug, Clone)]
pub struct Escalation {
    params: EscalationParams,
    state: AngerState,
    above_s: f64,
    below_s: f64,
    calm_s: f64,
    armed: bool,
}

impl Escalation {
    pub fn new(params: EscalationParams) -> Self {
        Self {
            params,
            state: AngerState::Learning,
            above_s: 0.0,
            below_s: 0.0,
            calm_s: 0.0,
            armed: true,
        }
    }

    pub fn state(&self) -> AngerState {
        self.state
    }

    /// Takes the score of the latest point (`None`: not enough speech to
    /// judge) and the time since the previous point; returns true when an
    /// `anger_rising` alert must fire now.
    pub fn update(&mut self, score: Option<f64>, dt: f64) -> bool {
        self.update_with_pitch(score, Some(f64::INFINITY), dt)
    }

    /// As [`Self::update`], with the window's pitch over the baseline
    /// (semitones; `None` when the window has no pitch): a high score counts
    /// as evidence only with at least `min_pitch_rise_st` of it.
    pub fn update_with_pitch(
        &mut self,
        score: Option<f64>,
        pitch_rise_st: Option<f64>,
        dt: f64,
    ) -> bool {
        let p = self.params;
        let Some(score) = score else {
            return false;
        };
        if self.state == AngerState::Learning {
            self.state = AngerState::Calm;
        }
        let raised = pitch_rise_st.is_some_and(|r| r >= p.min_pitch_rise_st);
        if score >= p.angry_score && raised {
            self.above_s += dt;
        } else {
            self.above_s = 0.0;
        }
        if score < p.calm_score {
            self.below_s += dt;
        } else {
            self.below_s = 0.0;
        }
        let mut fire = false;
        match self.state {
            AngerState::Learning | AngerState::Calm => {
                if score >= p.tense_score {
                    self.state = AngerState::Tense;
                }
            }
            AngerState::Tense => {
                if self.above_s >= p.evidence_s {
                    self.state = AngerState::Angry;
                    fire = self.armed;
                    self.armed = false;
                } else if self.below_s >= p.calm_down_s {
                    self.state = AngerState::Calm;
                    self.below_s = 0.0;
                }
            }
            AngerState::Angry => {
                if self.below_s >= p.calm_down_s {
                    self.state = AngerState::Tense;
                    self.below_s = 0.0;
                }
            }
        }
        if self.state == AngerState::Calm {
            self.calm_s += dt;
            if self.calm_s >= p.rearm_s {
                self.armed = true;
            }
        } else {
            self.calm_s = 0.0;
        }
        fire
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fixed settings, so the tests check the mechanism, not the tuning.
    fn params() -> EscalationParams {
        EscalationParams {
            tense_score: 0.5,
            angry_score: 0.7,
            calm_score: 0.4,
            evidence_s: 1.0,
            calm_down_s: 4.0,
            rearm_s: 20.0,
            min_pitch_rise_st: 2.0,
        }
    }

    fn run(e: &mut Escalation, score: Option<f64>, seconds: f64) -> usize {
        let n = (seconds / 0.25).round() as usize;
        (0..n).filter(|_| e.update(score, 0.25)).count()
    }

    #[test]
    fn fires_once_per_episode_after_enough_evidence() {
        let mut e = Escalation::new(params());
        assert_eq!(e.state(), AngerState::Learning);
        assert_eq!(run(&mut e, Some(0.1), 10.0), 0);
        assert_eq!(e.state(), AngerState::Calm);
        // A single loud moment is not enough.
        assert_eq!(run(&mut e, Some(0.9), 0.5), 0);
        assert_eq!(e.state(), AngerState::Tense);
        assert_eq!(run(&mut e, Some(0.9), 5.0), 1);
        assert_eq!(e.state(), AngerState::Angry);
        // Brief calm, anger again: same episode, no second alert.
        assert_eq!(run(&mut e, Some(0.1), 5.0), 0);
        assert_eq!(run(&mut e, Some(0.9), 5.0), 0);
        // Calm for long enough re-arms.
        assert_eq!(run(&mut e, Some(0.1), 30.0), 0);
        assert_eq!(e.state(), AngerState::Calm);
        assert_eq!(run(&mut e, Some(0.9), 5.0), 1);
    }

    #[test]
    fn a_high_score_without_raised_pitch_is_no_evidence() {
        let mut e = Escalation::new(params());
        let mut fired = 0;
        for _ in 0..40 {
            fired += e.update_with_pitch(Some(0.1), Some(0.0), 0.25) as usize;
        }
        for _ in 0..20 {
            fired += e.update_with_pitch(Some(0.95), Some(1.0), 0.25) as usize;
            fired += e.update_with_pitch(Some(0.95), None, 0.25) as usize;
        }
        assert_eq!(fired, 0);
        assert_eq!(e.state(), AngerState::Tense);
        for _ in 0..4 {
            fired += e.update_with_pitch(Some(0.95), Some(4.0), 0.25) as usize;
        }
        assert_eq!(fired, 1);
        assert_eq!(e.state(), AngerState::Angry);
    }

    #[test]
    fn silence_changes_nothing() {
        let mut e = Escalation::new(params());
        run(&mut e, Some(0.1), 2.0);
        run(&mut e, Some(0.9), 0.75);
        assert_eq!(run(&mut e, None, 60.0), 0);
        assert_eq!(e.state(), AngerState::Tense);
        // Evidence continues where it stopped.
        assert_eq!(run(&mut e, Some(0.9), 0.5), 1);
    }
}
