//! Live audio from sound devices (cpal): device listing, opening a capture
//! stream, and the audio callback that hands samples to the analysis thread.
//!
//! The callback converts whatever the device delivers (any sample format,
//! rate, channel count, irregular callback sizes) into mono samples per party
//! on the [`Producer`]; it never allocates, locks or blocks. Errors the stream
//! reports later (device gone, stream invalidated) arrive on a bounded channel
//! the session polls, so it can re-open the device.

use std::str::FromStr;
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample};
use crossbeam_channel::{Receiver, bounded};

use crate::live::queue::Producer;

/// Which of a device's channels a party is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// All channels mixed (a mono microphone, or the monitor of a stereo output).
    Mix,
    /// One channel (a stereo device with one party per channel).
    Channel(u16),
}

/// What to capture from one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureSpec {
    /// A device id as `tonewatch devices` lists it (`alsa:default`,
    /// `pulseaudio:sink.monitor`…), or `None` for the default input device.
    pub device: Option<String>,
    /// The parties on this device: (party index, channel).
    pub parties: Vec<(usize, Pick)>,
}

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error(
        "audio device '{id}': no such device; input devices here: {available} (see `tonewatch devices`)"
    )]
    NotFound { id: String, available: String },
    #[error(
        "audio device '{id}': not a device id ({reason}); ids look like 'alsa:default' (see `tonewatch devices`)"
    )]
    BadId { id: String, reason: String },
    #[error(
        "no default input device on host '{host}'; name one with --customer-device (see `tonewatch devices`)"
    )]
    NoDefault { host: String },
    #[error("audio device '{device}': {what}: {source}{hint}")]
    Device {
        device: String,
        what: &'static str,
        source: cpal::Error,
        hint: &'static str,
    },
    #[error("audio device '{device}': {channels} channel(s), but channel {wanted} was asked for")]
    NoSuchChannel {
        device: String,
        channels: u16,
        wanted: u16,
    },
    #[error(
        "audio device '{device}': an output, not an input; to hear what it plays, capture its monitor '{monitor}'"
    )]
    OutputOnly { device: String, monitor: String },
    #[error("audio device '{device}': sample format {format} cannot be captured (DSD)")]
    Format { device: String, format: String },
}

impl CaptureError {
    /// Whether trying again later may succeed (the device may come back).
    pub fn is_transient(&self) -> bool {
        match self {
            CaptureError::NotFound { .. } => true,
            CaptureError::Device { source, .. } => matches!(
                source.kind(),
                cpal::ErrorKind::DeviceNotAvailable
                    | cpal::ErrorKind::DeviceBusy
                    | cpal::ErrorKind::HostUnavailable
                    | cpal::ErrorKind::StreamInvalidated
                    | cpal::ErrorKind::ResourceExhausted
            ),
            _ => false,
        }
    }
}

/// What to tell the user to do about a cpal error.
fn hint(kind: cpal::ErrorKind) -> &'static str {
    match kind {
        cpal::ErrorKind::DeviceBusy => {
            " (another program holds it: close it, or capture through the sound server, e.g. 'alsa:pulse')"
        }
        cpal::ErrorKind::PermissionDenied => {
            " (no permission: on Linux add yourself to the 'audio' group; on macOS allow microphone access)"
        }
        cpal::ErrorKind::DeviceNotAvailable => " (unplugged or removed?)",
        cpal::ErrorKind::HostUnavailable => " (is the sound server running?)",
        cpal::ErrorKind::UnsupportedConfig => " (the device refuses its own default format)",
        _ => "",
    }
}

fn device_error(device: &str, what: &'static str, source: cpal::Error) -> CaptureError {
    let hint = hint(source.kind());
    CaptureError::Device {
        device: device.to_string(),
        what,
        source,
        hint,
    }
}

/// A device as `tonewatch devices` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeviceInfo {
    pub id: String,
    pub name: String,
    pub input: bool,
    pub output: bool,
    pub default_input: bool,
    /// The default input format, e.g. "48000 Hz, 2 ch, f32", when it has one.
    pub input_config: Option<String>,
}

/// The devices of one audio host.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HostDevices {
    pub host: String,
    pub default_host: bool,
    /// Devices, or why they could not be listed.
    pub devices: Result<Vec<DeviceInfo>, String>,
}

