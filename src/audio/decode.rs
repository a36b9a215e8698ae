//! Streaming decode of call recordings: WAV (integer PCM, float, G.711 µ-law and
//! A-law, WAVE_FORMAT_EXTENSIBLE), MP3 and FLAC, mono or stereo, 8–192 kHz.
//!
//! WAV is read by our own RIFF walker rather than symphonia's: call recorders
//! write headers symphonia rejects or mishandles (a data chunk longer than the
//! RIFF chunk or than the file, placeholder lengths from recorders that never
//! finished the header, fmt chunks of odd sizes), and its WAV reader panics on
//! some malformed extensible headers. The samples themselves are trivial to
//! convert. MP3 and FLAC go through symphonia's readers and decoders.
//!
//! Every file is read packet by packet: memory does not grow with its length.
//! Damage that still leaves usable audio (a truncated file, skipped corrupt
//! packets) does not stop decoding; [`Decoder::finish`] reports it at the end.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use symphonia::core::codecs::audio::well_known::{CODEC_ID_FLAC, CODEC_ID_MP3};
use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSourceStream, ReadOnlySource};
use symphonia::default::formats::{FlacReader, MpaReader};

use crate::audio::g711;

/// Lowest sample rate accepted: narrowband telephone audio.
pub const MIN_SAMPLE_RATE: u32 = 8000;
/// Highest sample rate accepted.
pub const MAX_SAMPLE_RATE: u32 = 192_000;

const SUPPORTED: &str = "tonewatch reads PCM/float/G.711 WAV, MP3 and FLAC";

/// Frames per block for WAV: 0.5 s at 8 kHz, so a block is always well under a second.
const WAV_BLOCK_FRAMES: usize = 4096;

/// What a file holds, as far as its header says.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioInfo {
    pub sample_rate: u32,
    pub channels: usize,
    /// Frames the container announces, if it does.
    pub declared_frames: Option<u64>,
    /// Short human description: "PCM 16-bit", "PCM 24-bit", "PCM 32-bit float", "G.711 µ-law", "G.711 A-law", "MP3", "FLAC", ...
    pub codec: String,
}

/// Why a file could not be decoded, or was decoded only in part. Renders as one
/// line naming the file.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("{}: no such file", .path.display())]
    NotFound { path: PathBuf },
    #[error("{}: is a directory, not an audio file", .path.display())]
    IsDirectory { path: PathBuf },
    #[error("{}: empty file (0 bytes)", .path.display())]
    EmptyFile { path: PathBuf },
    /// The operating system failed to read the file (permissions, I/O error).
    #[error("{}: cannot read: {source}", .path.display())]
    Io { path: PathBuf, source: io::Error },
    /// Not a format tonewatch knows at all: a text file, random bytes.
    #[error("{}: not an audio file tonewatch can read (unrecognised format)", .path.display())]
    UnrecognisedFormat { path: PathBuf },
    /// A known container tonewatch does not read (Ogg, MP4, AIFF, ...).
    #[error("{}: unsupported file format {format} ({SUPPORTED})", .path.display())]
    UnsupportedFormat { path: PathBuf, format: String },
    /// A known container holding a codec tonewatch does not decode.
    #[error("{}: unsupported codec {codec} ({SUPPORTED})", .path.display())]
    UnsupportedCodec { path: PathBuf, codec: String },
    /// The header is inconsistent or cut short before any audio.
    #[error("{}: broken header: {detail}", .path.display())]
    BadHeader { path: PathBuf, detail: String },
    /// No channels, or more than two.
    #[error("{}: {}", .path.display(), channel_problem(.channels))]
    UnsupportedChannels { path: PathBuf, channels: u32 },
    #[error(
        "{}: unsupported sample rate {rate} Hz (tonewatch reads {MIN_SAMPLE_RATE}–{MAX_SAMPLE_RATE} Hz)",
        .path.display()
    )]
    UnsupportedSampleRate { path: PathBuf, rate: u32 },
    #[error("{}: contains no audio (0 samples)", .path.display())]
    NoAudio { path: PathBuf },
    /// The stream ended before the length its header announces (from [`Decoder::finish`]).
    #[error(
        "{}: truncated: the header announces {declared_s:.2} s but the data ends at {decoded_s:.2} s",
        .path.display()
    )]
    Truncated {
        path: PathBuf,
        declared_s: f64,
        decoded_s: f64,
    },
    /// Less audio than the header announces, in a stream without timestamps (MP3)
    /// where a cut-off end and frames skipped over damage look the same (from
    /// [`Decoder::finish`]).
    #[error(
        "{}: incomplete: the header announces {declared_s:.2} s but only {decoded_s:.2} s could be decoded (cut short, or damaged frames skipped)",
        .path.display()
    )]
    Incomplete {
        path: PathBuf,
        declared_s: f64,
        decoded_s: f64,
    },
    /// Damaged packets were skipped; the rest decoded (from [`Decoder::finish`]).
    #[error(
        "{}: corrupt data: {} skipped (first at {first_at_s:.1} s)",
        .path.display(),
        packets(.damaged)
    )]
    Corrupt {
        path: PathBuf,
        damaged: u64,
        first_at_s: f64,
    },
    /// Every packet was damaged: nothing could be decoded (from [`Decoder::finish`]).
    #[error("{}: corrupt data: nothing decodable ({})", .path.display(), packets(.damaged))]
    Undecodable { path: PathBuf, damaged: u64 },
    /// NaN or infinity in float PCM: the file is corrupt, not merely loud.
    #[error(
        "{}: sample at {at_s:.3} s is {}: the float data is corrupt",
        .path.display(),
        non_finite_name(.value)
    )]
    NonFiniteSample {
        path: PathBuf,
        at_s: f64,
        value: f32,
    },
}

