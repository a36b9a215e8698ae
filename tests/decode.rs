//! Decoding call recordings: every supported format at telephone to studio rates,
//! the broken files recorders and transfers produce, and bounded memory.
//! Every fixture is generated here; FLAC and MP3 need `scripts/deps --test`.

mod common;

use std::path::Path;

use common::*;
use tonewatch::audio::decode::{DecodeError, Decoder, read_all};
use tonewatch::audio::g711::{self, Law};

const RATES: [u32; 6] = [8000, 11025, 16000, 22050, 44100, 48000];

#[derive(Debug, Clone, Copy)]
enum Fixture {
    Hound(HoundFormat),
    G711(Law),
}

impl Fixture {
    fn write(self, path: &Path, rate: u32, channels: u16, samples: &[f32]) {
        match self {
            Fixture::Hound(f) => write_hound(path, f, rate, channels, samples),
            Fixture::G711(law) => g711::write_g711_wav(path, law, rate, channels, samples).unwrap(),
        }
    }

    /// Largest error the format's quantisation allows on the test tone.
    fn tolerance(self) -> f32 {
        match self {
            Fixture::Hound(HoundFormat::Int(bits)) => 1.0 / (1u32 << (bits - 1)) as f32,
            Fixture::Hound(HoundFormat::Float32) => 1e-7,
            // Half a step at the tone's peak (0.5): 1/32 of the value, 1.6 %.
            Fixture::G711(_) => 0.02,
        }
    }

    fn codec(self) -> &'static str {
        match self {
            Fixture::Hound(HoundFormat::Int(8)) => "PCM 8-bit",
            Fixture::Hound(HoundFormat::Int(16)) => "PCM 16-bit",
            Fixture::Hound(HoundFormat::Int(24)) => "PCM 24-bit",
            Fixture::Hound(HoundFormat::Int(_)) => "PCM 32-bit",
            Fixture::Hound(HoundFormat::Float32) => "PCM 32-bit float",
            Fixture::G711(Law::MuLaw) => "G.711 µ-law",
            Fixture::G711(Law::ALaw) => "G.711 A-law",
        }
    }
}

fn assert_matches_tone(samples: &[Vec<f32>], rate: u32, tolerance: f32, what: &str) {
    for (ch, x) in samples.iter().enumerate() {
        for (i, &v) in x.iter().enumerate() {
            let want = tone_sample(ch, i, rate);
            assert!(
                (v - want).abs() <= tolerance,
                "{what}: channel {ch} frame {i}: got {v}, want {want}"
            );
        }
    }
}

#[test]
fn wav_pcm_float_and_g711_at_every_rate_mono_and_stereo() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = [
        Fixture::Hound(HoundFormat::Int(8)),
        Fixture::Hound(HoundFormat::Int(16)),
        Fixture::Hound(HoundFormat::Int(24)),
        Fixture::Hound(HoundFormat::Int(32)),
        Fixture::Hound(HoundFormat::Float32),
        Fixture::G711(Law::MuLaw),
        Fixture::G711(Law::ALaw),
    ];
    for fixture in fixtures {
        for rate in RATES {
            for channels in [1u16, 2] {
                let frames = rate as usize / 2;
                let path = dir
                    .path()
                    .join(format!("{fixture:?}-{rate}-{channels}.wav"));
                fixture.write(&path, rate, channels, &tone(rate, channels.into(), frames));
                let what = format!("{fixture:?} {rate} Hz {channels} ch");

                let (dec, samples, largest) = decode_blocks(&path).unwrap();
                let info = dec.info();
                assert_eq!(info.sample_rate, rate, "{what}");
                assert_eq!(info.channels, usize::from(channels), "{what}");
                assert_eq!(info.declared_frames, Some(frames as u64), "{what}");
                assert_eq!(info.codec, fixture.codec(), "{what}");
                assert_eq!(samples[0].len(), frames, "{what}");
                assert!(
                    largest <= rate as usize,
                    "{what}: block of {largest} frames"
                );
                dec.finish().unwrap();
                assert_matches_tone(&samples, rate, fixture.tolerance(), &what);
            }
        }
    }
}

