//! The panel's HTTP side: a listener thread, one thread per connection
//! (bounded), and one fan-out thread that keeps the snapshot and feeds each
//! browser's bounded queue. HTTP is parsed with httparse; the sockets are
//! plain std ones so every read and write has a timeout and a browser that
//! stops reading cannot hold a thread for long.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};
use serde_json::Value;
use subtle::ConstantTimeEq;

use super::snapshot::Snapshot;
use super::{CLIENT_QUEUE, Counters, MAX_CLIENTS, PanelError, RETRY_MS, now_ms};

const INDEX_HTML: &str = include_str!("assets/index.html");
const PANEL_JS: &str = include_str!("assets/panel.js");
const PANEL_CSS: &str = include_str!("assets/panel.css");

/// Connections being served at once (pages, assets, streams); more are closed.
const MAX_CONNECTIONS: usize = 64;
/// Longest request head accepted.
const MAX_HEAD: usize = 8192;
/// A request head must arrive within this.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// A browser that takes longer than this to take a write is dropped (its
/// page reconnects and gets a snapshot).
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// A `ping` event this often keeps idle streams open and lets the page see
/// that the monitor is still there (SSE comments never reach page scripts).
const HEARTBEAT: Duration = Duration::from_secs(5);
/// Events written to a browser in one go.
const BATCH: usize = 256;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                   img-src 'self' data:; base-uri 'none'; form-action 'none'";

pub(super) struct Published {
    pub json: String,
    pub sent_ms: f64,
}

struct Client {
    id: u64,
    tx: Sender<Arc<str>>,
    /// Set when an event was dropped for this browser: it gets a fresh
    /// snapshot instead of a stream with holes.
    resync: Arc<AtomicBool>,
}

#[derive(Default)]
struct Hub {
    snapshot: Snapshot,
    clients: Vec<Client>,
}