fn channel_problem(channels: &u32) -> String {
    match channels {
        0 => "0 channels in the header".to_string(),
        n => format!("{n} channels: tonewatch reads mono or stereo recordings"),
    }
}

fn packets(n: &u64) -> String {
    match n {
        1 => "1 damaged packet".to_string(),
        n => format!("{n} damaged packets"),
    }
}

fn non_finite_name(value: &f32) -> &'static str {
    if value.is_nan() {
        "NaN"
    } else if value.is_sign_positive() {
        "+Inf"
    } else {
        "-Inf"
    }
}

impl DecodeError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            DecodeError::NotFound { path }
            | DecodeError::IsDirectory { path }
            | DecodeError::EmptyFile { path }
            | DecodeError::Io { path, .. }
            | DecodeError::UnrecognisedFormat { path }
            | DecodeError::UnsupportedFormat { path, .. }
            | DecodeError::UnsupportedCodec { path, .. }
            | DecodeError::BadHeader { path, .. }
            | DecodeError::UnsupportedChannels { path, .. }
            | DecodeError::UnsupportedSampleRate { path, .. }
            | DecodeError::NoAudio { path }
            | DecodeError::Truncated { path, .. }
            | DecodeError::Incomplete { path, .. }
            | DecodeError::Corrupt { path, .. }
            | DecodeError::Undecodable { path, .. }
            | DecodeError::NonFiniteSample { path, .. } => path,
        }
    }

    /// True for the errors [`Decoder::finish`] reports when audio was still decoded:
    /// the caller should analyse what it got, then report the error.
    pub fn is_partial(&self) -> bool {
        match self {
            DecodeError::Truncated { decoded_s, .. }
            | DecodeError::Incomplete { decoded_s, .. } => *decoded_s > 0.0,
            DecodeError::Corrupt { .. } => true,
            _ => false,
        }
    }
}

/// A streaming decoder for one file.
pub struct Decoder {
    path: PathBuf,
    info: AudioInfo,
    stream: Stream,
    frames: u64,
    damage: Damage,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Decoding,
    /// next_block returned Ok(0).
    Ended,
    /// next_block returned a hard error; nothing more will be decoded.
    Failed,
}

/// Damaged packets skipped so far.
#[derive(Debug, Default)]
struct Damage {
    count: u64,
    /// Position in the decoded audio of the first one.
    first_at_frame: u64,
}

impl Damage {
    fn record(&mut self, at_frame: u64) {
        if self.count == 0 {
            self.first_at_frame = at_frame;
        }
        self.count += 1;
    }
}

enum Stream {
    Wav(WavStream),
    Compressed(Box<CompressedStream>),
}

impl Stream {
    /// Whether lost audio shows where it was lost: WAV by byte position, FLAC by
    /// the sample number in every frame header. MPEG frames carry no position, and
    /// the MP3 reader resynchronises over garbage silently.
    fn has_timeline(&self) -> bool {
        match self {
            Stream::Wav(_) => true,
            Stream::Compressed(c) => matches!(c.container, Container::Flac),
        }
    }
}