#[test]
fn eight_bit_wav_is_unsigned() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("u8.wav");
    RawWav::new(1, 1, 8000, 8, vec![0, 64, 128, 192, 255]).write(&path);
    let (_, samples) = read_all(&path).unwrap();
    assert_eq!(samples[0], [-1.0, -0.5, 0.0, 0.5, 127.0 / 128.0]);
}

#[test]
fn hand_built_headers_recorders_write() {
    let dir = tempfile::tempdir().unwrap();
    let rate = 8000;
    let x = tone(rate, 2, 800);
    let check = |name: &str, wav: RawWav, codec: &str, tolerance: f32| {
        let path = dir.path().join(name);
        wav.write(&path);
        let (dec, samples, _) = decode_blocks(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        dec.finish().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(dec.info().codec, codec, "{name}");
        assert_eq!(samples[0].len(), 800, "{name}");
        assert_matches_tone(&samples, rate, tolerance, name);
    };

    // Plain IEEE float (tag 3) and 64-bit float.
    check(
        "f32.wav",
        RawWav::float32(2, rate, &x),
        "PCM 32-bit float",
        1e-7,
    );
    let f64_data = x.iter().flat_map(|&v| f64::from(v).to_le_bytes()).collect();
    check(
        "f64.wav",
        RawWav::new(3, 2, rate, 64, f64_data),
        "PCM 64-bit float",
        1e-7,
    );

    // G.711 in WAVE_FORMAT_EXTENSIBLE, and with fmt chunks of 16 and 20 bytes.
    let mulaw: Vec<u8> = x.iter().map(|&v| g711::mulaw_encode(v)).collect();
    let alaw: Vec<u8> = x.iter().map(|&v| g711::alaw_encode(v)).collect();
    let mut ext = RawWav::new(0xFFFE, 2, rate, 8, mulaw.clone());
    ext.fmt_extra = extensible_fmt_extra(8, 0b11, 7);
    check("mulaw-ext.wav", ext, "G.711 µ-law", 0.02);
    check(
        "alaw-fmt16.wav",
        RawWav::new(6, 2, rate, 8, alaw.clone()),
        "G.711 A-law",
        0.02,
    );
    let mut fmt20 = RawWav::new(7, 2, rate, 8, mulaw);
    fmt20.fmt_extra = vec![2, 0, 0, 0];
    check("mulaw-fmt20.wav", fmt20, "G.711 µ-law", 0.02);

    // 20-bit samples in 24-bit containers, extensible; a channel mask of 0.
    let i24: Vec<u8> = x
        .iter()
        .flat_map(|&v| {
            let s = quantise(v, 20) << 4;
            let b = s.to_le_bytes();
            [b[0], b[1], b[2]]
        })
        .collect();
    let mut ext20 = RawWav::new(0xFFFE, 2, rate, 24, i24);
    ext20.fmt_extra = extensible_fmt_extra(20, 0, 1);
    check("pcm20.wav", ext20, "PCM 20-bit", 1.0 / 524_288.0);

    // Unknown chunks before and after the data, with odd sizes that need padding,
    // and a PCM fmt chunk with an empty cbSize.
    let mut chunky = RawWav::pcm16(2, rate, &x);
    chunky.fmt_extra = vec![0, 0];
    chunky.chunks_before_data = vec![(*b"JUNK", vec![0; 3]), (*b"bext", vec![7; 601])];
    chunky.chunks_after_data = vec![(*b"LIST", b"INFOISFT\x05\0\0\0abcd\0".to_vec())];
    check("chunky.wav", chunky, "PCM 16-bit", 1.0 / 32768.0);
}

#[test]
fn streaming_writers_unknown_length_reads_to_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let x = tone(8000, 1, 4000);
    // ffmpeg writing to a pipe: both lengths 0xFFFFFFFF.
    let mut ffmpeg = RawWav::pcm16(1, 8000, &x);
    ffmpeg.riff_len = Some(u32::MAX);
    ffmpeg.data_len = Some(u32::MAX);
    // A recorder that died before patching its placeholder zeros.
    let mut unpatched = RawWav::pcm16(1, 8000, &x);
    unpatched.riff_len = Some(0);
    unpatched.data_len = Some(0);
    // Only the data length left at 0xFFFFFFFF.
    let mut data_only = RawWav::pcm16(1, 8000, &x);
    data_only.data_len = Some(u32::MAX);
    for (name, wav) in [
        ("ffmpeg.wav", ffmpeg),
        ("unpatched.wav", unpatched),
        ("data.wav", data_only),
    ] {
        let path = dir.path().join(name);
        wav.write(&path);
        let (dec, samples, _) = decode_blocks(&path).unwrap();
        assert_eq!(dec.info().declared_frames, None, "{name}");
        dec.finish().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(samples[0].len(), 4000, "{name}");
        assert_matches_tone(&samples, 8000, 1.0 / 32768.0, name);
    }
}

