//! `tonewatch eval`: accuracy figures.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use clap::{Args, ValueEnum};
use tonewatch::analyzer::AnalyzerConfig;
use tonewatch::classify::profile::ProfileNorms;
use tonewatch::eval;
use tonewatch::eval::corpus::Corpus;
use tonewatch::eval::gates;
use tonewatch::eval::pitch_real::{self, RealFigures, RealRow};
use tonewatch::eval::pitch_synth::{self, PitchScore};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Which {
    Rate,
    /// Pitch tracking on synthetic voices with exact F0 truth (no corpus needed).
    PitchSynth,
    /// Pitch variation of the corpora, clean vs telephone channel.
    PitchReal,
    /// Active speech level under gain, noise and silence.
    Volume,
    /// Anger vs rest, leave one speaker out.
    Anger,
    /// Escalation alerts on calls built from the corpora.
    Calls,
    /// Caller profiles on speech modified towards each style.
    Profiles,
    /// Agent cues (overlaps, dead air, talk share) on two-party calls built from the corpora.
    Cues,
}

#[derive(Args)]
pub struct EvalArgs {
    which: Which,
    /// Folder of the corpora (default: $TONEWATCH_DATA or ../shared/data).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Write per-file rows as CSV here.
    #[arg(long)]
    rows: Option<PathBuf>,
    /// calls, cues: also write the built calls as WAV files into this folder.
    #[arg(long, value_name = "DIR", alias = "write")]
    write_calls: Option<PathBuf>,
    /// cues: number of calls to build (default: one per speaker).
    #[arg(long, value_name = "N")]
    calls: Option<usize>,
    /// cues: minimum length of each call, s.
    #[arg(long, value_name = "S", default_value_t = 60.0)]
    seconds: f64,
    /// cues: build the calls from synthetic voices instead of the corpora (8 kHz).
    #[arg(long)]
    synthetic: bool,
    /// cues: only build (and write) the calls, do not score them.
    #[arg(long)]
    no_score: bool,
}

/// The corpus folder: given, or found at the default places.
pub fn corpus_dir(given: Option<PathBuf>) -> Result<PathBuf> {
    given
        .or_else(eval::corpus::data_dir)
        .ok_or_else(|| anyhow!("no corpus data: set TONEWATCH_DATA or put it at ../shared/data"))
}