/// Every host and its devices.
pub fn list_devices() -> Vec<HostDevices> {
    let default_host = cpal::default_host().id();
    cpal::available_hosts()
        .into_iter()
        .map(|host_id| {
            let devices = cpal::host_from_id(host_id)
                .map_err(|e| e.to_string())
                .and_then(|host| {
                    let default_id = host.default_input_device().and_then(|d| d.id().ok());
                    let devices = host.devices().map_err(|e| e.to_string())?;
                    Ok(devices
                        .filter_map(|d| {
                            let id = d.id().ok()?;
                            let input_config = d.default_input_config().ok().map(|c| {
                                format!(
                                    "{} Hz, {} ch, {}",
                                    c.sample_rate(),
                                    c.channels(),
                                    c.sample_format()
                                )
                            });
                            Some(DeviceInfo {
                                name: d
                                    .description()
                                    .map(|x| x.name().to_string())
                                    .unwrap_or_else(|_| id.id().to_string()),
                                input: d.supports_input() || input_config.is_some(),
                                output: d.supports_output(),
                                default_input: default_id.as_ref() == Some(&id),
                                id: id.to_string(),
                                input_config,
                            })
                        })
                        .collect())
                });
            HostDevices {
                host: host_id.to_string(),
                default_host: host_id == default_host,
                devices,
            }
        })
        .collect()
}

fn input_ids() -> String {
    let ids: Vec<String> = list_devices()
        .into_iter()
        .filter_map(|h| h.devices.ok())
        .flatten()
        .filter(|d| d.input)
        .map(|d| d.id)
        .collect();
    if ids.is_empty() {
        "none".into()
    } else {
        ids.join(", ")
    }
}

fn find_device(spec: &CaptureSpec) -> Result<(cpal::Device, String), CaptureError> {
    match &spec.device {
        None => {
            let host = cpal::default_host();
            let device = host
                .default_input_device()
                .ok_or_else(|| CaptureError::NoDefault {
                    host: host.id().to_string(),
                })?;
            let name = device
                .id()
                .map(|i| i.to_string())
                .unwrap_or_else(|_| "default input".into());
            Ok((device, name))
        }
        Some(id) => {
            let parsed = cpal::DeviceId::from_str(id).map_err(|e| CaptureError::BadId {
                id: id.clone(),
                reason: e.to_string(),
            })?;
            let host = cpal::host_from_id(parsed.host())
                .map_err(|e| device_error(id, "cannot reach its audio host", e))?;
            let device = host
                .device_by_id(&parsed)
                .ok_or_else(|| CaptureError::NotFound {
                    id: id.clone(),
                    available: input_ids(),
                })?;
            Ok((device, id.clone()))
        }
    }
}

/// Asks the sound server whether named devices still exist.
///
/// When a PulseAudio source goes away (a headset unplugged, a softphone's
/// virtual device unloaded), the server moves its capture streams to the
/// default source instead of failing them, and cpal says nothing: the monitor
/// would go on listening to the wrong device. Checking the device list
/// every few seconds catches it. One connection to the server is kept for
/// the checks (a new one each time costs a thread and a handshake).
#[derive(Default)]
pub struct PresenceCheck {
    host: Option<cpal::Host>,
}

impl PresenceCheck {
    pub fn new() -> Self {
        Self::default()
    }

    /// `Some(false)` when the sound server answers and `spec`'s device is not
    /// in its list; `None` when that cannot be told cheaply: the default
    /// device (it follows the server's default by design), devices of other
    /// hosts (listing ALSA hardware disturbs it), or a server that does not
    /// answer (the stream itself reports that).
    pub fn present(&mut self, spec: &CaptureSpec) -> Option<bool> {
        let parsed = cpal::DeviceId::from_str(spec.device.as_ref()?).ok()?;
        if parsed.host().to_string() != "pulseaudio" {
            return None;
        }
        if self.host.is_none() {
            self.host = cpal::host_from_id(parsed.host()).ok();
        }
        let devices = match self.host.as_ref()?.devices() {
            Ok(d) => d,
            Err(_) => {
                // Reconnect next time (the server may have restarted).
                self.host = None;
                return None;
            }
        };
        Some(devices.filter_map(|d| d.id().ok()).any(|id| id == parsed))
    }
}

/// An open capture stream. Dropping it stops the capture.
pub struct Capture {
    _stream: cpal::Stream,
    /// The device id (or the default device's).
    pub device: String,
    pub sample_rate: u32,
    pub channels: u16,
    pub format: SampleFormat,
    /// Errors the stream reported after it started.
    pub errors: Receiver<cpal::Error>,
}