struct Shared {
    hub: Mutex<Hub>,
    stop: AtomicBool,
    allow_remote: bool,
    token: Option<String>,
    counters: Arc<Counters>,
    connections: AtomicUsize,
    next_id: AtomicU64,
    /// Clones of the open sockets, to unblock their threads at shutdown.
    sockets: Mutex<Vec<(u64, TcpStream)>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Shared {
    fn hub(&self) -> MutexGuard<'_, Hub> {
        // A panic in another panel thread leaves the snapshot usable.
        self.hub.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub(super) struct Running {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop_tx: Sender<()>,
    accept: Option<JoinHandle<()>>,
    fanout: Option<JoinHandle<()>>,
}

impl Running {
    pub fn start(
        addr: SocketAddr,
        allow_remote: bool,
        token: Option<String>,
        events: Receiver<Published>,
        counters: Arc<Counters>,
    ) -> Result<Running, PanelError> {
        let listener =
            TcpListener::bind(addr).map_err(|source| PanelError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| PanelError::Bind { addr, source })?;
        let shared = Arc::new(Shared {
            hub: Mutex::new(Hub::default()),
            stop: AtomicBool::new(false),
            allow_remote,
            token,
            counters,
            connections: AtomicUsize::new(0),
            next_id: AtomicU64::new(0),
            sockets: Mutex::new(Vec::new()),
            threads: Mutex::new(Vec::new()),
        });
        let (stop_tx, stop_rx) = crossbeam_channel::bounded(1);
        let s = shared.clone();
        let fanout = std::thread::Builder::new()
            .name("panel-fanout".into())
            .spawn(move || fan_out(&s, &events, &stop_rx))
            .map_err(PanelError::Spawn)?;
        let s = shared.clone();
        let accept = std::thread::Builder::new()
            .name("panel-accept".into())
            .spawn(move || accept_loop(&s, &listener))
            .map_err(PanelError::Spawn)?;
        Ok(Running {
            shared,
            addr: local,
            stop_tx,
            accept: Some(accept),
            fanout: Some(fanout),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn clients(&self) -> usize {
        self.shared.hub().clients.len()
    }

    pub fn stop(mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = self.stop_tx.try_send(());
        // Wake the blocking accept with a connection of our own.
        let wake = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => {
                SocketAddr::new(Ipv4Addr::LOCALHOST.into(), self.addr.port())
            }
            IpAddr::V6(ip) if ip.is_unspecified() => {
                SocketAddr::new(Ipv6Addr::LOCALHOST.into(), self.addr.port())
            }
            _ => self.addr,
        };
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
        if let Some(h) = self.fanout.take() {
            let _ = h.join();
        }
        for (_, s) in lock(&self.shared.sockets).drain(..) {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
        let threads: Vec<_> = lock(&self.shared.threads).drain(..).collect();
        for h in threads {
            let _ = h.join();
        }
    }
}

fn fan_out(shared: &Shared, events: &Receiver<Published>, stop: &Receiver<()>) {
    loop {
        let published = crossbeam_channel::select! {
            recv(events) -> e => match e { Ok(e) => e, Err(_) => break },
            recv(stop) -> _ => break,
        };
        let mut map = match serde_json::from_str::<Value>(&published.json) {
            Ok(Value::Object(m)) if m.get("type").is_some_and(Value::is_string) => m,
            _ => {
                shared.counters.invalid.fetch_add(1, Ordering::Relaxed);
                continue;
            }
        };
        map.insert("sent_ms".into(), published.sent_ms.into());
        let line: Arc<str> = match serde_json::to_string(&map) {
            Ok(l) => l.into(),
            Err(_) => continue, // a parsed object always serialises
        };
        let mut hub = shared.hub();
        hub.snapshot.apply(map);
        hub.clients.retain(|c| match c.tx.try_send(line.clone()) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                shared
                    .counters
                    .dropped_client
                    .fetch_add(1, Ordering::Relaxed);
                c.resync.store(true, Ordering::Relaxed);
                true
            }
            Err(TrySendError::Disconnected(_)) => false,
        });
        shared.counters.applied.fetch_add(1, Ordering::Relaxed);
    }
    // Streams end: their threads see the queue close.
    shared.hub().clients.clear();
}

fn accept_loop(shared: &Arc<Shared>, listener: &TcpListener) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        if shared.connections.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
            continue; // dropped: closed at once
        }
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        if let Ok(clone) = stream.try_clone() {
            lock(&shared.sockets).push((id, clone));
        }
        shared.connections.fetch_add(1, Ordering::SeqCst);
        let s = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("panel-conn".into())
            .spawn(move || {
                let _ = serve(&s, stream, id);
                lock(&s.sockets).retain(|(i, _)| *i != id);
                s.connections.fetch_sub(1, Ordering::SeqCst);
            });
        let mut threads = lock(&shared.threads);
        threads.retain(|h| !h.is_finished());
        match spawned {
            Ok(h) => threads.push(h),
            Err(_) => {
                lock(&shared.sockets).retain(|(i, _)| *i != id);
                shared.connections.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }
}

struct Head {
    method: String,
    path: String,
    query: String,
    host: Option<String>,
}

fn read_head(stream: &mut TcpStream) -> io::Result<Option<Head>> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 48];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&buf) {
            Ok(httparse::Status::Complete(_)) => {
                let target = req.path.unwrap_or("/");
                let (path, query) = target.split_once('?').unwrap_or((target, ""));
                let host = req
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("host"))
                    .and_then(|h| std::str::from_utf8(h.value).ok())
                    .map(str::to_owned);
                return Ok(Some(Head {
                    method: req.method.unwrap_or("").to_owned(),
                    path: path.to_owned(),
                    query: query.to_owned(),
                    host,
                }));
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => {}
            _ => return Ok(None),
        }
    }
}

/// Whether a `Host` header names this machine (`localhost`, a loopback
/// address), with or without a port.
fn loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    let name = name.to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn token_ok(expected: Option<&str>, query: &str) -> bool {
    let Some(expected) = expected else {
        return true;
    };
    let given = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("token="))
        .unwrap_or("");
    given.as_bytes().ct_eq(expected.as_bytes()).into()
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    extra: &str,
    body: &[u8],
    head_only: bool,
) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n\
         {extra}Connection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    if !head_only {
        stream.write_all(body)?;
    }
    stream.flush()
}

