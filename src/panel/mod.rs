//! The agent panel: a small local web page, docked beside the agent's CRM,
//! that shows the live monitor's events as they happen.
//!
//! The monitor publishes the JSON-lines events of [`crate::report::events`]
//! to a [`PanelPublisher`]; the [`PanelServer`] keeps a bounded snapshot of
//! the current state (so a browser that connects late, or reconnects after a
//! restart, shows it at once) and streams every event to the open pages by
//! Server-Sent Events. Only measures and alerts go through it, never audio.
//!
//! Routes: `/` (the page), `/panel.js`, `/panel.css`, `/events` (the
//! stream: a `snapshot` event first, then each event as published, with a
//! `sent_ms` publish timestamp added), `/health`.
//!
//! Security: loopback only unless [`PanelConfig::allow_remote`]; then a token
//! is required on every request (`?token=`), compared in constant time. On
//! loopback, requests whose `Host` is not a loopback name are refused, so a
//! web page elsewhere cannot read the stream through DNS rebinding.
//!
//! `publish` never waits for the network: events go through a bounded queue
//! to one fan-out thread, and each browser has its own bounded queue; what
//! does not fit is dropped and counted ([`PanelStats`]), and a browser that
//! lost events is sent a fresh snapshot.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crossbeam_channel::{Sender, TrySendError};

mod server;
mod snapshot;

pub use snapshot::{ALERTS_KEPT, CUES_KEPT, TREND_MAX, TREND_S};

/// The panel's default port (on 127.0.0.1).
pub const DEFAULT_PORT: u16 = 8787;
/// Events waiting for the fan-out thread before `publish` drops them.
pub const PUBLISH_QUEUE: usize = 8192;
/// Events waiting for one browser before they are dropped for it.
pub const CLIENT_QUEUE: usize = 1024;
/// Browsers streaming at once; more get 503.
pub const MAX_CLIENTS: usize = 32;
/// Milliseconds a browser waits before reconnecting (the SSE `retry:`).
pub const RETRY_MS: u32 = 1000;

/// Where and how the panel is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelConfig {
    pub addr: SocketAddr,
    /// Serve on a non-loopback address (then a token is required).
    pub allow_remote: bool,
    /// Required on every request as `?token=`. With `allow_remote` and no
    /// token, a random one is generated. Letters, digits, `-._~` only,
    /// at least 16 characters.
    pub token: Option<String>,
}

impl Default for PanelConfig {
    /// `127.0.0.1:8787`, loopback only, no token.
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)),
            allow_remote: false,
            token: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PanelError {
    #[error("panel: cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(
        "panel: {addr} is not a loopback address; serving the panel to other machines needs the explicit remote option (and then a token)"
    )]
    NotLoopback { addr: SocketAddr },
    #[error(
        "panel: the token must be at least 16 characters of letters, digits and -._~ (it goes in the URL)"
    )]
    BadToken,
    #[error("panel: cannot generate a random token: {0}")]
    Random(String),
    #[error("panel: cannot start its threads: {0}")]
    Spawn(std::io::Error),
}

/// Counters of a running panel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PanelStats {
    /// Browsers streaming now.
    pub clients: usize,
    /// Events accepted by `publish`.
    pub published: u64,
    /// Events the fan-out has taken into the snapshot and sent on to the
    /// browsers' queues (the rest of `published` are invalid or still queued).
    pub applied: u64,
    /// Events `publish` dropped because the fan-out queue was full.
    pub dropped_publish: u64,
    /// Events dropped for a browser that did not keep up (summed over browsers).
    pub dropped_client: u64,
    /// Published lines that were not a JSON object with a `type`.
    pub invalid: u64,
}

#[derive(Debug, Default)]
struct Counters {
    published: AtomicU64,
    applied: AtomicU64,
    dropped_publish: AtomicU64,
    dropped_client: AtomicU64,
    invalid: AtomicU64,
}