#[test]
fn truncated_wav_decodes_what_is_there_then_reports() {
    let dir = tempfile::tempdir().unwrap();
    let rate = 8000;
    let frames = 8000;
    let x = tone(rate, 2, frames);

    // A copy cut in half (mid-frame: the last partial frame is dropped).
    let full = dir.path().join("full.wav");
    write_hound(&full, HoundFormat::Int(16), rate, 2, &x);
    let bytes = std::fs::read(&full).unwrap();
    let cut = dir.path().join("cut.wav");
    std::fs::write(&cut, &bytes[..bytes.len() / 2 + 1]).unwrap();
    // A header that lies: the data chunk claims 10 s but holds 1 s (RIFF length
    // matching the lie, as a recorder that pre-allocates writes it).
    let lying = dir.path().join("lying.wav");
    let mut wav = RawWav::pcm16(2, rate, &x);
    wav.data_len = Some(10 * rate * 4);
    wav.riff_len = Some(36 + 10 * rate * 4);
    wav.write(&lying);
    // The data chunk longer than its RIFF parent, which says the truth about the
    // file: symphonia refuses this file outright.
    let longer_than_riff = dir.path().join("longer-than-riff.wav");
    let mut wav = RawWav::pcm16(2, rate, &x);
    wav.data_len = Some(10 * rate * 4);
    wav.write(&longer_than_riff);

    for (path, decoded, declared) in [
        (&cut, (bytes.len() / 2 + 1 - 44) / 4, frames),
        (&lying, frames, 10 * frames),
        (&longer_than_riff, frames, 10 * frames),
    ] {
        let (dec, samples, _) = decode_blocks(path).unwrap();
        assert_eq!(samples[0].len(), decoded);
        assert_matches_tone(&samples, rate, 1.0 / 32768.0, "truncated");
        let err = dec.finish().unwrap_err();
        assert!(matches!(err, DecodeError::Truncated { .. }), "{err:?}");
        assert!(err.is_partial());
        assert_names_file(&err, path);
        let msg = err.to_string();
        let announced = format!("announces {:.2} s", declared as f64 / rate as f64);
        let ends = format!("ends at {:.2} s", decoded as f64 / rate as f64);
        assert!(msg.contains(&announced) && msg.contains(&ends), "{msg}");
    }

    let err = Decoder::open(&dir.path().join("x")).err().unwrap();
    assert!(!err.is_partial());
}

