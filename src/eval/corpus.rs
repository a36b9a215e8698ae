//! The shared emotional-speech corpora (EmoDB, EMOVO): manifests, syllable
//! ground truth and audio loading. The corpora are never part of the
//! repository; they are looked up at `$TONEWATCH_DATA` or `../shared/data`.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where the corpora are, if they are on this machine.
pub fn data_dir() -> Option<PathBuf> {
    let mut candidates = std::env::var_os("TONEWATCH_DATA")
        .map(PathBuf::from)
        .into_iter()
        .chain([
            PathBuf::from("../shared/data"),
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
        ]);
    candidates
        .find(|c| c.join("emodb/MANIFEST.csv").is_file() && c.join("emovo/MANIFEST.csv").is_file())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Corpus {
    EmoDb,
    Emovo,
}

impl Corpus {
    pub fn dir_name(self) -> &'static str {
        match self {
            Corpus::EmoDb => "emodb",
            Corpus::Emovo => "emovo",
        }
    }

    /// Code of the corpus's language (as the profile norms and the anger
    /// model's language terms name it).
    pub fn language(self) -> &'static str {
        match self {
            Corpus::EmoDb => "de",
            Corpus::Emovo => "it",
        }
    }
}

impl fmt::Display for Corpus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Corpus::EmoDb => "EmoDB",
            Corpus::Emovo => "EMOVO",
        })
    }
}

/// One utterance of a corpus.
#[derive(Debug, Clone)]
pub struct Utterance {
    pub corpus: Corpus,
    pub path: PathBuf,
    pub speaker: String,
    pub gender: String,
    pub emotion: String,
    pub text_id: String,
    /// EmoDB syllable labels (`silb/`), when present.
    pub syllables: Option<PathBuf>,
    /// EmoDB phone labels (`lablaut/`), when present.
    pub phones: Option<PathBuf>,
}

impl Utterance {
    /// Speaker id unique across corpora ("emodb:03").
    pub fn speaker_key(&self) -> String {
        format!("{}:{}", self.corpus.dir_name(), self.speaker)
    }

    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: line {line}: {problem}")]
    Manifest {
        path: PathBuf,
        line: usize,
        problem: String,
    },
}

/// Reads a corpus manifest (`path,speaker,gender,emotion,text_id,...`).
pub fn load_manifest(data: &Path, corpus: Corpus) -> Result<Vec<Utterance>, CorpusError> {
    let dir = data.join(corpus.dir_name());
    let path = dir.join("MANIFEST.csv");
    let text = std::fs::read_to_string(&path).map_err(|source| CorpusError::Io {
        path: path.clone(),
        source,
    })?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let missing = |name: &str| CorpusError::Manifest {
        path: path.clone(),
        line: 1,
        problem: format!("no column '{name}'"),
    };
    let c_path = col("path").ok_or_else(|| missing("path"))?;
    let c_speaker = col("speaker").ok_or_else(|| missing("speaker"))?;
    let c_gender = col("gender").ok_or_else(|| missing("gender"))?;
    let c_emotion = col("emotion").ok_or_else(|| missing("emotion"))?;
    let c_text = col("text_id").ok_or_else(|| missing("text_id"))?;
    let c_silb = col("syllable_labels");
    let c_phones = col("phone_labels");
    let mut out = Vec::new();
    for (i, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        let get = |c: usize| {
            f.get(c)
                .map(|s| s.to_string())
                .ok_or_else(|| CorpusError::Manifest {
                    path: path.clone(),
                    line: i + 2,
                    problem: format!("expected {} fields, found {}", header.len(), f.len()),
                })
        };
        let labels = |c: Option<usize>| {
            c.and_then(|c| f.get(c))
                .filter(|s| !s.is_empty())
                .map(|s| dir.join(s))
                .filter(|p| p.is_file())
        };
        let syllables = labels(c_silb);
        let phones = labels(c_phones);
        out.push(Utterance {
            corpus,
            path: dir.join(get(c_path)?),
            speaker: get(c_speaker)?,
            gender: get(c_gender)?,
            emotion: get(c_emotion)?,
            text_id: get(c_text)?,
            syllables,
            phones,
        });
    }
    Ok(out)
}

/// Both corpora.
pub fn load_all(data: &Path) -> Result<Vec<Utterance>, CorpusError> {
    let mut all = load_manifest(data, Corpus::EmoDb)?;
    all.extend(load_manifest(data, Corpus::Emovo)?);
    Ok(all)
}

