//! `--record`: what was heard, one channel per party, in a WAV file that is
//! valid at every moment: the header is brought up to date every second and
//! finalised when the session ends, by Ctrl-C, end of input, device loss or
//! an error.

use std::collections::VecDeque;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, bounded};

use crate::audio::resample::StreamResampler;

/// Seconds of audio one party may run ahead of another before the one
/// behind (a device that stopped delivering) is padded with silence.
pub(crate) const MAX_LAG_S: f64 = 1.0;

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("{}: cannot create the recording: {source}", .path.display())]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: cannot write the recording: {source}", .path.display())]
    Write { path: PathBuf, source: hound::Error },
}

/// The recorder thread's handle: audio goes in through [`Self::tap`].
pub struct Recorder {
    tap: Sender<(usize, u32, Vec<f32>)>,
    thread: JoinHandle<Result<RecordSummary, RecordError>>,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct RecordSummary {
    pub path: PathBuf,
    pub frames: u64,
    pub sample_rate: u32,
    pub channels: u16,
}

impl Recorder {
    /// Creates `path` now (so a bad path fails before capture starts) and
    /// starts the writer thread for `parties` channels.
    pub fn start(path: &Path, parties: usize) -> Result<Self, RecordError> {
        let file = File::create(path).map_err(|source| RecordError::Create {
            path: path.to_path_buf(),
            source,
        })?;
        // About 20 s of audio in 10 ms chunks: the analysis thread waits
        // rather than lose a recording if the disk stalls longer.
        let (tap, rx) = bounded(2048);
        let path = path.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("tonewatch-record".into())
            .spawn(move || write_loop(file, path, parties, rx))
            .expect("spawn the recorder thread");
        Ok(Self { tap, thread })
    }

    pub fn tap(&self) -> Sender<(usize, u32, Vec<f32>)> {
        self.tap.clone()
    }

    /// Waits for everything sent so far to be written and finalises the file.
    /// Every clone of [`Self::tap`] must have been dropped first.
    pub fn finish(self) -> Result<RecordSummary, RecordError> {
        drop(self.tap);
        self.thread
            .join()
            .expect("the recorder thread does not panic")
    }
}

struct Writer {
    path: PathBuf,
    file: Option<File>,
    wav: Option<hound::WavWriter<BufWriter<File>>>,
    rate: u32,
    queues: Vec<VecDeque<f32>>,
    converters: Vec<Option<StreamResampler>>,
    converted: Vec<f32>,
    frames: u64,
}

fn write_loop(
    file: File,
    path: PathBuf,
    parties: usize,
    rx: Receiver<(usize, u32, Vec<f32>)>,
) -> Result<RecordSummary, RecordError> {
    let mut w = Writer {
        path,
        file: Some(file),
        wav: None,
        rate: 0,
        queues: vec![VecDeque::new(); parties],
        converters: (0..parties).map(|_| None).collect(),
        converted: Vec::new(),
        frames: 0,
    };
    let mut next_flush = Instant::now() + Duration::from_secs(1);
    let result = loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok((party, rate, samples)) => {
                if let Err(e) = w.push(party, rate, &samples) {
                    break Err(e);
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break Ok(()),
        }
        if Instant::now() >= next_flush {
            next_flush = Instant::now() + Duration::from_secs(1);
            if let Err(e) = w.flush() {
                break Err(e);
            }
        }
    };
    // Whatever happened, close the file properly with what it has.
    let end = w.finish();
    result.and(end)
}

impl Writer {
    fn err(&self, source: hound::Error) -> RecordError {
        RecordError::Write {
            path: self.path.clone(),
            source,
        }
    }

    fn push(&mut self, party: usize, rate: u32, samples: &[f32]) -> Result<(), RecordError> {
        if party >= self.queues.len() {
            return Ok(());
        }
        if self.wav.is_none() {
            self.rate = rate;
            let spec = hound::WavSpec {
                channels: self.queues.len() as u16,
                sample_rate: rate,
                bits_per_sample: 16,
                sample_format: hound::SampleFormat::Int,
            };
            let file = self.file.take().expect("the file is opened once");
            let wav = hound::WavWriter::new(BufWriter::new(file), spec).map_err(|e| self.err(e))?;
            self.wav = Some(wav);
        }
        if rate == self.rate {
            self.queues[party].extend(samples);
        } else {
            let needs_new = self.converters[party]
                .as_ref()
                .is_none_or(|c| c.in_rate() != rate);
            if needs_new {
                self.converters[party] = StreamResampler::new(rate, self.rate).ok();
            }
            if let Some(c) = self.converters[party].as_mut() {
                self.converted.clear();
                c.process(samples, &mut self.converted);
                self.queues[party].extend(&self.converted);
            }
        }
        self.write_ready(false)
    }

