//! Accuracy gates CI holds: the level each figure has actually reached (a
//! ratchet that catches regressions), not the target where it is not reached
//! yet. Raise a gate whenever a figure improves.

/// Anger vs rest, leave-one-speaker-out UAR. Reached: EmoDB 0.854, EMOVO
/// 0.810, telephone EmoDB 0.854 (24 features, clean training: 0.856 / 0.783
/// / 0.863; 41 features, clean training: 0.858 / 0.808 / 0.858); the
/// held-out speaker in white noise 20 dB below the speech: 0.872 / 0.817.
/// With the neural nucleus model's speech rates: 0.853 / 0.810 / 0.854,
/// noise 0.874 / 0.818. With each language's own terms beside the shared
/// weights: 0.884 / 0.826 / 0.875, noise 0.890 / 0.829 (the shared weights
/// alone, as an unknown language gets: 0.843 / 0.818).
pub const ANGER_UAR_EMODB: f64 = 0.88;
pub const ANGER_UAR_EMOVO: f64 = 0.82;
pub const ANGER_UAR_TELEPHONE_EMODB: f64 = 0.87;
pub const ANGER_UAR_NOISE_EMODB: f64 = 0.885;
pub const ANGER_UAR_NOISE_EMOVO: f64 = 0.825;
/// Speech rate against EmoDB syllables (target r 0.85 / MAE 0.6 clean, r 0.80 telephone).
/// MAE 1.07 -> 0.80 with the nucleus model's rate scale (fitted on the even
/// speakers; the odd ones: 1.11 -> 0.79). The neural nucleus model (was a
/// logistic regression): r 0.701 -> 0.735, MAE 0.80 -> 0.76, telephone r
/// 0.694 -> 0.722 (the odd speakers, never heard: 0.673 -> 0.688 clean,
/// 0.708 -> 0.688 telephone). A committee of four peak-pickers (was one):
/// r 0.735 -> 0.763, MAE 0.76 -> 0.71, telephone r 0.722 -> 0.744, MAE 0.79
/// -> 0.74 (odd speakers: 0.688 -> 0.727 clean, 0.688 -> 0.720 telephone).
pub const RATE_R_CLEAN: f64 = 0.76;
pub const RATE_MAE_CLEAN: f64 = 0.72;
pub const RATE_R_TELEPHONE: f64 = 0.74;
/// Escalation alerts on calls built from the corpora.
/// Reached: 15 of 16, median 1.48 s, no false alert on neutral or sad calls.
/// The model with language terms (calls judged in their corpus's language):
/// 15 of 16, median 1.64 s (target 2.0 s), none on neutral or sad, happy
/// calls 0.693 -> 0.635/min. The delay gate was let out to 1.65 s for it:
/// an evidence time of 0.25 s instead of 0.5 s would give 1.48 s, but a
/// replay without the pitch-rise guard showed that shorter evidence is what
/// lets false alerts through, and a late alert costs the agent less than a
/// false one.
/// The false-alert gates allow one alert (0.057/min) over the reached zero:
/// the counts are whole alerts over about 18 minutes of each kind of call.
pub const CALLS_DETECTED: f64 = 0.93;
pub const CALLS_MEDIAN_DELAY_S: f64 = 1.65;
pub const CALLS_FALSE_PER_MIN_NEUTRAL: f64 = 0.06;
pub const CALLS_FALSE_PER_MIN_SAD: f64 = 0.06;
/// Caller profiles on modified neutral speech. The learnt syllable nuclei
/// (rate r 0.68 -> 0.70) moved one of 64 modified stretches (EMOVO m1, slow)
/// to undetermined (84.4 % -> 82.8 %) and one unmodified one from eagle to
/// undetermined (93.8 % -> 100 %). With 32 s of speech per variant (was 24 s,
/// too short for the tempo x1.3 variants to settle) 58 of 64 (90.6 %).
/// The neural nucleus model moved the same unmodified stretch (EMOVO m1)
/// back to eagle (100 % -> 93.8 %): its long-term rate reads 5.7 syl/s at
/// 23 s of speech, against 4.77 of the other Italian speakers (assertiveness
/// 1.05, just over the margin), and 5.1 by the end of its 39 s.
pub const PROFILES_INTENDED: f64 = 0.90;
pub const PROFILES_UNMODIFIED_UNDETERMINED: f64 = 0.93;
/// Agent cues on two-party calls built from the corpora (`eval cues`; targets
/// 95 % of overlaps and dead air within ±0.3 s, talk share within 2 points).
/// With the truth measured in the telephone band and above the line noise
/// (it counted sibilants above 4 kHz and sub-noise tails): overlaps 96.4 %
/// (27/28, was 88.6 % of 35), dead air 100 % (44/44, was 97.4 %). With
/// faint tails cut (`cues::turns::TailGate`): talk share within 2 points in
/// 16 of 16 calls (was 15).
pub const CUES_OVERLAPS_FOUND: f64 = 0.96;
pub const CUES_STARTER_RIGHT: f64 = 0.97;
pub const CUES_DEAD_AIR_FOUND: f64 = 0.99;
pub const CUES_SHARE_WITHIN_2PP: f64 = 0.99;