/// Syllable labels of one EmoDB utterance.
#[derive(Debug, Clone, PartialEq)]
pub struct SyllableTruth {
    /// Start time of each syllable, s.
    pub starts: Vec<f64>,
    /// Pauses (start of the pause mark, start of the next syllable).
    pub pauses: Vec<(f64, f64)>,
    /// End of speech (the final "." mark), if labelled.
    pub end: Option<f64>,
}

impl SyllableTruth {
    /// Parses a `.silb` file: `start<TAB or spaces>label` per line; "." ends
    /// speech, "(" marks a pause.
    pub fn parse(text: &str) -> Self {
        let mut starts = Vec::new();
        let mut pauses = Vec::new();
        let mut end = None;
        let mut pause_start: Option<f64> = None;
        for line in text.lines() {
            let mut parts = line.split_whitespace();
            let Some(t) = parts.next().and_then(|t| t.parse::<f64>().ok()) else {
                continue;
            };
            let label = parts.next().unwrap_or("");
            match label {
                "." => {
                    end = Some(t);
                    break;
                }
                "(" => pause_start = Some(t),
                "" => {}
                _ => {
                    if let Some(p) = pause_start.take() {
                        pauses.push((p, t));
                    }
                    starts.push(t);
                }
            }
        }
        Self {
            starts,
            pauses,
            end,
        }
    }

    pub fn load(path: &Path) -> Result<Self, CorpusError> {
        let bytes = std::fs::read(path).map_err(|source| CorpusError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Self::parse(&String::from_utf8_lossy(&bytes)))
    }

    /// Syllables per second of speech within the audible part (`audible_end`
    /// s): syllables starting before it, over the time from the first
    /// syllable's start to the end of speech (or of the audio), with pauses
    /// longer than `min_pause_s` left out when `exclude_pauses`.
    pub fn rate(
        &self,
        audible_end: f64,
        exclude_pauses: bool,
        min_pause_s: f64,
    ) -> Option<(usize, f64)> {
        let first = *self.starts.first()?;
        let n = self.starts.iter().filter(|&&t| t < audible_end).count();
        let end = self.end.unwrap_or(audible_end).min(audible_end);
        let mut dur = end - first;
        if exclude_pauses {
            for &(a, b) in &self.pauses {
                let (a, b) = (a.min(end), b.min(end));
                if b - a >= min_pause_s {
                    dur -= b - a;
                }
            }
        }
        (n >= 2 && dur > 0.3).then_some((n, dur))
    }
}

/// Reads a corpus WAV (16-bit PCM mono) into f32 samples and its rate.
pub fn read_wav(path: &Path) -> Result<(Vec<f32>, u32), String> {
    let mut r = hound::WavReader::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let spec = r.spec();
    let scale = 1.0 / (1u32 << (spec.bits_per_sample - 1)) as f32;
    let ch = spec.channels as usize;
    let samples: Result<Vec<i32>, _> = r.samples::<i32>().collect();
    let samples = samples.map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((
        samples
            .iter()
            .step_by(ch.max(1))
            .map(|&s| s as f32 * scale)
            .collect(),
        spec.sample_rate,
    ))
}

/// Seconds until the last non-zero sample (EmoDB pads with exact zeros).
pub fn audible_duration(samples: &[f32], rate: u32) -> f64 {
    let last = samples.iter().rposition(|&x| x != 0.0).map_or(0, |i| i + 1);
    last as f64 / rate as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_silb_with_pauses_and_end() {
        let t = SyllableTruth::parse("0.1\twas\n0.3\tsind\n0.5\t(\n0.9  die\n1.2\tda\n1.5\t.\n");
        assert_eq!(t.starts, vec![0.1, 0.3, 0.9, 1.2]);
        assert_eq!(t.pauses, vec![(0.5, 0.9)]);
        assert_eq!(t.end, Some(1.5));
        let (n, d) = t.rate(2.0, false, 0.0).unwrap();
        assert_eq!(n, 4);
        assert!((d - 1.4).abs() < 1e-9);
        let (_, d) = t.rate(2.0, true, 0.1).unwrap();
        assert!((d - 1.0).abs() < 1e-9);
        // Cut at 1.0 s: syllables starting before it, duration to the cut.
        let (n, d) = t.rate(1.0, false, 0.0).unwrap();
        assert_eq!(n, 3);
        assert!((d - 0.9).abs() < 1e-9);
    }
}