/// A running panel: its listener, fan-out and per-browser threads. Dropping
/// it shuts it down too.
pub struct PanelServer {
    inner: Option<server::Running>,
    publisher: PanelPublisher,
    url: String,
    addr: SocketAddr,
    token: Option<String>,
}

impl PanelServer {
    /// Binds the address and starts serving.
    pub fn start(config: PanelConfig) -> Result<PanelServer, PanelError> {
        if !config.addr.ip().is_loopback() && !config.allow_remote {
            return Err(PanelError::NotLoopback { addr: config.addr });
        }
        let token = match config.token {
            Some(t) if valid_token(&t) => Some(t),
            Some(_) => return Err(PanelError::BadToken),
            None if config.allow_remote => Some(random_token()?),
            None => None,
        };
        let counters = Arc::new(Counters::default());
        let (tx, rx) = crossbeam_channel::bounded(PUBLISH_QUEUE);
        let running = server::Running::start(
            config.addr,
            config.allow_remote,
            token.clone(),
            rx,
            counters.clone(),
        )?;
        let addr = running.local_addr();
        let mut url = format!("http://{addr}/");
        if let Some(t) = &token {
            url.push_str("?token=");
            url.push_str(t);
        }
        Ok(PanelServer {
            inner: Some(running),
            publisher: PanelPublisher { tx, counters },
            url,
            addr,
            token,
        })
    }

    /// The page's address, with `?token=` when one is required.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The address actually bound (port 0 resolved).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The token every request must carry, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// A handle to publish events from any thread.
    pub fn publisher(&self) -> PanelPublisher {
        self.publisher.clone()
    }

    pub fn stats(&self) -> PanelStats {
        let c = &self.publisher.counters;
        PanelStats {
            clients: self.inner.as_ref().map_or(0, server::Running::clients),
            published: c.published.load(Ordering::Relaxed),
            applied: c.applied.load(Ordering::Relaxed),
            dropped_publish: c.dropped_publish.load(Ordering::Relaxed),
            dropped_client: c.dropped_client.load(Ordering::Relaxed),
            invalid: c.invalid.load(Ordering::Relaxed),
        }
    }

    /// Stops serving: open pages see the stream end (and keep trying to
    /// reconnect); waits for the threads.
    pub fn shutdown(mut self) {
        if let Some(r) = self.inner.take() {
            r.stop();
        }
    }
}

impl Drop for PanelServer {
    fn drop(&mut self) {
        if let Some(r) = self.inner.take() {
            r.stop();
        }
    }
}

/// Publishes events to the panel; cheap to clone, usable from any thread.
#[derive(Clone)]
pub struct PanelPublisher {
    tx: Sender<server::Published>,
    counters: Arc<Counters>,
}

impl PanelPublisher {
    /// Hands one event (a JSON object with `type`, as made by
    /// [`crate::report::events`]) to the panel. Never blocks: when the
    /// panel's queue is full the event is dropped and counted; after
    /// [`PanelServer::shutdown`] it is ignored.
    pub fn publish(&self, event_json: &str) {
        let event = server::Published {
            json: event_json.to_owned(),
            sent_ms: now_ms(),
        };
        match self.tx.try_send(event) {
            Ok(()) => {
                self.counters.published.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Full(_)) => {
                self.counters
                    .dropped_publish
                    .fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Disconnected(_)) => {}
        }
    }
}

/// Wall-clock milliseconds since the Unix epoch: the page compares it with
/// its own clock (same machine) to measure publish-to-screen latency.
fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

fn valid_token(t: &str) -> bool {
    t.len() >= 16
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

fn random_token() -> Result<String, PanelError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| PanelError::Random(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert!(valid_token("abcdefghijklmnop"));
        assert!(!valid_token("short"));
        assert!(!valid_token("abcdefghijklmnop&x=1"));
        let a = random_token().unwrap();
        let b = random_token().unwrap();
        assert_eq!(a.len(), 32);
        assert!(valid_token(&a));
        assert_ne!(a, b);
    }
}