impl Decoder {
    /// Open a file and read its header. Fails on anything that is not a readable
    /// mono or stereo recording at 8–192 kHz.
    pub fn open(path: &Path) -> Result<Decoder, DecodeError> {
        let owned = || path.to_path_buf();
        let io_err = |source: io::Error| DecodeError::Io {
            path: owned(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => DecodeError::NotFound { path: owned() },
            _ => io_err(e),
        })?;
        if meta.is_dir() {
            return Err(DecodeError::IsDirectory { path: owned() });
        }
        if meta.len() == 0 {
            return Err(DecodeError::EmptyFile { path: owned() });
        }
        let mut file = File::open(path).map_err(io_err)?;
        let mut head = [0u8; 36];
        let n = read_fully(&mut file, &mut head).map_err(io_err)?;
        let head = &head[..n];

        let (stream, info) = match sniff(head) {
            Sniffed::Wav => {
                file.seek(SeekFrom::Start(0)).map_err(io_err)?;
                let (wav, info) = WavStream::open(path, file, meta.len())?;
                (Stream::Wav(wav), info)
            }
            Sniffed::Flac => {
                file.seek(SeekFrom::Start(0)).map_err(io_err)?;
                CompressedStream::open(path, file, Container::Flac)?
            }
            Sniffed::Mpeg => {
                file.seek(SeekFrom::Start(0)).map_err(io_err)?;
                CompressedStream::open(path, file, Container::Mpeg)?
            }
            Sniffed::Id3 => {
                let Some(offset) = skip_id3v2(&mut file).map_err(io_err)? else {
                    return Err(DecodeError::UnrecognisedFormat { path: owned() });
                };
                let mut head = [0u8; 4];
                let n = read_fully(&mut file, &mut head).map_err(io_err)?;
                file.seek(SeekFrom::Start(offset)).map_err(io_err)?;
                // Taggers sometimes leave padding or junk between the tag and the
                // first frame; the MP3 reader resynchronises over it, and if no
                // frame follows it says so.
                let container = match sniff(&head[..n]) {
                    Sniffed::Flac => Container::Flac,
                    _ => Container::Mpeg,
                };
                CompressedStream::open(path, file, container)?
            }
            Sniffed::OtherFormat(format) => {
                return Err(DecodeError::UnsupportedFormat {
                    path: owned(),
                    format: format.into(),
                });
            }
            Sniffed::OtherCodec(codec) => {
                return Err(DecodeError::UnsupportedCodec {
                    path: owned(),
                    codec: codec.into(),
                });
            }
            Sniffed::Unknown => return Err(DecodeError::UnrecognisedFormat { path: owned() }),
        };
        if info.declared_frames == Some(0) {
            return Err(DecodeError::NoAudio { path: owned() });
        }
        Ok(Decoder {
            path: owned(),
            info,
            stream,
            frames: 0,
            damage: Damage::default(),
            state: State::Decoding,
        })
    }

    pub fn info(&self) -> &AudioInfo {
        &self.info
    }

    /// Decode the next block. `out` has one Vec per channel (the caller passes `info().channels` Vecs);
    /// each is cleared and filled with that channel's samples as f32 in [-1, 1]. Returns the number of
    /// frames; Ok(0) means end of stream. Memory must not grow with file length (streaming: packet by packet).
    ///
    /// Blocks are at most 4096 frames for WAV and one codec packet for MP3 (1152
    /// frames) and FLAC (the encoder's block size, normally 4096). After an error
    /// the decoder is finished and returns Ok(0).
    ///
    /// # Panics
    /// If `out.len()` is not `info().channels`: that is a bug in the caller.
    pub fn next_block(&mut self, out: &mut [Vec<f32>]) -> Result<usize, DecodeError> {
        assert_eq!(
            out.len(),
            self.info.channels,
            "Decoder::next_block needs one Vec per channel"
        );
        for ch in out.iter_mut() {
            ch.clear();
        }
        if self.state != State::Decoding {
            return Ok(0);
        }
        let result = match &mut self.stream {
            Stream::Wav(wav) => wav.next_block(out),
            Stream::Compressed(c) => c.next_block(out, self.frames, &mut self.damage),
        };
        match result {
            Ok(0) => {
                self.state = State::Ended;
                Ok(0)
            }
            Ok(n) => {
                self.frames += n as u64;
                Ok(n)
            }
            Err(e) => {
                self.state = State::Failed;
                for ch in out.iter_mut() {
                    ch.clear();
                }
                Err(self.attach(e))
            }
        }
    }

    /// Frames decoded so far.
    pub fn frames_decoded(&self) -> u64 {
        self.frames
    }

    /// After next_block returned Ok(0): Err if the stream ended early or had damage (truncated data chunk
    /// / header announcing more frames than present, corrupt packets that were skipped). The audio decoded
    /// so far is still valid and the caller will analyse it, then report this error.
    ///
    /// Called before the end of the stream it reports only the damage seen so far.
    pub fn finish(&self) -> Result<(), DecodeError> {
        let path = self.path.clone();
        let rate = f64::from(self.info.sample_rate);
        if self.damage.count > 0 {
            return Err(if self.frames == 0 {
                DecodeError::Undecodable {
                    path,
                    damaged: self.damage.count,
                }
            } else {
                DecodeError::Corrupt {
                    path,
                    damaged: self.damage.count,
                    first_at_s: self.damage.first_at_frame as f64 / rate,
                }
            });
        }
        if self.state != State::Ended {
            return Ok(());
        }
        match self.info.declared_frames {
            Some(declared) if self.frames < declared => {
                let declared_s = declared as f64 / rate;
                let decoded_s = self.frames as f64 / rate;
                Err(if self.stream.has_timeline() {
                    DecodeError::Truncated {
                        path,
                        declared_s,
                        decoded_s,
                    }
                } else {
                    DecodeError::Incomplete {
                        path,
                        declared_s,
                        decoded_s,
                    }
                })
            }
            _ if self.frames == 0 => Err(DecodeError::NoAudio { path }),
            _ => Ok(()),
        }
    }