pub fn run(a: EvalArgs) -> Result<ExitCode> {
    let config = AnalyzerConfig::default();
    let data = || corpus_dir(a.data.clone());
    match a.which {
        Which::Rate => {
            let (rows, f) = eval::rate::evaluate(&data()?, config).map_err(|e| anyhow!(e))?;
            if let Some(p) = &a.rows {
                let mut w = std::fs::File::create(p).with_context(|| p.display().to_string())?;
                writeln!(
                    w,
                    "file,speaker,truth_n,truth_dur,truth_rate,clean_n,clean_speech,clean_rate,tel_n,tel_speech,tel_rate"
                )?;
                for r in &rows {
                    writeln!(
                        w,
                        "{},{},{},{:.3},{:.3},{},{:.3},{:.3},{},{:.3},{:.3}",
                        r.file,
                        r.speaker,
                        r.truth_syllables,
                        r.truth_duration_s,
                        r.truth_rate,
                        r.clean_syllables,
                        r.clean_speech_s,
                        r.clean_rate.unwrap_or(f64::NAN),
                        r.tel_syllables,
                        r.tel_speech_s,
                        r.tel_rate.unwrap_or(f64::NAN)
                    )?;
                }
            }
            say!(
                "speech rate, EmoDB ({} files, syllables of the audible 2 s per second of speech): clean r = {:.3}, MAE = {:.2} syl/s; telephone r = {:.3}, MAE = {:.2} syl/s",
                f.files,
                f.clean_r,
                f.clean_mae,
                f.tel_r,
                f.tel_mae
            );
            for (name, h) in [
                (
                    "tuning half (even speakers, the nucleus model's training speakers)",
                    f.tuning,
                ),
                ("check half (odd speakers, never seen in training)", f.check),
            ] {
                say!(
                    "  {name}, {} files: clean r = {:.3}, MAE = {:.2} syl/s; telephone r = {:.3}, MAE = {:.2} syl/s",
                    h.files,
                    h.clean_r,
                    h.clean_mae,
                    h.tel_r,
                    h.tel_mae
                );
            }
            print_checks(&[
                (
                    "rate r clean (gate; target 0.85)",
                    format!("{:.3}", f.clean_r),
                    format!("≥ {:.2}", gates::RATE_R_CLEAN),
                    f.clean_r >= gates::RATE_R_CLEAN,
                ),
                (
                    "rate MAE clean (gate; target 0.6 syl/s)",
                    format!("{:.2} syl/s", f.clean_mae),
                    format!("≤ {:.2}", gates::RATE_MAE_CLEAN),
                    f.clean_mae <= gates::RATE_MAE_CLEAN,
                ),
                (
                    "rate r telephone (gate; target 0.80)",
                    format!("{:.3}", f.tel_r),
                    format!("≥ {:.2}", gates::RATE_R_TELEPHONE),
                    f.tel_r >= gates::RATE_R_TELEPHONE,
                ),
            ])
        }
        Which::PitchSynth => {
            let f = pitch_synth::evaluate(config).map_err(|e| anyhow!(e))?;
            say!(
                "pitch on synthetic voices: {} s per F0 range ({} seeds), white noise at {} dB SNR, made at {} Hz",
                pitch_synth::SIGNAL_S * pitch_synth::SEEDS.count() as f64,
                pitch_synth::SEEDS.count(),
                pitch_synth::SNR_DB,
                pitch_synth::SIGNAL_RATE
            );
            say!(
                "frames scored where the 32 ms window is wholly voiced or wholly unvoiced; mixed frames left out"
            );
            say!(
                "{:<24} {:>6} {:>6} {:>6} {:>7} {:>7} {:>7} | {:>7} {:>7}",
                "condition",
                "voiced",
                "unvcd",
                "mixed",
                "GPE%",
                "fine%",
                "VDE%",
                "telGPE%",
                "telVDE%"
            );
            let line = |name: &str, c: &PitchScore, t: &PitchScore| -> Result<()> {
                say!(
                    "{:<24} {:>6} {:>6} {:>6} {:>7.2} {:>7.3} {:>7.2} | {:>7.2} {:>7.2}",
                    name,
                    c.truth_voiced,
                    c.truth_unvoiced,
                    c.mixed,
                    100.0 * c.gpe(),
                    100.0 * c.fine_median(),
                    100.0 * c.vde(),
                    100.0 * t.gpe(),
                    100.0 * t.vde()
                );
                Ok(())
            };
            for &(lo, hi) in &pitch_synth::RANGES_HZ {
                let in_range = |s: &pitch_synth::SignalScores| s.f0_lo == lo && s.f0_hi == hi;
                let (c, t) = f.merged(in_range);
                line(&format!("{lo:.0}-{hi:.0} Hz"), &c, &t)?;
                let (c, t) = f.merged(|s| in_range(s) && s.is_tuning_half());
                line("  tuning (odd seeds)", &c, &t)?;
                let (c, t) = f.merged(|s| in_range(s) && !s.is_tuning_half());
                line("  check (even seeds)", &c, &t)?;
            }
            let (c, t) = f.merged(|s| s.is_tuning_half());
            line("all, tuning half", &c, &t)?;
            let (c, t) = f.merged(|s| !s.is_tuning_half());
            line("all, check half", &c, &t)?;
            line("all", &f.clean, &f.tel)?;
            let checks: Vec<_> = f
                .checks()
                .into_iter()
                .map(|(name, v, max, ok)| {
                    (
                        name,
                        format!("{:.2} %", 100.0 * v),
                        format!("≤ {:.0} %", 100.0 * max),
                        ok,
                    )
                })
                .collect();
            print_checks(&checks)
        }
        Which::PitchReal => {
            let f = pitch_real::evaluate(&data()?, config).map_err(|e| anyhow!(e))?;
            if let Some(p) = &a.rows {
                write_real_rows(p, &f.rows)?;
            }
            print_real(&f)?;
            let checks: Vec<_> = f
                .checks()
                .into_iter()
                .map(|(name, v, min, ok)| {
                    (
                        name,
                        format!("{:.1} %", 100.0 * v),
                        format!("≥ {:.0} %", 100.0 * min),
                        ok,
                    )
                })
                .collect();
            print_checks(&checks)
        }
        Which::Volume => {
            let f = eval::volume::evaluate(&data()?, config).map_err(|e| anyhow!(e))?;
            say!(
                "volume over EmoDB+EMOVO ({} files, {} without a level): gain ±12 dB: max error {:.3} dB; white noise at 20 dB SNR: mean shift {:.2} dB, max {:.2} dB",
                f.files,
                f.no_level,
                f.max_gain_error_db,
                f.mean_noise_shift_db,
                f.max_noise_shift_db
            );
            print_checks(&[
                (
                    "level follows ±12 dB gain within 0.1 dB",
                    format!("{:.1} % of cases", 100.0 * f.gain_within_0_1),
                    "100 %".into(),
                    f.gain_within_0_1 >= 1.0,
                ),
                (
                    "level moves ≤ 1 dB with noise at 20 dB SNR",
                    format!("{:.1} % of files", 100.0 * f.noise_within_1),
                    "100 %".into(),
                    f.noise_within_1 >= 1.0,
                ),
                (
                    "silence and noise-only inputs given a level",
                    format!(
                        "{} of {}",
                        f.silence_with_level,
                        eval::volume::silence_cases().len()
                    ),
                    "0".into(),
                    f.silence_with_level == 0,
                ),
            ])
        }
        Which::Cues => run_cues(&a, data),
        Which::Calls => {
            let data = data()?;
            if let Some(dir) = &a.write_calls {
                std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
                let list = dir.join("calls.csv");
                let mut index = String::from("file,kind,duration_s,turn_s\n");
                for c in eval::calls::build(&data).map_err(|e| anyhow!(e))? {
                    index += &format!(
                        "{}.wav,{:?},{:.3},{}\n",
                        c.name,
                        c.kind,
                        c.samples.len() as f64 / f64::from(c.sample_rate),
                        c.turn_s().map_or(String::new(), |t| format!("{t:.3}"))
                    );
                    let path = dir.join(format!("{}.wav", c.name));
                    let spec = hound::WavSpec {
                        channels: 1,
                        sample_rate: c.sample_rate,
                        bits_per_sample: 16,
                        sample_format: hound::SampleFormat::Int,
                    };
                    let mut w = hound::WavWriter::create(&path, spec)
                        .with_context(|| path.display().to_string())?;
                    for v in &c.samples {
                        w.write_sample((v.clamp(-1.0, 1.0) * 32767.0).round() as i16)?;
                    }
                    w.finalize()?;
                }
                std::fs::write(&list, index).with_context(|| list.display().to_string())?;
            }
            let f = eval::calls::evaluate(&data, config, eval::anger::DEFAULT_L2)
                .map_err(|e| anyhow!(e))?;
            for r in &f.results {
                say!(
                    "  {:<28} {:>6.1} s  turn {:>6}  alerts {:?}",
                    r.name,
                    r.duration_s,
                    r.turn_s.map_or("-".to_string(), |t| format!("{t:.1}")),
                    r.alerts
                );
            }
            let share = f.detected as f64 / f.escalations.max(1) as f64;
            say!(
                "escalation calls: {} of {} alerted ({:.0} %), median delay from the first angry utterance {:.2} s",
                f.detected,
                f.escalations,
                100.0 * share,
                f.median_delay_s
            );
            for (k, v) in &f.false_per_min {
                say!(
                    "false anger_rising alerts per minute, {k} calls{}: {v:.3}",
                    if *k == "escalation" {
                        " (calm part)"
                    } else {
                        ""
                    }
                );
            }
            let fpm = |k: &str| f.false_per_min.get(k).copied().unwrap_or(f64::NAN);
            print_checks(&[
                (
                    "escalations alerted (gate; target 90 %)",
                    format!("{:.1} %", 100.0 * share),
                    format!("≥ {:.0} %", 100.0 * gates::CALLS_DETECTED),
                    share >= gates::CALLS_DETECTED,
                ),
                (
                    "median alert delay (gate; target 2.0 s)",
                    format!("{:.2} s", f.median_delay_s),
                    format!("≤ {:.2} s", gates::CALLS_MEDIAN_DELAY_S),
                    f.median_delay_s <= gates::CALLS_MEDIAN_DELAY_S,
                ),
                (
                    "false alerts/min on neutral calls (gate; target 0.1)",
                    format!("{:.3}", fpm("neutral")),
                    format!("≤ {:.2}", gates::CALLS_FALSE_PER_MIN_NEUTRAL),
                    fpm("neutral") <= gates::CALLS_FALSE_PER_MIN_NEUTRAL,
                ),
                (
                    "false alerts/min on sad calls (gate; target 0.1)",
                    format!("{:.3}", fpm("sad")),
                    format!("≤ {:.2}", gates::CALLS_FALSE_PER_MIN_SAD),
                    fpm("sad") <= gates::CALLS_FALSE_PER_MIN_SAD,
                ),
            ])
        }
        Which::Profiles => {
            let f = eval::profiles::evaluate(&data()?, &ProfileNorms::builtin())
                .map_err(|e| anyhow!(e))?;
            let fmt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
            for r in &f.results {
                say!(
                    "  {:<12} {:<18} want {:<12} got {:<12} rate {:>5} level {:>7} pitch SD {:>5}",
                    r.speaker,
                    r.variant,
                    r.intended.as_str(),
                    r.got.as_str(),
                    fmt(r.rate),
                    fmt(r.level),
                    fmt(r.pitch_sd)
                );
            }
            print_checks(&[
                (
                    "modified speech named as intended (gate; target 90 %)",
                    format!("{:.1} %", 100.0 * f.intended_share),
                    format!("≥ {:.0} %", 100.0 * gates::PROFILES_INTENDED),
                    f.intended_share >= gates::PROFILES_INTENDED,
                ),
                (
                    "unmodified neutral speech left undetermined (gate)",
                    format!("{:.1} %", 100.0 * f.unmodified_undetermined),
                    format!("≥ {:.0} %", 100.0 * gates::PROFILES_UNMODIFIED_UNDETERMINED),
                    f.unmodified_undetermined >= gates::PROFILES_UNMODIFIED_UNDETERMINED,
                ),
            ])
        }
        Which::Anger => {
            let examples = eval::anger::build_dataset(&data()?, config).map_err(|e| anyhow!(e))?;
            let f = eval::anger::leave_one_speaker_out(&examples, eval::anger::DEFAULT_L2);
            for (s, c, t) in &f.per_speaker {
                say!("  held-out {s}: UAR clean {c:.3}, telephone {t:.3}");
            }
            say!(
                "anger vs rest, leave-one-speaker-out UAR (baseline: the speaker's own neutral utterances): EmoDB {:.3}, EMOVO {:.3}; never trained on the telephone channel, tested through it: EmoDB {:.3}, EMOVO {:.3}; held-out speaker in white noise {} dB below the speech: EmoDB {:.3}, EMOVO {:.3}",
                f.uar_emodb,
                f.uar_emovo,
                f.uar_telephone_emodb,
                f.uar_telephone_emovo,
                eval::anger::TRAINING_NOISE_SNR_DB,
                f.uar_noisy_emodb,
                f.uar_noisy_emovo
            );
            say!(
                "  judged by the weights shared by all languages alone (as a language without its own terms is, e.g. --language generic): EmoDB {:.3}, EMOVO {:.3}",
                f.uar_shared_emodb,
                f.uar_shared_emovo
            );
            let gate = |name: &'static str, v: f64, g: f64| {
                (name, format!("{v:.3}"), format!("≥ {g:.3}"), v >= g)
            };
            print_checks(&[
                gate(
                    "anger UAR EmoDB (gate; target 0.88)",
                    f.uar_emodb,
                    gates::ANGER_UAR_EMODB,
                ),
                gate(
                    "anger UAR EMOVO (gate; target 0.82)",
                    f.uar_emovo,
                    gates::ANGER_UAR_EMOVO,
                ),
                gate(
                    "anger UAR EmoDB through telephone (gate; target 0.85)",
                    f.uar_telephone_emodb,
                    gates::ANGER_UAR_TELEPHONE_EMODB,
                ),
                gate(
                    "anger UAR EmoDB in white noise at 20 dB SNR (gate)",
                    f.uar_noisy_emodb,
                    gates::ANGER_UAR_NOISE_EMODB,
                ),
                gate(
                    "anger UAR EMOVO in white noise at 20 dB SNR (gate)",
                    f.uar_noisy_emovo,
                    gates::ANGER_UAR_NOISE_EMOVO,
                ),
            ])
        }
    }
}

