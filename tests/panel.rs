//! The agent panel's server: page and assets, the event stream, snapshots for
//! late joiners, token and loopback rules, and a browser that never reads.
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;
use tonewatch::Role;
use tonewatch::analyzer::{Analyzer, AnalyzerConfig, Sink, TimelinePoint};
use tonewatch::audio::synth;
use tonewatch::classify::Alert;
use tonewatch::panel::{PanelConfig, PanelError, PanelServer};
use tonewatch::report::events::{self, Party};

fn loopback(token: Option<&str>) -> PanelServer {
    PanelServer::start(PanelConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        allow_remote: false,
        token: token.map(str::to_owned),
    })
    .unwrap()
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", addr.port())).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// (status code, body) of one request.
fn request(addr: SocketAddr, method: &str, target: &str, host: &str) -> (u16, String) {
    let mut s = connect(addr);
    write!(s, "{method} {target} HTTP/1.1\r\nHost: {host}\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text[9..12].parse().unwrap();
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (status, body)
}

fn get(addr: SocketAddr, target: &str) -> (u16, String) {
    request(addr, "GET", target, &format!("127.0.0.1:{}", addr.port()))
}

/// An open `/events` stream, read event by event.
struct Stream(BufReader<TcpStream>);

impl Stream {
    fn open(addr: SocketAddr, query: &str) -> Stream {
        let mut s = connect(addr);
        write!(s, "GET /events{query} HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
        Stream::read_head(s)
    }

    fn read_head(s: TcpStream) -> Stream {
        let mut r = BufReader::new(s);
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        assert!(line.starts_with("HTTP/1.1 200"), "{line}");
        let mut saw_type = false;
        loop {
            line.clear();
            r.read_line(&mut line).unwrap();
            saw_type |= line
                .to_ascii_lowercase()
                .starts_with("content-type: text/event-stream");
            if line == "\r\n" {
                break;
            }
        }
        assert!(saw_type);
        Stream(r)
    }

    /// The next event: (SSE event name, JSON data).
    fn next(&mut self) -> (String, Value) {
        let mut name = "message".to_owned();
        let mut line = String::new();
        loop {
            line.clear();
            assert!(self.0.read_line(&mut line).unwrap() > 0, "stream ended");
            let l = line.trim_end();
            if let Some(n) = l.strip_prefix("event: ") {
                name = n.to_owned();
            } else if let Some(d) = l.strip_prefix("data: ") {
                return (name, serde_json::from_str(d).unwrap());
            }
        }
    }

    /// The next event that is not a heartbeat.
    fn next_event(&mut self) -> (String, Value) {
        loop {
            let e = self.next();
            if e.0 != "ping" {
                return e;
            }
        }
    }
}

/// The demo call's events as the live monitor would publish them.
fn demo_events() -> Vec<String> {
    struct Collect(Vec<TimelinePoint>, Vec<Alert>);
    impl Sink for Collect {
        fn point(&mut self, p: &TimelinePoint) {
            self.0.push(p.clone());
        }
        fn alert(&mut self, a: &Alert) {
            self.1.push(a.clone());
        }
    }
    let call = synth::demo_call(16000);
    let mut a = Analyzer::new(16000, AnalyzerConfig::default()).unwrap();
    let mut out = vec![events::start(
        "replay:demo",
        &[Party {
            role: Role::Customer,
            device: "replay:demo".into(),
        }],
    )];
    for chunk in call.chunks(4000) {
        let mut c = Collect(Vec::new(), Vec::new());
        a.process(chunk, &mut c);
        let b = a.baseline();
        out.extend(
            c.0.iter()
                .map(|p| events::point(Role::Customer, p, b.as_ref())),
        );
        out.extend(c.1.iter().map(events::alert));
    }
    out.push(events::summary(
        Role::Customer,
        a.time_s(),
        &a.summary(),
        &a.profile(),
    ));
    out
}

#[test]
fn serves_the_page_its_assets_and_health() {
    let server = loopback(None);
    let addr = server.local_addr();
    assert_eq!(server.url(), format!("http://127.0.0.1:{}/", addr.port()));
    let (code, page) = get(addr, "/");
    assert_eq!(code, 200);
    assert!(page.contains("<script src=\"panel.js\""), "{page}");
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no external requests"
    );
    let (code, js) = get(addr, "/panel.js");
    assert_eq!(code, 200);
    assert!(js.contains("EventSource"));
    let (code, css) = get(addr, "/panel.css");
    assert_eq!(code, 200);
    for asset in [&js, &css] {
        assert!(
            !asset.contains("http://") && !asset.contains("https://") && !asset.contains("@import")
        );
    }
    let (code, health) = get(addr, "/health");
    assert_eq!(code, 200);
    let h: Value = serde_json::from_str(&health).unwrap();
    assert_eq!(h["status"], "ok");
    assert_eq!(get(addr, "/nothing").0, 404);
    assert_eq!(request(addr, "POST", "/", "localhost").0, 405);
    server.shutdown();
}

#[test]
fn a_late_browser_gets_the_state_at_once_then_live_events() {
    let server = loopback(None);
    let publisher = server.publisher();
    let events = demo_events();
    for e in &events {
        publisher.publish(e);
    }
    // Published before any browser: wait until the fan-out has taken them.
    let mut tries = 0;
    while server.stats().published < events.len() as u64 && tries < 100 {
        std::thread::sleep(Duration::from_millis(10));
        tries += 1;
    }
    let mut stream = Stream::open(server.local_addr(), "");
    let (name, snap) = loop {
        // The fan-out may still be applying the last events; the snapshot
        // is complete once it holds the final summary.
        let s = stream.next_event();
        if s.1["summaries"]["customer"].is_object() {
            break s;
        }
        stream = Stream::open(server.local_addr(), "");
    };
    assert_eq!(name, "snapshot");
    assert_eq!(snap["start"]["source"], "replay:demo");
    let points: Vec<Value> = events
        .iter()
        .map(|e| serde_json::from_str::<Value>(e).unwrap())
        .filter(|e| e["type"] == "point")
        .collect();
    assert!(points.len() > 150, "40 s at 4 points per second");
    let trend = snap["trend"]["customer"].as_array().unwrap();
    assert_eq!(trend.len(), points.len());
    let last = &points[points.len() - 1];
    assert_eq!(snap["points"]["customer"]["time_s"], last["time_s"]);
    assert!(snap["points"]["customer"]["baseline"].is_object());
    let alerts = snap["alerts"].as_array().unwrap();
    assert!(
        alerts.iter().any(|a| a["kind"] == "anger_rising"),
        "{alerts:?}"
    );
    // The trend rises: calm start (every score low), angry end (higher on
    // average than the calm part by a wide margin).
    assert!(
        trend[..60]
            .iter()
            .all(|p| p[1].as_f64().is_none_or(|s| s < 0.5))
    );
    let mean = |points: &[Value]| {
        let s: Vec<f64> = points.iter().filter_map(|p| p[1].as_f64()).collect();
        assert!(s.len() > 10, "scored points");
        s.iter().sum::<f64>() / s.len() as f64
    };
    let (calm, angry) = (mean(&trend[..80]), mean(&trend[trend.len() - 40..]));
    assert!(angry > calm + 0.2, "calm {calm:.2}, angry {angry:.2}");

    publisher.publish(r#"{"type":"cue","role":"agent","kind":"slow_down","message":"m"}"#);
    let (name, cue) = stream.next_event();
    assert_eq!(name, "message");
    assert_eq!(cue["type"], "cue");
    assert!(
        cue["sent_ms"].as_f64().unwrap() > 1.0e12,
        "publish time in ms"
    );
    // Not an event: counted, not forwarded.
    publisher.publish("not json");
    publisher.publish(r#"{"no":"type"}"#);
    publisher.publish(r#"{"type":"end","time_s":41.0,"reason":"done"}"#);
    assert_eq!(stream.next_event().1["type"], "end");
    assert_eq!(server.stats().invalid, 2);
    server.shutdown();
}

#[test]
fn a_token_is_required_on_every_request_when_set() {
    let token = "0123456789abcdefXYZ";
    let server = loopback(Some(token));
    let addr = server.local_addr();
    assert!(server.url().ends_with(&format!("/?token={token}")));
    for target in [
        "/",
        "/panel.js",
        "/events",
        "/health",
        "/?token=0123456789abcdefXY",
        "/?token=",
    ] {
        assert_eq!(get(addr, target).0, 401, "{target}");
    }
    let (code, page) = get(addr, &format!("/?token={token}"));
    assert_eq!(code, 200);
    // The page's own requests carry the token.
    assert!(page.contains(&format!("panel.js?token={token}")));
    assert_eq!(get(addr, &format!("/panel.css?token={token}")).0, 200);
    let mut s = Stream::open(addr, &format!("?token={token}"));
    assert_eq!(s.next_event().0, "snapshot");
    server.shutdown();
}

#[test]
fn only_loopback_unless_asked_and_then_with_a_token() {
    let any: SocketAddr = "0.0.0.0:0".parse().unwrap();
    let refused = PanelServer::start(PanelConfig {
        addr: any,
        allow_remote: false,
        token: None,
    });
    assert!(matches!(refused, Err(PanelError::NotLoopback { .. })));
    let bad = PanelServer::start(PanelConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        allow_remote: false,
        token: Some("short".into()),
    });
    assert!(matches!(bad, Err(PanelError::BadToken)));

    let remote = PanelServer::start(PanelConfig {
        addr: any,
        allow_remote: true,
        token: None,
    })
    .unwrap();
    let token = remote.token().expect("a token is generated").to_owned();
    assert_eq!(token.len(), 32);
    assert!(remote.url().ends_with(&format!("?token={token}")));
    let addr = remote.local_addr();
    // Any Host is fine for a remote panel, but not without the token.
    assert_eq!(request(addr, "GET", "/", "panel.example").0, 401);
    assert_eq!(
        request(addr, "GET", &format!("/?token={token}"), "panel.example").0,
        200
    );
    remote.shutdown();
}

#[test]
fn a_loopback_panel_refuses_other_host_names() {
    // A page elsewhere whose name resolves to 127.0.0.1 (DNS rebinding).
    let server = loopback(None);
    let addr = server.local_addr();
    assert_eq!(request(addr, "GET", "/events", "evil.example:8787").0, 403);
    assert_eq!(request(addr, "GET", "/", "localhost:8787").0, 200);
    server.shutdown();
}

#[test]
fn a_busy_port_is_a_bind_error() {
    let first = loopback(None);
    let second = PanelServer::start(PanelConfig {
        addr: first.local_addr(),
        allow_remote: false,
        token: None,
    });
    match second {
        Err(e @ PanelError::Bind { .. }) => {
            assert!(e.to_string().contains(&first.local_addr().to_string()))
        }
        other => panic!("expected a bind error, got {:?}", other.err()),
    }
}

#[test]
fn a_browser_that_never_reads_never_blocks_publish() {
    let server = loopback(None);
    let addr = server.local_addr();
    // Opens the stream and never reads from it.
    let mut stuck = connect(addr);
    write!(stuck, "GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    while server.stats().clients == 0 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let publisher = server.publisher();
    let pad = "x".repeat(400);
    let n = 200_000u64;
    for i in 0..n {
        publisher.publish(&format!(
            r#"{{"type":"point","role":"customer","time_s":{},"anger_score":0.1,"pad":"{pad}"}}"#,
            i as f64 * 0.25
        ));
    }
    let stats = server.stats();
    assert_eq!(stats.published + stats.dropped_publish, n);
    // 80 MB cannot sit in socket buffers and a 1024-event queue.
    let mut tries = 0;
    while server.stats().dropped_client == 0 && tries < 500 {
        std::thread::sleep(Duration::from_millis(10));
        tries += 1;
    }
    assert!(server.stats().dropped_client > 0, "{:?}", server.stats());
    // A browser arriving now still gets the state at once.
    // Once the queue has drained, one more point goes through.
    let settled = |s: &PanelServer| {
        let st = s.stats();
        st.applied + st.invalid == st.published
    };
    while !settled(&server) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let last_t = 1.0e6;
    publisher.publish(&format!(
        r#"{{"type":"point","role":"customer","time_s":{last_t},"anger_score":0.2}}"#
    ));
    while !settled(&server) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut fresh = Stream::open(addr, "");
    let (name, snap) = fresh.next_event();
    assert_eq!(name, "snapshot");
    assert_eq!(snap["points"]["customer"]["time_s"], last_t);
    assert!(snap["trend"]["customer"].as_array().unwrap().len() <= tonewatch::panel::TREND_MAX);
    // When the stuck browser reads again, what it missed comes as a fresh
    // snapshot, not as a stream with holes.
    let mut late = Stream::read_head(stuck);
    assert_eq!(late.next_event().0, "snapshot");
    let mut snapshots = 0;
    loop {
        let (name, data) = late.next_event();
        if name == "snapshot" {
            snapshots += 1;
            if data["points"]["customer"]["time_s"] == last_t {
                break;
            }
        } else if data["time_s"] == last_t {
            break;
        }
    }
    assert!(snapshots >= 1, "dropped events are replaced by a snapshot");
    server.shutdown();
}

#[test]
fn shutdown_ends_open_streams_and_frees_the_port() {
    let server = loopback(None);
    let addr = server.local_addr();
    let mut stream = Stream::open(addr, "");
    assert_eq!(stream.next_event().0, "snapshot");
    let publisher = server.publisher();
    server.shutdown();
    publisher.publish(r#"{"type":"end"}"#); // ignored, no panic
    let mut rest = String::new();
    let _ = stream.0.read_to_string(&mut rest);
    // The same port serves again: a restarted monitor is found by the page.
    let again = PanelServer::start(PanelConfig {
        addr,
        allow_remote: false,
        token: None,
    })
    .unwrap();
    assert_eq!(get(addr, "/health").0, 200);
    again.shutdown();
}