#[test]
fn header_cut_before_any_audio() {
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full.wav");
    write_hound(&full, HoundFormat::Int(16), 8000, 1, &tone(8000, 1, 100));
    let bytes = std::fs::read(&full).unwrap();
    for len in [4, 11, 12, 20, 36, 40, 43] {
        let path = dir.path().join(format!("cut{len}.wav"));
        std::fs::write(&path, &bytes[..len]).unwrap();
        let err = decode_anything(&path).unwrap_err();
        assert_names_file(&err, &path);
        assert!(
            matches!(
                err,
                DecodeError::BadHeader { .. }
                    | DecodeError::UnrecognisedFormat { .. }
                    | DecodeError::NoAudio { .. }
            ),
            "{len} bytes: {err:?}"
        );
    }
    // Exactly the 44-byte header: a valid file holding no audio.
    let path = dir.path().join("header-only.wav");
    RawWav::pcm16(1, 8000, &[]).write(&path);
    let err = Decoder::open(&path).err().unwrap();
    assert!(matches!(err, DecodeError::NoAudio { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("{}: contains no audio (0 samples)", path.display())
    );
}

#[test]
fn bad_inputs_are_named_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name);
    let open_err = |path: &Path| -> DecodeError {
        let err = Decoder::open(path)
            .err()
            .unwrap_or_else(|| panic!("{} opened", path.display()));
        assert_names_file(&err, path);
        assert!(!err.is_partial());
        err
    };

    let missing = p("missing.wav");
    let err = open_err(&missing);
    assert!(matches!(err, DecodeError::NotFound { .. }));
    assert_eq!(
        err.to_string(),
        format!("{}: no such file", missing.display())
    );

    let sub = p("calls");
    std::fs::create_dir(&sub).unwrap();
    let err = Decoder::open(&sub).err().unwrap();
    assert!(matches!(err, DecodeError::IsDirectory { .. }));
    assert_eq!(
        err.to_string(),
        format!("{}: is a directory, not an audio file", sub.display())
    );

    let empty = p("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    let err = open_err(&empty);
    assert!(matches!(err, DecodeError::EmptyFile { .. }));
    assert!(err.to_string().ends_with("empty.wav: empty file (0 bytes)"));

    let notes = p("notes.wav");
    std::fs::write(
        &notes,
        "Call with Mrs Smith, follow up Tuesday.\n".repeat(50),
    )
    .unwrap();
    let err = open_err(&notes);
    assert!(matches!(err, DecodeError::UnrecognisedFormat { .. }));
    assert!(
        err.to_string()
            .ends_with("notes.wav: not an audio file tonewatch can read (unrecognised format)"),
        "{err}"
    );

    let random = p("random.wav");
    std::fs::write(&random, XorShift(7).bytes(10_000)).unwrap();
    assert!(matches!(
        open_err(&random),
        DecodeError::UnrecognisedFormat { .. }
    ));

    let ogg = p("x.ogg");
    let mut bytes = b"OggS\0\x02".to_vec();
    bytes.resize(28, 0);
    bytes.extend_from_slice(b"\x01vorbis\0\0\0\0\x01");
    std::fs::write(&ogg, bytes).unwrap();
    let err = open_err(&ogg);
    assert!(matches!(err, DecodeError::UnsupportedCodec { .. }));
    assert!(
        err.to_string()
            .contains("x.ogg: unsupported codec Vorbis (tonewatch reads"),
        "{err}"
    );

    let mut junk = XorShift(3).bytes(4000);
    let mp3_in_wav = p("mp3-in-wav.wav");
    RawWav::new(0x0055, 1, 8000, 0, junk.clone()).write(&mp3_in_wav);
    let err = open_err(&mp3_in_wav);
    assert!(matches!(err, DecodeError::UnsupportedCodec { .. }));
    assert!(
        err.to_string()
            .contains("unsupported codec MP3 (WAV format tag 0x0055)"),
        "{err}"
    );
    let gsm = p("gsm.wav");
    RawWav::new(0x0031, 1, 8000, 0, junk.clone()).write(&gsm);
    assert!(open_err(&gsm).to_string().contains("GSM 6.10"));
    let odd_tag = p("odd-tag.wav");
    RawWav::new(0x4321, 1, 8000, 16, junk.clone()).write(&odd_tag);
    assert!(
        open_err(&odd_tag)
            .to_string()
            .contains("WAV format tag 0x4321")
    );

    let no_channels = p("zero-ch.wav");
    RawWav::new(1, 0, 8000, 16, junk.clone()).write(&no_channels);
    let err = open_err(&no_channels);
    assert!(matches!(
        err,
        DecodeError::UnsupportedChannels { channels: 0, .. }
    ));
    assert!(
        err.to_string()
            .ends_with("zero-ch.wav: 0 channels in the header"),
        "{err}"
    );

    let six = p("six.wav");
    junk.truncate(1200);
    RawWav::new(1, 6, 8000, 16, junk.clone()).write(&six);
    let err = open_err(&six);
    assert!(matches!(
        err,
        DecodeError::UnsupportedChannels { channels: 6, .. }
    ));
    assert!(
        err.to_string()
            .ends_with("six.wav: 6 channels: tonewatch reads mono or stereo recordings")
    );
    // Extensible with more channels than any mask can name (symphonia panics here).
    let many = p("many.wav");
    let mut wav = RawWav::new(0xFFFE, 40, 8000, 16, junk.clone());
    wav.fmt_extra = extensible_fmt_extra(16, 0, 1);
    wav.write(&many);
    assert!(matches!(
        open_err(&many),
        DecodeError::UnsupportedChannels { channels: 40, .. }
    ));

    for rate in [0, 1, 7999, 192_001, 10_000_000] {
        let path = p(&format!("rate{rate}.wav"));
        RawWav::new(1, 1, rate, 16, junk.clone()).write(&path);
        let err = open_err(&path);
        assert!(
            matches!(err, DecodeError::UnsupportedSampleRate { .. }),
            "{err:?}"
        );
        assert!(
            err.to_string().ends_with(&format!(
                "rate{rate}.wav: unsupported sample rate {rate} Hz (tonewatch reads 8000–192000 Hz)"
            )),
            "{err}"
        );
    }

    let no_data = p("no-data.wav");
    let mut bytes = RawWav::pcm16(1, 8000, &[0.0; 10]).bytes();
    bytes.truncate(36);
    std::fs::write(&no_data, bytes).unwrap();
    assert!(
        open_err(&no_data)
            .to_string()
            .ends_with("no-data.wav: broken header: no data chunk")
    );

    let data_first = p("data-first.wav");
    let mut bytes = b"RIFF\x20\0\0\0WAVEdata\x04\0\0\0\0\0\0\0".to_vec();
    bytes.extend_from_slice(&RawWav::pcm16(1, 8000, &[]).bytes()[12..36]);
    std::fs::write(&data_first, bytes).unwrap();
    assert!(matches!(
        open_err(&data_first),
        DecodeError::BadHeader { .. }
    ));

    let short_fmt = p("short-fmt.wav");
    let mut bytes = b"RIFF\x24\0\0\0WAVEfmt \x0e\0\0\0".to_vec();
    bytes.extend_from_slice(&[1, 0, 1, 0, 0x40, 0x1f, 0, 0, 0x80, 0x3e, 0, 0, 2, 0]);
    bytes.extend_from_slice(b"data\x02\0\0\0\0\0");
    std::fs::write(&short_fmt, bytes).unwrap();
    assert!(matches!(
        open_err(&short_fmt),
        DecodeError::BadHeader { .. }
    ));

    let avi = p("film.avi");
    std::fs::write(&avi, b"RIFF\x04\0\0\0AVI LIST").unwrap();
    assert!(matches!(
        open_err(&avi),
        DecodeError::UnsupportedFormat { .. }
    ));
}

#[test]
fn nan_and_infinity_in_float_wav_are_hard_errors() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bad, shown) in [
        ("nan.wav", f32::NAN, "NaN"),
        ("inf.wav", f32::INFINITY, "+Inf"),
        ("ninf.wav", f32::NEG_INFINITY, "-Inf"),
    ] {
        let mut x = tone(8000, 2, 16000);
        // Frame 9872 (1.234 s), right channel: in the third block, so earlier
        // blocks come through first.
        x[2 * 9872 + 1] = bad;
        let path = dir.path().join(name);
        RawWav::float32(2, 8000, &x).write(&path);
        let mut dec = Decoder::open(&path).unwrap();
        let mut block = vec![Vec::new(); 2];
        let mut good = 0;
        let err = loop {
            match dec.next_block(&mut block) {
                Ok(0) => panic!("{name}: no error"),
                Ok(n) => good += n,
                Err(e) => break e,
            }
        };
        assert!(good > 0 && good <= 9872);
        assert!(
            matches!(err, DecodeError::NonFiniteSample { .. }),
            "{err:?}"
        );
        assert_names_file(&err, &path);
        assert!(
            err.to_string().ends_with(&format!(
                "{name}: sample at 1.234 s is {shown}: the float data is corrupt"
            )),
            "{err}"
        );
        // The decoder is done after a hard error.
        assert_eq!(dec.next_block(&mut block).unwrap(), 0);
    }
    // Loud but finite float overshoot is clamped, not an error.
    let path = dir.path().join("loud.wav");
    RawWav::float32(1, 8000, &[0.5, 1.5, -3.0, 1e30]).write(&path);
    let (_, samples) = read_all(&path).unwrap();
    assert_eq!(samples[0], [0.5, 1.0, -1.0, 1.0]);
}