    /// Turn a stream-level error into one naming the file and the time in it.
    fn attach(&self, e: StreamError) -> DecodeError {
        let path = self.path.clone();
        match e {
            StreamError::Io(source) => DecodeError::Io { path, source },
            StreamError::NonFinite {
                frame_in_block,
                value,
            } => DecodeError::NonFiniteSample {
                path,
                at_s: (self.frames + frame_in_block as u64) as f64
                    / f64::from(self.info.sample_rate),
                value,
            },
        }
    }
}

/// Convenience for tests and tools (allocates the whole file): planar samples + info.
/// Fails on any damage, also where [`Decoder::finish`] would report partial audio.
pub fn read_all(path: &Path) -> Result<(AudioInfo, Vec<Vec<f32>>), DecodeError> {
    let mut decoder = Decoder::open(path)?;
    let channels = decoder.info().channels;
    let mut all = vec![Vec::new(); channels];
    let mut block = vec![Vec::new(); channels];
    while decoder.next_block(&mut block)? > 0 {
        for (dst, src) in all.iter_mut().zip(&block) {
            dst.extend_from_slice(src);
        }
    }
    decoder.finish()?;
    Ok((decoder.info().clone(), all))
}

/// Errors from inside a stream, before the decoder adds path and time.
enum StreamError {
    Io(io::Error),
    NonFinite { frame_in_block: usize, value: f32 },
}

fn check_layout(path: &Path, channels: u32, sample_rate: u32) -> Result<(), DecodeError> {
    if !(1..=2).contains(&channels) {
        return Err(DecodeError::UnsupportedChannels {
            path: path.to_path_buf(),
            channels,
        });
    }
    if !(MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&sample_rate) {
        return Err(DecodeError::UnsupportedSampleRate {
            path: path.to_path_buf(),
            rate: sample_rate,
        });
    }
    Ok(())
}