/// Opens the device of `spec` with its default input format and starts
/// handing its audio to `producer`.
pub fn open(spec: &CaptureSpec, producer: Producer) -> Result<Capture, CaptureError> {
    let (device, name) = find_device(spec)?;
    let config = device.default_input_config().map_err(|e| {
        // A PulseAudio sink named where its monitor was meant (the usual
        // slip when capturing a softphone's output).
        if name.starts_with("pulseaudio:")
            && !name.ends_with(".monitor")
            && device.supports_output()
        {
            CaptureError::OutputOnly {
                device: name.clone(),
                monitor: format!("{name}.monitor"),
            }
        } else {
            device_error(&name, "has no input format", e)
        }
    })?;
    let channels = config.channels();
    for &(_, pick) in &spec.parties {
        if let Pick::Channel(c) = pick
            && c >= channels
        {
            return Err(CaptureError::NoSuchChannel {
                device: name,
                channels,
                wanted: c,
            });
        }
    }
    let format = config.sample_format();
    let rate = config.sample_rate();
    let (err_tx, err_rx) = bounded(16);
    let on_error = move |e: cpal::Error| {
        // Never blocks: if the session is not reading, older errors suffice.
        let _ = err_tx.try_send(e);
    };
    // Ask for callbacks of about 40 ms: the latency target counts from the
    // callback, and 40 ms adds little to the time to an alert, while the
    // sound server's client threads (most of a live session's CPU, measured:
    // 20 ms blocks 2.0-2.3 %, 40 ms 1.8-2.0 % of a core for two parties) do not
    // wake hundreds of times a second (the default can be a few frames).
    let want = (rate / 25).max(64);
    let buffer_size = match *config.buffer_size() {
        cpal::SupportedBufferSize::Range { min, max } => {
            cpal::BufferSize::Fixed(want.clamp(min, max))
        }
        cpal::SupportedBufferSize::Unknown => cpal::BufferSize::Fixed(want),
    };
    let mut stream_config: cpal::StreamConfig = config.into();
    stream_config.buffer_size = buffer_size;
    let parties = spec.parties.clone();
    macro_rules! build {
        ($t:ty) => {
            build_stream::<$t>(
                &device,
                &stream_config,
                parties,
                producer,
                on_error,
                rate,
                channels,
            )
        };
    }
    let stream = match format {
        SampleFormat::I8 => build!(i8),
        SampleFormat::I16 => build!(i16),
        SampleFormat::I24 => build!(cpal::I24),
        SampleFormat::I32 => build!(i32),
        SampleFormat::I64 => build!(i64),
        SampleFormat::U8 => build!(u8),
        SampleFormat::U16 => build!(u16),
        SampleFormat::U24 => build!(cpal::U24),
        SampleFormat::U32 => build!(u32),
        SampleFormat::U64 => build!(u64),
        SampleFormat::F32 => build!(f32),
        SampleFormat::F64 => build!(f64),
        other => {
            return Err(CaptureError::Format {
                device: name,
                format: other.to_string(),
            });
        }
    }
    .map_err(|e| device_error(&name, "cannot open a capture stream", e))?;
    stream
        .play()
        .map_err(|e| device_error(&name, "cannot start capturing", e))?;
    Ok(Capture {
        _stream: stream,
        device: name,
        sample_rate: rate,
        channels,
        format,
        errors: err_rx,
    })
}

fn build_stream<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    parties: Vec<(usize, Pick)>,
    producer: Producer,
    on_error: impl FnMut(cpal::Error) + Send + 'static,
    rate: u32,
    channels: u16,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample + Send + 'static,
    f32: FromSample<T>,
{
    let ch = usize::from(channels.max(1));
    let scale = 1.0 / ch as f32;
    device.build_input_stream::<T, _, _>(
        *config,
        move |data: &[T], _info: &cpal::InputCallbackInfo| {
            let arrived = Instant::now();
            let frames = data.len() / ch;
            for &(party, pick) in &parties {
                match pick {
                    Pick::Mix if ch == 1 => {
                        producer.push_with(party, rate, frames, arrived, |i| {
                            data[i].to_sample::<f32>()
                        });
                    }
                    Pick::Mix => producer.push_with(party, rate, frames, arrived, |i| {
                        let frame = &data[i * ch..(i + 1) * ch];
                        frame.iter().map(|&s| s.to_sample::<f32>()).sum::<f32>() * scale
                    }),
                    Pick::Channel(c) => {
                        let c = usize::from(c);
                        producer.push_with(party, rate, frames, arrived, |i| {
                            data[i * ch + c].to_sample::<f32>()
                        });
                    }
                }
            }
        },
        on_error,
        Some(Duration::from_secs(5)),
    )
}