fn serve(shared: &Arc<Shared>, mut stream: TcpStream, id: u64) -> io::Result<()> {
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
    let _ = stream.set_nodelay(true);
    let Some(head) = read_head(&mut stream)? else {
        return Ok(());
    };
    let text = "text/plain; charset=utf-8";
    let head_only = head.method == "HEAD";
    if head.method != "GET" && !head_only {
        return respond(
            &mut stream,
            "405 Method Not Allowed",
            text,
            "Allow: GET, HEAD\r\n",
            b"GET only\n",
            false,
        );
    }
    if !shared.allow_remote && !head.host.as_deref().is_some_and(loopback_host) {
        return respond(
            &mut stream,
            "403 Forbidden",
            text,
            "",
            b"this panel answers only to localhost\n",
            head_only,
        );
    }
    if !token_ok(shared.token.as_deref(), &head.query) {
        return respond(
            &mut stream,
            "401 Unauthorized",
            text,
            "",
            b"token required: open the URL tonewatch printed\n",
            head_only,
        );
    }
    match head.path.as_str() {
        "/" | "/index.html" => {
            let query = shared
                .token
                .as_ref()
                .map_or(String::new(), |t| format!("?token={t}"));
            let page = INDEX_HTML.replace("{{QUERY}}", &query);
            let csp = format!("Content-Security-Policy: {CSP}\r\n");
            respond(
                &mut stream,
                "200 OK",
                "text/html; charset=utf-8",
                &csp,
                page.as_bytes(),
                head_only,
            )
        }
        "/panel.js" => respond(
            &mut stream,
            "200 OK",
            "text/javascript; charset=utf-8",
            "",
            PANEL_JS.as_bytes(),
            head_only,
        ),
        "/panel.css" => respond(
            &mut stream,
            "200 OK",
            "text/css; charset=utf-8",
            "",
            PANEL_CSS.as_bytes(),
            head_only,
        ),
        "/health" => {
            let c = &shared.counters;
            let body = serde_json::json!({
                "status": "ok",
                "version": env!("CARGO_PKG_VERSION"),
                "clients": shared.hub().clients.len(),
                "published": c.published.load(Ordering::Relaxed),
                "dropped_publish": c.dropped_publish.load(Ordering::Relaxed),
                "dropped_client": c.dropped_client.load(Ordering::Relaxed),
                "invalid": c.invalid.load(Ordering::Relaxed),
            })
            .to_string();
            respond(
                &mut stream,
                "200 OK",
                "application/json",
                "",
                body.as_bytes(),
                head_only,
            )
        }
        "/events" if !head_only => stream_events(shared, stream, id),
        _ => respond(
            &mut stream,
            "404 Not Found",
            text,
            "",
            b"not found\n",
            head_only,
        ),
    }
}

fn snapshot_event(hub: &Hub) -> String {
    format!(
        "event: snapshot\ndata: {}\n\n",
        hub.snapshot.to_json(now_ms())
    )
}

fn stream_events(shared: &Arc<Shared>, mut stream: TcpStream, id: u64) -> io::Result<()> {
    let (tx, rx) = crossbeam_channel::bounded::<Arc<str>>(CLIENT_QUEUE);
    let resync = Arc::new(AtomicBool::new(false));
    let first = {
        let mut hub = shared.hub();
        if hub.clients.len() >= MAX_CLIENTS || shared.stop.load(Ordering::SeqCst) {
            drop(hub);
            let text = "text/plain; charset=utf-8";
            return respond(
                &mut stream,
                "503 Service Unavailable",
                text,
                "",
                b"too many panels open\n",
                false,
            );
        }
        hub.clients.push(Client {
            id,
            tx,
            resync: resync.clone(),
        });
        // Taken under the same lock as the registration: no event is
        // missed or shown twice between the snapshot and the stream.
        snapshot_event(&hub)
    };
    let result = (|| {
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n\
             Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n\
             retry: {RETRY_MS}\n\n"
        );
        stream.write_all(head.as_bytes())?;
        stream.write_all(first.as_bytes())?;
        stream.flush()?;
        let mut out = String::new();
        loop {
            out.clear();
            match rx.recv_timeout(HEARTBEAT) {
                Ok(line) => {
                    push_data(&mut out, &line);
                    for line in rx.try_iter().take(BATCH) {
                        push_data(&mut out, &line);
                    }
                }
                Err(RecvTimeoutError::Timeout) => out.push_str("event: ping\ndata: 1\n\n"),
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            }
            if resync.swap(false, Ordering::Relaxed) {
                let hub = shared.hub();
                while rx.try_recv().is_ok() {}
                out = snapshot_event(&hub);
            }
            stream.write_all(out.as_bytes())?;
            stream.flush()?;
        }
    })();
    shared.hub().clients.retain(|c| c.id != id);
    result
}

fn push_data(out: &mut String, line: &str) {
    out.push_str("data: ");
    out.push_str(line);
    out.push_str("\n\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        for h in [
            "localhost",
            "localhost:8787",
            "127.0.0.1:8787",
            "127.1.2.3",
            "[::1]:8787",
            "x.localhost",
        ] {
            assert!(loopback_host(h), "{h}");
        }
        for h in [
            "evil.example:8787",
            "192.168.1.2",
            "[::2]:1",
            "localhost.evil.example",
            "",
        ] {
            assert!(!loopback_host(h), "{h}");
        }
    }

    #[test]
    fn token_is_required_exactly() {
        assert!(token_ok(None, ""));
        let t = Some("0123456789abcdef");
        assert!(token_ok(t, "token=0123456789abcdef"));
        assert!(token_ok(t, "a=1&token=0123456789abcdef"));
        assert!(!token_ok(t, "token=0123456789abcde"));
        assert!(!token_ok(t, "token=0123456789abcdeF"));
        assert!(!token_ok(t, ""));
    }
}