/// Read until `buf` is full or the file ends; returns the bytes read.
fn read_fully(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sniffed {
    Wav,
    Flac,
    Mpeg,
    /// An ID3v2 tag, which MP3 (and sometimes FLAC) files start with.
    Id3,
    OtherFormat(&'static str),
    OtherCodec(&'static str),
    Unknown,
}

/// Identify a file by its magic bytes. Only a file that starts like a format we
/// read is handed to a decoder: symphonia's own probing scans the first megabyte
/// for anything resembling an MP3 frame sync and would "decode" text or a WAV
/// with a damaged header as noise.
fn sniff(head: &[u8]) -> Sniffed {
    let at = |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);
    if at(0, b"RIFF") {
        return match head.get(8..12) {
            // Too short to tell: the WAV reader reports the cut header.
            Some(b"WAVE") | None => Sniffed::Wav,
            Some(b"AVI ") => Sniffed::OtherFormat("AVI video"),
            _ => Sniffed::OtherFormat("RIFF (not WAVE)"),
        };
    }
    if at(0, b"RIFX") {
        return Sniffed::OtherFormat("big-endian WAV (RIFX)");
    }
    if at(0, b"RF64") || at(0, b"BW64") {
        return Sniffed::OtherFormat("64-bit WAV (RF64)");
    }
    if at(0, b"fLaC") {
        return Sniffed::Flac;
    }
    if at(0, b"ID3") {
        return Sniffed::Id3;
    }
    if at(0, b"OggS") {
        return Sniffed::OtherCodec(if at(28, b"\x01vorb") {
            "Vorbis"
        } else if at(28, b"OpusH") {
            "Opus"
        } else if at(28, b"Speex") {
            "Speex"
        } else if at(28, b"\x7fFLAC") {
            "FLAC in Ogg"
        } else {
            "in an Ogg container"
        });
    }
    if at(4, b"ftyp") {
        return Sniffed::OtherFormat("MP4/M4A (AAC, ALAC)");
    }
    if at(0, b"FORM") && (at(8, b"AIFF") || at(8, b"AIFC")) {
        return Sniffed::OtherFormat("AIFF");
    }
    if at(0, b".snd") {
        return Sniffed::OtherFormat("Sun/NeXT AU");
    }
    if at(0, b"#!AMR") {
        return Sniffed::OtherCodec("AMR");
    }
    if at(0, b"\x1a\x45\xdf\xa3") {
        return Sniffed::OtherFormat("Matroska/WebM");
    }
    if at(0, b"\x30\x26\xb2\x75\x8e\x66\xcf\x11") {
        return Sniffed::OtherFormat("ASF/WMA");
    }
    if at(0, b"caff") {
        return Sniffed::OtherFormat("Core Audio (CAF)");
    }
    if let [0xFF, b1, ..] = *head {
        // 12 sync bits then layer 00 is AAC's ADTS framing; MPEG audio uses layers 01–11.
        if b1 & 0xF6 == 0xF0 {
            return Sniffed::OtherCodec("AAC (ADTS)");
        }
        if b1 & 0xE0 == 0xE0 && b1 & 0x06 != 0 {
            return Sniffed::Mpeg;
        }
    }
    Sniffed::Unknown
}

/// Skip ID3v2 tags at the start of `file`. Returns the offset of what follows, with
/// the file positioned there, or None if a tag header is cut or malformed.
fn skip_id3v2(file: &mut File) -> io::Result<Option<u64>> {
    let mut offset = 0u64;
    // Files sometimes carry a few stacked tags; more than that is not a tag.
    for _ in 0..4 {
        file.seek(SeekFrom::Start(offset))?;
        let mut header = [0u8; 10];
        let n = read_fully(file, &mut header)?;
        let [b'I', b'D', b'3', _, _, flags, s0, s1, s2, s3] = header else {
            break;
        };
        if n < 10 {
            return Ok(None);
        }
        if [s0, s1, s2, s3].iter().any(|b| b & 0x80 != 0) {
            return Ok(None);
        }
        let size = u64::from(s0) << 21 | u64::from(s1) << 14 | u64::from(s2) << 7 | u64::from(s3);
        let footer = if flags & 0x10 != 0 { 10 } else { 0 };
        offset += 10 + size + footer;
    }
    file.seek(SeekFrom::Start(offset))?;
    Ok(Some(offset))
}

// ---------------------------------------------------------------------------
// WAV

/// How WAV samples are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WavEncoding {
    /// 8-bit PCM is unsigned, centred on 128.
    U8,
    I16,
    I24,
    I32,
    F32,
    F64,
    MuLaw,
    ALaw,
}

impl WavEncoding {
    fn bytes(self) -> usize {
        match self {
            WavEncoding::U8 | WavEncoding::MuLaw | WavEncoding::ALaw => 1,
            WavEncoding::I16 => 2,
            WavEncoding::I24 => 3,
            WavEncoding::I32 | WavEncoding::F32 => 4,
            WavEncoding::F64 => 8,
        }
    }
}

const WAVE_FORMAT_PCM: u16 = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT: u16 = 0x0003;
const WAVE_FORMAT_ALAW: u16 = 0x0006;
const WAVE_FORMAT_MULAW: u16 = 0x0007;
const WAVE_FORMAT_EXTENSIBLE: u16 = 0xFFFE;

/// The 14 bytes after the format tag shared by every KSDATAFORMAT_SUBTYPE GUID
/// that wraps a plain WAVE format tag.
const KSDATAFORMAT_SUFFIX: [u8; 14] = [
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
];

fn wav_codec_name(tag: u16) -> String {
    let name = match tag {
        0x0002 => "Microsoft ADPCM",
        0x0011 => "IMA ADPCM",
        0x0031 => "GSM 6.10",
        0x0040 => "G.721 ADPCM",
        0x0050 => "MPEG audio",
        0x0055 => "MP3",
        0x00FF => "AAC",
        0x0161 => "WMA",
        _ => return format!("WAV format tag {tag:#06x}"),
    };
    format!("{name} (WAV format tag {tag:#06x})")
}

struct WavFormat {
    encoding: WavEncoding,
    channels: u16,
    sample_rate: u32,
    codec: String,
}

fn le_u16(b: &[u8], at: usize) -> u16 {
    match b.get(at..at + 2) {
        Some(&[x, y]) => u16::from_le_bytes([x, y]),
        _ => 0,
    }
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    match b.get(at..at + 4) {
        Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
        _ => 0,
    }
}

/// Parse the body of a fmt chunk (`body` holds up to its first 40 bytes).
fn parse_fmt(path: &Path, body: &[u8], len: u32) -> Result<WavFormat, DecodeError> {
    let bad = |detail: String| DecodeError::BadHeader {
        path: path.to_path_buf(),
        detail,
    };
    let unsupported = |codec: String| DecodeError::UnsupportedCodec {
        path: path.to_path_buf(),
        codec,
    };
    if body.len() < 16 {
        return Err(bad(format!("fmt chunk of {len} bytes, at least 16 needed")));
    }
    let mut tag = le_u16(body, 0);
    let channels = le_u16(body, 2);
    let sample_rate = le_u32(body, 4);
    let bits = le_u16(body, 14);
    let mut valid_bits = bits;
    if tag == WAVE_FORMAT_EXTENSIBLE {
        if body.len() < 40 {
            return Err(bad(format!(
                "WAVE_FORMAT_EXTENSIBLE fmt chunk of {len} bytes, 40 needed"
            )));
        }
        let guid = &body[24..40];
        if guid[2..] != KSDATAFORMAT_SUFFIX {
            let hex: String = guid.iter().map(|b| format!("{b:02x}")).collect();
            return Err(unsupported(format!(
                "WAVE_FORMAT_EXTENSIBLE sub-format {hex}"
            )));
        }
        tag = le_u16(guid, 0);
        valid_bits = match le_u16(body, 18) {
            0 => bits,
            v => v.min(bits),
        };
    }
    let (encoding, codec) = match tag {
        WAVE_FORMAT_PCM => {
            // Non-byte sample sizes sit left-justified in the next whole byte count,
            // so scaling by the container's full scale is right for all of them.
            let encoding = match bits {
                1..=8 => WavEncoding::U8,
                9..=16 => WavEncoding::I16,
                17..=24 => WavEncoding::I24,
                25..=32 => WavEncoding::I32,
                _ => return Err(unsupported(format!("PCM with {bits} bits per sample"))),
            };
            (encoding, format!("PCM {valid_bits}-bit"))
        }
        WAVE_FORMAT_IEEE_FLOAT => match bits {
            32 => (WavEncoding::F32, "PCM 32-bit float".to_string()),
            64 => (WavEncoding::F64, "PCM 64-bit float".to_string()),
            _ => return Err(unsupported(format!("{bits}-bit float"))),
        },
        // G.711 is 8 bits per sample by definition; some writers leave the field 0.
        WAVE_FORMAT_MULAW => (WavEncoding::MuLaw, "G.711 µ-law".to_string()),
        WAVE_FORMAT_ALAW => (WavEncoding::ALaw, "G.711 A-law".to_string()),
        other => return Err(unsupported(wav_codec_name(other))),
    };
    Ok(WavFormat {
        encoding,
        channels,
        sample_rate,
        codec,
    })
}

struct WavStream {
    reader: BufReader<File>,
    encoding: WavEncoding,
    frame_bytes: usize,
    /// Data bytes left to read; None when the header gives no usable length and the
    /// audio runs to the end of the file.
    remaining: Option<u64>,
    bytes: Vec<u8>,
}

impl WavStream {
    fn open(path: &Path, file: File, file_len: u64) -> Result<(WavStream, AudioInfo), DecodeError> {
        let io_err = |source: io::Error| DecodeError::Io {
            path: path.to_path_buf(),
            source,
        };
        let bad = |detail: &str| DecodeError::BadHeader {
            path: path.to_path_buf(),
            detail: detail.into(),
        };
        let mut r = BufReader::new(file);
        let mut riff = [0u8; 12];
        if read_fully(&mut r, &mut riff).map_err(io_err)? < 12 {
            return Err(bad("file ends inside the RIFF header"));
        }
        let riff_len = le_u32(&riff, 4);
        let mut pos: u64 = 12;
        let mut format: Option<WavFormat> = None;
        loop {
            let mut header = [0u8; 8];
            if read_fully(&mut r, &mut header).map_err(io_err)? < 8 {
                return Err(bad(if format.is_some() {
                    "no data chunk"
                } else {
                    "no fmt chunk"
                }));
            }
            pos += 8;
            let len = le_u32(&header, 4);
            let padded = u64::from(len) + u64::from(len & 1);
            match &header[..4] {
                b"fmt " if format.is_none() => {
                    let mut body = [0u8; 40];
                    let want = (len as usize).min(body.len());
                    let got = read_fully(&mut r, &mut body[..want]).map_err(io_err)?;
                    if got < want {
                        return Err(bad("file ends inside the fmt chunk"));
                    }
                    let fmt = parse_fmt(path, &body[..got], len)?;
                    check_layout(path, u32::from(fmt.channels), fmt.sample_rate)?;
                    format = Some(fmt);
                    skip(&mut r, padded - got as u64).map_err(io_err)?;
                }
                b"data" => {
                    let Some(format) = format else {
                        return Err(bad("the data chunk comes before the fmt chunk"));
                    };
                    let after = file_len.saturating_sub(pos);
                    // Recorders write placeholder lengths and patch them when the call
                    // ends; a header never patched (the RIFF length does not even cover
                    // the chunks before the audio) means the audio runs to the end of
                    // the file. ffmpeg writes 0xFFFFFFFF when streaming.
                    let riff_unpatched = riff_len == u32::MAX || u64::from(riff_len) + 8 < pos;
                    let remaining = if len == u32::MAX
                        || (riff_unpatched && (len == 0 || u64::from(len) > after))
                    {
                        None
                    } else {
                        Some(u64::from(len))
                    };
                    let channels = usize::from(format.channels);
                    let frame_bytes = channels * format.encoding.bytes();
                    let declared_frames = match remaining {
                        Some(bytes) => Some(bytes / frame_bytes as u64),
                        None if after < frame_bytes as u64 => Some(0),
                        None => None,
                    };
                    let info = AudioInfo {
                        sample_rate: format.sample_rate,
                        channels,
                        declared_frames,
                        codec: format.codec,
                    };
                    let stream = WavStream {
                        reader: r,
                        encoding: format.encoding,
                        frame_bytes,
                        remaining,
                        bytes: vec![0; WAV_BLOCK_FRAMES * frame_bytes],
                    };
                    return Ok((stream, info));
                }
                _ => skip(&mut r, padded).map_err(io_err)?,
            }
            pos += padded;
        }
    }

    fn next_block(&mut self, out: &mut [Vec<f32>]) -> Result<usize, StreamError> {
        let want = match self.remaining {
            Some(left) => left.min(self.bytes.len() as u64) as usize,
            None => self.bytes.len(),
        };
        let got = read_fully(&mut self.reader, &mut self.bytes[..want]).map_err(StreamError::Io)?;
        if let Some(left) = &mut self.remaining {
            // A short read means the file ends before the data chunk does; the
            // shortfall shows up in finish() as frames missing against the header.
            *left = if got < want { 0 } else { *left - got as u64 };
        }
        let frames = got / self.frame_bytes;
        let bytes = &self.bytes[..frames * self.frame_bytes];
        let bps = self.encoding.bytes();
        match self.encoding {
            WavEncoding::U8 => deinterleave(bytes, bps, out, |s| (f32::from(s[0]) - 128.0) / 128.0),
            WavEncoding::I16 => deinterleave(bytes, bps, out, |s| {
                f32::from(i16::from_le_bytes([s[0], s[1]])) / 32768.0
            }),
            // The 3 bytes go in the top of an i32 so the shift sign-extends.
            WavEncoding::I24 => deinterleave(bytes, bps, out, |s| {
                (i32::from_le_bytes([0, s[0], s[1], s[2]]) >> 8) as f32 / 8_388_608.0
            }),
            WavEncoding::I32 => deinterleave(bytes, bps, out, |s| {
                i32::from_le_bytes([s[0], s[1], s[2], s[3]]) as f32 / 2_147_483_648.0
            }),
            WavEncoding::F32 => deinterleave(bytes, bps, out, |s| {
                f32::from_le_bytes([s[0], s[1], s[2], s[3]])
            }),
            WavEncoding::F64 => deinterleave(bytes, bps, out, |s| {
                f64::from_le_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]]) as f32
            }),
            WavEncoding::MuLaw => deinterleave(bytes, bps, out, |s| g711::mulaw_decode(s[0])),
            WavEncoding::ALaw => deinterleave(bytes, bps, out, |s| g711::alaw_decode(s[0])),
        }
        if matches!(self.encoding, WavEncoding::F32 | WavEncoding::F64) {
            check_finite_and_clamp(out)?;
        }
        Ok(frames)
    }
}