/// Prints one line per gated figure; failure if any fails.
fn run_cues(a: &EvalArgs, data: impl Fn() -> Result<PathBuf>) -> Result<ExitCode> {
    use tonewatch::eval::cues;
    // Calls are built one at a time (a thousand minute-long calls do not fit
    // in memory at once). Synthetic calls draw on 8 voice pairs, so building
    // many costs placement, not synthesis.
    let rate = 8000;
    let mut voices: BTreeMap<usize, (Vec<cues::Piece>, Vec<cues::Piece>)> = BTreeMap::new();
    let pieces = if a.synthetic {
        None
    } else {
        Some(cues::corpus_pieces(&data()?).map_err(|e| anyhow!(e))?)
    };
    let count = a
        .calls
        .unwrap_or_else(|| pieces.as_ref().map_or(16, |p| p.len()));
    let mut build = |k: usize| -> cues::TwoPartyCall {
        match &pieces {
            Some(p) => cues::corpus_call(p, k, a.seconds),
            None => {
                let v = k % 8;
                let (customer, agent) = voices.entry(v).or_insert_with(|| {
                    let seed = v as u64;
                    (
                        cues::synthetic_pieces(
                            rate,
                            180.0 + 8.0 * (v % 6) as f64,
                            4.5,
                            12,
                            2 * seed + 1,
                        ),
                        cues::synthetic_pieces(
                            rate,
                            110.0 + 6.0 * (v % 5) as f64,
                            4.0,
                            12,
                            2 * seed + 2,
                        ),
                    )
                });
                cues::build_call(
                    format!("synth-{k:04}"),
                    rate,
                    customer,
                    agent,
                    a.seconds,
                    k as u64,
                )
            }
        }
    };
    if let Some(dir) = &a.write_calls {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    }
    let options = tonewatch::offline::Options::default();
    let mut score = cues::CueScore::default();
    for k in 0..count {
        let c = build(k);
        if let Some(dir) = &a.write_calls {
            c.write_wav(&dir.join(format!("{}.wav", c.name)))
                .map_err(|e| anyhow!(e))?;
        }
        if !a.no_score {
            let report = cues::analyze(&c, &options).map_err(|e| anyhow!(e))?;
            score.add(&c.truth, &report, c.duration_s());
        }
    }
    if let Some(dir) = &a.write_calls {
        say!(
            "wrote {count} stereo calls (customer left, agent right) to {}",
            dir.display()
        );
    }
    if a.no_score {
        return Ok(ExitCode::SUCCESS);
    }
    say!(
        "{} two-party calls ({:.1} min; {}), events within ±{} s of the truth at both ends; truth speech extent: 10 ms RMS in 300–3400 Hz within {} dB of the utterance's peak and above the line noise",
        score.calls,
        score.audio_s / 60.0,
        if a.synthetic {
            "synthetic voices"
        } else {
            "EmoDB and EMOVO speakers, customer and agent from the same corpus"
        },
        cues::TOLERANCE_S,
        cues::EXTENT_DB
    );
    say!(
        "overlaps: {} of {} found ({:.1} %), {} detected in all ({:.1} % of them true), who started it right in {} of {} found",
        score.overlaps_found,
        score.overlaps,
        100.0 * score.overlap_recall(),
        score.overlaps_detected,
        100.0 * score.overlap_precision(),
        score.starters_right,
        score.overlaps_found
    );
    say!(
        "dead air (> 5 s): {} of {} found ({:.1} %), {} detected in all ({:.1} % of them true)",
        score.dead_air_found,
        score.dead_air,
        100.0 * score.dead_air_recall(),
        score.dead_air_detected,
        100.0 * score.dead_air_precision()
    );
    for m in &score.misses {
        say!("  {m}");
    }
    let mut errs = score.share_errors_pp.clone();
    errs.sort_by(f64::total_cmp);
    say!(
        "customer talk share: {:.1} % of calls within 2 points, median error {:.2}, max {:.2} points",
        100.0 * score.share_within(2.0),
        errs.get(errs.len() / 2).copied().unwrap_or(f64::NAN),
        score.max_share_error_pp()
    );
    if a.synthetic {
        return Ok(ExitCode::SUCCESS);
    }
    let starter = score.starters_right as f64 / score.overlaps_found.max(1) as f64;
    print_checks(&[
        (
            "overlaps found (gate; target 95 %)",
            format!("{:.1} %", 100.0 * score.overlap_recall()),
            format!("≥ {:.1} %", 100.0 * gates::CUES_OVERLAPS_FOUND),
            score.overlap_recall() >= gates::CUES_OVERLAPS_FOUND,
        ),
        (
            "overlap starter right (gate)",
            format!("{:.1} %", 100.0 * starter),
            format!("≥ {:.1} %", 100.0 * gates::CUES_STARTER_RIGHT),
            starter >= gates::CUES_STARTER_RIGHT,
        ),
        (
            "dead air found (gate; target 95 %)",
            format!("{:.1} %", 100.0 * score.dead_air_recall()),
            format!("≥ {:.1} %", 100.0 * gates::CUES_DEAD_AIR_FOUND),
            score.dead_air_recall() >= gates::CUES_DEAD_AIR_FOUND,
        ),
        (
            "calls with talk share within 2 points (gate; target 100 %)",
            format!("{:.1} %", 100.0 * score.share_within(2.0)),
            format!("≥ {:.1} %", 100.0 * gates::CUES_SHARE_WITHIN_2PP),
            score.share_within(2.0) >= gates::CUES_SHARE_WITHIN_2PP,
        ),
    ])
}