#[test]
fn flac_at_several_rates_is_lossless() {
    let dir = tempfile::tempdir().unwrap();
    for rate in [8000, 16000, 44100, 48000] {
        for channels in [1u16, 2] {
            let frames = rate as usize / 2;
            let path = make_flac(
                dir.path(),
                &format!("t{rate}-{channels}"),
                rate,
                channels,
                frames,
            );
            let (dec, samples, _) = decode_blocks(&path).unwrap();
            let info = dec.info();
            assert_eq!(
                (info.sample_rate, info.channels, info.codec.as_str()),
                (rate, usize::from(channels), "FLAC")
            );
            assert_eq!(info.declared_frames, Some(frames as u64));
            assert_eq!(samples[0].len(), frames);
            dec.finish().unwrap();
            assert_matches_tone(
                &samples,
                rate,
                1.0 / 32768.0,
                &format!("flac {rate} {channels}"),
            );
        }
    }
}

#[test]
fn mp3_at_several_rates_keeps_the_tone() {
    let dir = tempfile::tempdir().unwrap();
    for rate in [8000, 11025, 16000, 22050, 44100, 48000] {
        for channels in [1u16, 2] {
            let frames = rate as usize;
            let path = make_mp3(
                dir.path(),
                &format!("t{rate}-{channels}"),
                rate,
                channels,
                frames,
            );
            let (dec, samples, _) = decode_blocks(&path).unwrap();
            let info = dec.info();
            let what = format!("mp3 {rate} Hz {channels} ch");
            assert_eq!(
                (info.sample_rate, info.channels, info.codec.as_str()),
                (rate, usize::from(channels), "MP3"),
                "{what}"
            );
            // The LAME tag gives the exact length and the encoder delay to trim.
            let n = samples[0].len();
            assert_eq!(n, frames, "{what}: {n} frames");
            dec.finish().unwrap_or_else(|e| panic!("{what}: {e}"));
            for (ch, x) in samples.iter().enumerate() {
                let (freq, amp) = measure_tone(&x[n / 10..n * 9 / 10], rate);
                let (want_freq, want_amp) = TONES[ch];
                assert!(
                    (freq - want_freq).abs() < want_freq * 0.03,
                    "{what} ch{ch}: {freq} Hz"
                );
                assert!(
                    (amp - want_amp).abs() < want_amp * 0.1,
                    "{what} ch{ch}: amplitude {amp}"
                );
            }
        }
    }
}