    /// Writes the frames every party has; pads a party that fell too far
    /// behind (or all of them at the end) with silence.
    fn write_ready(&mut self, all: bool) -> Result<(), RecordError> {
        let longest = self.queues.iter().map(VecDeque::len).max().unwrap_or(0);
        let lag = (MAX_LAG_S * f64::from(self.rate)) as usize;
        for q in &mut self.queues {
            let pad_to = if all {
                longest
            } else {
                longest.saturating_sub(lag)
            };
            while q.len() < pad_to {
                q.push_back(0.0);
            }
        }
        let ready = self.queues.iter().map(VecDeque::len).min().unwrap_or(0);
        let Some(wav) = self.wav.as_mut() else {
            return Ok(());
        };
        let mut result = Ok(());
        'frames: for _ in 0..ready {
            for q in &mut self.queues {
                let x = q.pop_front().unwrap_or(0.0);
                let v = (x.clamp(-1.0, 1.0) * 32767.0).round() as i16;
                if let Err(e) = wav.write_sample(v) {
                    result = Err(e);
                    break 'frames;
                }
            }
            self.frames += 1;
        }
        result.map_err(|e| self.err(e))
    }

    fn flush(&mut self) -> Result<(), RecordError> {
        let r = self.wav.as_mut().map_or(Ok(()), |w| w.flush());
        r.map_err(|e| self.err(e))
    }

    fn finish(&mut self) -> Result<RecordSummary, RecordError> {
        let padded = self.write_ready(true);
        let channels = self.queues.len() as u16;
        let r = match self.wav.take() {
            Some(w) => w.finalize(),
            None => {
                // Nothing was heard: still leave a valid (empty) WAV.
                let spec = hound::WavSpec {
                    channels,
                    sample_rate: 8000,
                    bits_per_sample: 16,
                    sample_format: hound::SampleFormat::Int,
                };
                match self.file.take() {
                    Some(f) => {
                        hound::WavWriter::new(BufWriter::new(f), spec).and_then(|w| w.finalize())
                    }
                    None => Ok(()),
                }
            }
        };
        padded?;
        r.map_err(|e| self.err(e))?;
        Ok(RecordSummary {
            path: self.path.clone(),
            frames: self.frames,
            sample_rate: self.rate,
            channels,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_one_channel_per_party_and_pads_a_silent_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("call.wav");
        let rec = Recorder::start(&path, 2).unwrap();
        let tap = rec.tap();
        let tone: Vec<f32> = (0..8000).map(|i| 0.5 * (i as f32 * 0.1).sin()).collect();
        for c in tone.chunks(80) {
            tap.send((0, 8000, c.to_vec())).unwrap();
        }
        // The agent said only a little.
        tap.send((1, 8000, vec![0.25; 400])).unwrap();
        drop(tap);
        let s = rec.finish().unwrap();
        assert_eq!((s.frames, s.channels, s.sample_rate), (8000, 2, 8000));
        let mut r = hound::WavReader::open(&path).unwrap();
        assert_eq!(r.spec().channels, 2);
        let v: Vec<i16> = r.samples::<i16>().map(Result::unwrap).collect();
        assert_eq!(v.len(), 16000);
        assert_eq!(v[0], 0);
        assert_eq!(v[2 * 100], (tone[100] * 32767.0).round() as i16);
        assert_eq!(v[1], (0.25f32 * 32767.0).round() as i16);
        assert_eq!(v[2 * 500 + 1], 0, "padded with silence");
    }

    #[test]
    fn a_bad_path_fails_at_once_naming_it() {
        let e = Recorder::start(Path::new("/nonexistent-dir/x.wav"), 1)
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.starts_with("/nonexistent-dir/x.wav: cannot create"),
            "{e}"
        );
    }

    #[test]
    fn header_is_valid_while_recording() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("live.wav");
        let rec = Recorder::start(&path, 1).unwrap();
        let tap = rec.tap();
        tap.send((0, 16000, vec![0.1; 16000])).unwrap();
        // The header is brought up to date within about a second.
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut frames = 0;
        while Instant::now() < deadline && frames < 16000 {
            std::thread::sleep(Duration::from_millis(100));
            frames = hound::WavReader::open(&path).map_or(0, |r| r.duration());
        }
        assert_eq!(frames, 16000);
        drop(tap);
        rec.finish().unwrap();
    }
}