fn print_checks(checks: &[(&str, String, String, bool)]) -> Result<ExitCode> {
    for (name, value, threshold, ok) in checks {
        say!(
            "{name}: {value} (threshold {threshold}): {}",
            if *ok { "PASS" } else { "FAIL" }
        );
    }
    Ok(if checks.iter().all(|c| c.3) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_real(f: &RealFigures) -> Result<()> {
    let agree_line = |name: &str, rows: &mut dyn Iterator<Item = &RealRow>| -> Result<()> {
        let c = pitch_real::AgreeCounts::of(rows);
        say!(
            "{name:<28} {:>5} utterances: {:>5.1} % within {} st ({} agree, {} differ, {} pitch in one version only; {} without pitch in both, not counted)",
            c.counted() + c.both_none,
            100.0 * c.share(),
            pitch_real::AGREE_ST,
            c.agree,
            c.differ,
            c.one_none,
            c.both_none
        );
        Ok(())
    };
    for corpus in [Corpus::EmoDb, Corpus::Emovo] {
        let of = |r: &&RealRow| r.corpus == corpus;
        agree_line(&format!("{corpus}"), &mut f.rows.iter().filter(of))?;
        agree_line(
            "  tuning half (even speakers)",
            &mut f.rows.iter().filter(of).filter(|r| r.tuning_half),
        )?;
        agree_line(
            "  check half (odd speakers)",
            &mut f.rows.iter().filter(of).filter(|r| !r.tuning_half),
        )?;
    }
    agree_line("overall", &mut f.rows.iter())?;
    let neutral = || {
        f.rows
            .iter()
            .filter(|r| r.corpus == Corpus::EmoDb && r.emotion == "neutral")
    };
    let (c, t, n) = pitch_real::mean_pair(neutral(), |m| m.pitch_sd_st);
    say!(
        "EmoDB neutral ({n}): mean pitch SD clean {c:.2} st, telephone {t:.2} st (Praat: 3.3 → 5.5)"
    );
    let (c, t, n) = pitch_real::mean_pair(neutral(), |m| m.pitch_range_st);
    say!("EmoDB neutral ({n}): mean 10–90 % pitch range clean {c:.2} st, telephone {t:.2} st");
    for corpus in [Corpus::EmoDb, Corpus::Emovo] {
        let (c, t, n) = pitch_real::mean_pair(f.rows.iter().filter(|r| r.corpus == corpus), |m| {
            m.pitch_sd_st
        });
        say!("{corpus} all ({n}): mean pitch SD clean {c:.2} st, telephone {t:.2} st");
    }
    Ok(())
}

fn write_real_rows(p: &PathBuf, rows: &[RealRow]) -> Result<()> {
    let mut w = std::fs::File::create(p).with_context(|| p.display().to_string())?;
    writeln!(
        w,
        "corpus,file,speaker,emotion,tuning_half,clean_sd,tel_sd,clean_range,tel_range,clean_median,tel_median,clean_voiced_s,tel_voiced_s"
    )?;
    let num = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.3}"));
    for r in rows {
        writeln!(
            w,
            "{},{},{},{},{},{},{},{},{},{},{},{:.2},{:.2}",
            r.corpus.dir_name(),
            r.file,
            r.speaker,
            r.emotion,
            r.tuning_half as u8,
            num(r.clean.pitch_sd_st),
            num(r.tel.pitch_sd_st),
            num(r.clean.pitch_range_st),
            num(r.tel.pitch_range_st),
            num(r.clean.pitch_median_hz),
            num(r.tel.pitch_median_hz),
            r.clean.voiced_s,
            r.tel.voiced_s
        )?;
    }
    Ok(())
}