#[test]
fn mp3_with_an_id3v2_tag() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("src.wav");
    write_hound(&wav, HoundFormat::Int(16), 16000, 1, &tone(16000, 1, 16000));
    let mp3 = dir.path().join("tagged.mp3");
    run_encoder(
        "lame",
        &[
            "--silent",
            // Big enough frames for the LAME tag (lame drops it below ~48 kbit/s).
            "-b",
            "64",
            "--id3v2-only",
            "--tt",
            "Call 4711",
            "--ta",
            "Agent Smith",
            wav.to_str().unwrap(),
            mp3.to_str().unwrap(),
        ],
    );
    let bytes = std::fs::read(&mp3).unwrap();
    assert_eq!(&bytes[..3], b"ID3");
    let (info, samples) = read_all(&mp3).unwrap();
    assert_eq!(
        (info.sample_rate, info.channels, samples[0].len()),
        (16000, 1, 16000)
    );

    // Zero padding between the tag and the first frame, as sloppy taggers leave.
    let tag_len = 10
        + bytes[6..10]
            .iter()
            .fold(0usize, |n, &b| n << 7 | usize::from(b));
    let mut padded = bytes[..tag_len].to_vec();
    padded.extend_from_slice(&[0; 700]);
    padded.extend_from_slice(&bytes[tag_len..]);
    let path = dir.path().join("padded.mp3");
    std::fs::write(&path, padded).unwrap();
    let (_, samples) = read_all(&path).unwrap();
    assert_eq!(samples[0].len(), 16000);

    // A tag and nothing after it.
    let path = dir.path().join("tag-only.mp3");
    std::fs::write(&path, &bytes[..tag_len]).unwrap();
    let err = Decoder::open(&path).err().unwrap();
    assert!(matches!(err, DecodeError::BadHeader { .. }), "{err:?}");
    assert_names_file(&err, &path);
}