/// Split interleaved samples of `bps` bytes into one Vec per channel.
fn deinterleave(bytes: &[u8], bps: usize, out: &mut [Vec<f32>], decode: impl Fn(&[u8]) -> f32) {
    let channels = out.len();
    for (i, s) in bytes.chunks_exact(bps).enumerate() {
        out[i % channels].push(decode(s));
    }
}

fn skip(r: &mut BufReader<File>, bytes: u64) -> io::Result<()> {
    // Seeking past the end is allowed; the next read then finds the end of file.
    match i64::try_from(bytes) {
        Ok(n) => r.seek_relative(n),
        Err(_) => r.seek(SeekFrom::End(0)).map(|_| ()),
    }
}

/// Reject NaN and infinities (corrupt float data); clamp overshoot to [-1, 1].
fn check_finite_and_clamp(out: &mut [Vec<f32>]) -> Result<(), StreamError> {
    let first_bad = out
        .iter()
        .filter_map(|ch| ch.iter().position(|x| !x.is_finite()).map(|i| (i, ch[i])))
        .min_by_key(|&(i, _)| i);
    if let Some((frame_in_block, value)) = first_bad {
        return Err(StreamError::NonFinite {
            frame_in_block,
            value,
        });
    }
    for x in out.iter_mut().flatten() {
        *x = x.clamp(-1.0, 1.0);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// MP3 and FLAC through symphonia

#[derive(Debug, Clone, Copy)]
enum Container {
    Flac,
    Mpeg,
}

struct CompressedStream {
    container: Container,
    format: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    sample_rate: u32,
    channels: usize,
    /// Timestamp the next packet should start at; a later one means packets were lost.
    next_ts: Option<i64>,
}

impl CompressedStream {
    fn open(
        path: &Path,
        file: File,
        container: Container,
    ) -> Result<(Stream, AudioInfo), DecodeError> {
        let owned = || path.to_path_buf();
        // Unseekable on purpose: the MP3 reader then takes the length only from a
        // Xing/LAME/VBRI header, never from a bitrate estimate, so a declared length
        // is exact and a shortfall means real loss. We never seek anyway.
        let mss = MediaSourceStream::new(Box::new(ReadOnlySource::new(file)), Default::default());
        let opts = FormatOptions::default();
        let format: Result<Box<dyn FormatReader>, SymphoniaError> = match container {
            Container::Flac => {
                FlacReader::try_new(mss, opts).map(|r| Box::new(r) as Box<dyn FormatReader>)
            }
            Container::Mpeg => {
                MpaReader::try_new(mss, opts).map(|r| Box::new(r) as Box<dyn FormatReader>)
            }
        };
        let format = format.map_err(|e| header_error(path, container, e))?;
        let Some(track) = format.default_track(TrackType::Audio) else {
            return Err(DecodeError::NoAudio { path: owned() });
        };
        let Some(params) = track.codec_params.as_ref().and_then(|p| p.audio()) else {
            return Err(DecodeError::NoAudio { path: owned() });
        };
        let codec = match params.codec {
            CODEC_ID_MP3 => "MP3",
            CODEC_ID_FLAC => "FLAC",
            _ => {
                let codec = match container {
                    Container::Mpeg => "MPEG audio layer I/II",
                    Container::Flac => "unknown codec in a FLAC file",
                };
                return Err(DecodeError::UnsupportedCodec {
                    path: owned(),
                    codec: codec.into(),
                });
            }
        };
        let Some(sample_rate) = params.sample_rate else {
            return Err(DecodeError::BadHeader {
                path: owned(),
                detail: "no sample rate".into(),
            });
        };
        let Some(channels) = params.channels.as_ref().map(|c| c.count()) else {
            return Err(DecodeError::BadHeader {
                path: owned(),
                detail: "no channel count".into(),
            });
        };
        check_layout(path, channels as u32, sample_rate)?;
        let decoder = symphonia::default::get_codecs()
            .make_audio_decoder(params, &AudioDecoderOptions::default())
            .map_err(|e| match e {
                SymphoniaError::Unsupported(_) => DecodeError::UnsupportedCodec {
                    path: owned(),
                    codec: codec.into(),
                },
                other => header_error(path, container, other),
            })?;
        let info = AudioInfo {
            sample_rate,
            channels,
            declared_frames: track.num_frames,
            codec: codec.to_string(),
        };
        let track_id = track.id;
        let stream = CompressedStream {
            container,
            format,
            decoder,
            track_id,
            sample_rate,
            channels,
            next_ts: None,
        };
        Ok((Stream::Compressed(Box::new(stream)), info))
    }

    fn next_block(
        &mut self,
        out: &mut [Vec<f32>],
        frames_so_far: u64,
        damage: &mut Damage,
    ) -> Result<usize, StreamError> {
        loop {
            let packet = match self.format.next_packet() {
                Ok(Some(packet)) => packet,
                Ok(None) => return Ok(0),
                // A file cut mid-packet: the shortfall shows against the declared length.
                Err(SymphoniaError::IoError(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    return Ok(0);
                }
                Err(SymphoniaError::IoError(e)) => return Err(StreamError::Io(e)),
                // Any other reader error is unrecoverable per symphonia's contract: what
                // was decoded stands, the rest of the file is lost.
                Err(_) => {
                    damage.record(frames_so_far);
                    return Ok(0);
                }
            };
            if packet.track_id != self.track_id {
                continue;
            }
            let pts = packet.pts.get();
            if self.next_ts.is_some_and(|expected| pts > expected) {
                damage.record(frames_so_far);
            }
            self.next_ts =
                Some(pts.saturating_add(i64::try_from(packet.dur.get()).unwrap_or(i64::MAX)));
            let buf = match self.decoder.decode(&packet) {
                Ok(buf) => buf,
                Err(SymphoniaError::DecodeError(_)) | Err(SymphoniaError::IoError(_)) => {
                    damage.record(frames_so_far);
                    continue;
                }
                Err(SymphoniaError::ResetRequired) => {
                    self.decoder.reset();
                    damage.record(frames_so_far);
                    continue;
                }
                Err(_) => {
                    damage.record(frames_so_far);
                    return Ok(0);
                }
            };
            let frames = buf.frames();
            if frames == 0 {
                // Packets wholly inside the encoder delay decode to nothing.
                continue;
            }
            // A frame sync found in damaged data can decode as a different layout.
            if buf.num_planes() != self.channels || buf.spec().rate() != self.sample_rate {
                damage.record(frames_so_far);
                continue;
            }
            for ch in out.iter_mut() {
                ch.clear();
                ch.resize(frames, 0.0);
            }
            buf.copy_to_slice_planar::<f32, _>(out);
            if check_finite_and_clamp(out).is_err() {
                damage.record(frames_so_far);
                for ch in out.iter_mut() {
                    ch.clear();
                }
                continue;
            }
            return Ok(frames);
        }
    }
}

/// A symphonia error while reading a header.
fn header_error(path: &Path, container: Container, e: SymphoniaError) -> DecodeError {
    let path = path.to_path_buf();
    match e {
        // The MP3 reader scans the whole file for two consecutive valid frames.
        SymphoniaError::IoError(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            let detail = match container {
                Container::Flac => "file ends inside the header",
                Container::Mpeg => "no valid MPEG audio frame in the file",
            };
            DecodeError::BadHeader {
                path,
                detail: detail.into(),
            }
        }
        SymphoniaError::IoError(source) => DecodeError::Io { path, source },
        SymphoniaError::Unsupported(what) => DecodeError::UnsupportedCodec {
            path,
            codec: what.into(),
        },
        other => DecodeError::BadHeader {
            path,
            detail: other.to_string(),
        },
    }
}