#[test]
fn decoder_and_errors_can_cross_threads() {
    fn assert_send<T: Send + 'static>() {}
    fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}
    assert_send::<Decoder>();
    assert_error::<DecodeError>();
}

/// Copies of a good file damaged the ways transfers damage files: cut in half,
/// and 2000 bytes overwritten with garbage in the middle.
fn damaged_copies(src: &Path, dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let bytes = std::fs::read(src).unwrap();
    let ext = src.extension().unwrap().to_str().unwrap();
    let cut = dir.join(format!("cut.{ext}"));
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let mut overwritten = bytes.clone();
    let mid = bytes.len() / 2;
    overwritten[mid..mid + 2000].copy_from_slice(&XorShift(11).bytes(2000));
    let corrupt = dir.join(format!("corrupt.{ext}"));
    std::fs::write(&corrupt, overwritten).unwrap();
    (cut, corrupt)
}

/// Decode a damaged file: most of the audio must come through, and finish()
/// must report a partial error naming the file.
fn decode_damaged(path: &Path, full_frames: usize, min_fraction: f64) -> DecodeError {
    let (dec, samples, _) = decode_blocks(path).unwrap_or_else(|e| panic!("{e}"));
    let n = samples[0].len();
    assert!(
        n as f64 >= full_frames as f64 * min_fraction,
        "{}: only {n} frames",
        path.display()
    );
    let err = dec
        .finish()
        .err()
        .unwrap_or_else(|| panic!("{}: no error", path.display()));
    assert!(err.is_partial(), "{err}");
    assert_names_file(&err, path);
    err
}

#[test]
fn damaged_flac_keeps_the_good_audio_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let src = make_flac(dir.path(), "src", 16000, 2, 160_000);
    let (cut, corrupt) = damaged_copies(&src, dir.path());

    let err = decode_damaged(&cut, 160_000, 0.45);
    assert!(matches!(err, DecodeError::Truncated { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("truncated: the header announces 10.00 s but the data ends at"),
        "{err}"
    );

    // FLAC frames carry their sample number: the reader skips the damaged frame and
    // the gap in the timeline shows where.
    let err = decode_damaged(&corrupt, 160_000, 0.9);
    let DecodeError::Corrupt { first_at_s, .. } = err else {
        panic!("{err:?}")
    };
    assert!((4.0..6.0).contains(&first_at_s), "{err}");
    assert!(
        err.to_string().contains("corrupt.flac: corrupt data: "),
        "{err}"
    );
}

#[test]
fn damaged_mp3_keeps_the_good_audio_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let src = make_mp3(dir.path(), "src", 16000, 2, 160_000);
    let (cut, corrupt) = damaged_copies(&src, dir.path());
    // MPEG frames carry no position and the reader skips garbage silently, so a
    // cut and a damaged middle both show only as audio missing against the LAME tag.
    for path in [cut, corrupt] {
        let err = decode_damaged(&path, 160_000, 0.45);
        assert!(
            matches!(
                err,
                DecodeError::Incomplete { .. } | DecodeError::Corrupt { .. }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains(".mp3: "), "{err}");
    }
}

#[test]
fn ten_minutes_decode_in_small_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.wav");
    let rate = 8000;
    let frames = 600 * rate as usize;
    {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&path, spec).unwrap();
        for i in 0..frames {
            w.write_sample(quantise(tone_sample(0, i, rate), 16) as i16)
                .unwrap();
        }
        w.finalize().unwrap();
    }
    let mut dec = Decoder::open(&path).unwrap();
    let mut block = vec![Vec::new()];
    let mut total = 0u64;
    loop {
        let n = dec.next_block(&mut block).unwrap();
        if n == 0 {
            break;
        }
        assert!(n <= rate as usize, "block of {n} frames");
        // Reusing the caller's Vec must not make it grow either.
        assert!(
            block[0].capacity() <= rate as usize,
            "block capacity {}",
            block[0].capacity()
        );
        total += n as u64;
    }
    dec.finish().unwrap();
    assert_eq!(total, frames as u64);
}

#[test]
fn random_bytes_after_a_valid_header_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let good = RawWav::pcm16(2, 8000, &tone(8000, 2, 200)).bytes();
    for i in 0..400 {
        let path = dir.path().join(format!("fuzz{i}.wav"));
        let mut bytes = match i % 4 {
            // A RIFF/WAVE header and then anything.
            0 => {
                let mut b = b"RIFF\xff\xff\xff\xffWAVE".to_vec();
                let n = rng.below(300);
                b.extend(rng.bytes(n));
                b
            }
            // A fmt chunk header and random fmt fields.
            1 => {
                let mut b = b"RIFF\xff\xff\xff\xffWAVEfmt ".to_vec();
                b.extend_from_slice(&[16 + 24 * (rng.below(2) as u8), 0, 0, 0]);
                b.extend(rng.bytes(40));
                b.extend_from_slice(b"data");
                let n = rng.below(300);
                b.extend(rng.bytes(n));
                b
            }
            // A valid file with a few header bytes flipped.
            _ => {
                let mut b = good.clone();
                for _ in 0..1 + rng.below(4) {
                    let at = rng.below(44);
                    b[at] = rng.next() as u8;
                }
                b
            }
        };
        if i % 7 == 0 {
            bytes.truncate(rng.below(bytes.len() + 1));
        }
        std::fs::write(&path, &bytes).unwrap();
        if let Err(e) = decode_anything(&path) {
            assert_names_file(&e, &path);
        }
    }
}

#[test]
fn random_damage_to_flac_and_mp3_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    for src in [
        make_flac(dir.path(), "src", 8000, 1, 16000),
        make_mp3(dir.path(), "src", 8000, 2, 16000),
    ] {
        let good = std::fs::read(&src).unwrap();
        let ext = src.extension().unwrap().to_str().unwrap().to_string();
        for i in 0..150 {
            let mut bytes = good.clone();
            match i % 3 {
                // Random bytes after the stream marker and into the headers.
                0 => {
                    let keep = 4 + rng.below(60);
                    bytes.truncate(keep);
                    let n = rng.below(4000);
                    bytes.extend(rng.bytes(n));
                }
                // Scattered byte damage anywhere.
                1 => {
                    for _ in 0..1 + rng.below(40) {
                        let at = rng.below(bytes.len());
                        bytes[at] = rng.next() as u8;
                    }
                }
                // A burst of garbage, then cut.
                _ => {
                    let at = rng.below(bytes.len());
                    let len = rng.below(bytes.len() - at);
                    bytes[at..at + len].copy_from_slice(&rng.bytes(len));
                    bytes.truncate(rng.below(bytes.len() + 1).max(1));
                }
            }
            let path = dir.path().join(format!("fuzz{i}.{ext}"));
            std::fs::write(&path, &bytes).unwrap();
            if let Err(e) = decode_anything(&path) {
                assert_names_file(&e, &path);
            }
        }
    }
}
