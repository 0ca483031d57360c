//! The real `segment-analytics-python` SDK against the ingest API, retries included.
//!
//! `tests/sdk/send_events.py` sends page, track, identify and alias calls in three flushes with
//! known messageIds. Between the SDK and the server sits [`FlakyProxy`], which answers the first
//! attempt 503, forwards the second but drops its answer (so the SDK re-sends a batch the server
//! already stored), answers the third 429 with `Retry-After: 1`, and forwards everything after.
//! Every event must be stored exactly once, on the one customer the alias made of the visitor.
//!
//! Needs `GUANXI_TEST_PYTHON` pointing at a python that can `import segment.analytics`;
//! without it the test says why it is skipped and passes.

use crate::helpers::{TestApp, urlencode};
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Answer 503 without forwarding.
    Unavailable,
    /// Forward, then close the connection instead of answering.
    LoseAnswer,
    /// Answer 429 with `Retry-After: 1` without forwarding.
    RateLimited,
}

/// The faults for the first requests, in order; later requests are forwarded untouched.
const FAULTS: [Fault; 3] = [Fault::Unavailable, Fault::LoseAnswer, Fault::RateLimited];

/// One request the proxy saw.
#[derive(Debug, Clone)]
struct Attempt {
    fault: Option<Fault>,
    message_ids: Vec<String>,
    forwarded: bool,
}

/// A tiny HTTP/1.1 proxy (keep-alive, Content-Length bodies) that injects [`FAULTS`].
struct FlakyProxy {
    addr: SocketAddr,
    attempts: Arc<Mutex<Vec<Attempt>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FlakyProxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let attempts = Arc::new(Mutex::new(Vec::new()));
        let counter = Arc::new(AtomicUsize::new(0));
        let log = attempts.clone();
        let task = tokio::spawn(async move {
            let http = reqwest::Client::new();
            while let Ok((stream, _)) = listener.accept().await {
                let (http, upstream, counter, log) =
                    (http.clone(), upstream.clone(), counter.clone(), log.clone());
                tokio::spawn(async move {
                    let _ = connection(stream, &http, &upstream, &counter, &log).await;
                });
            }
        });
        Self {
            addr,
            attempts,
            task,
        }
    }

    fn attempts(&self) -> Vec<Attempt> {
        self.attempts.lock().expect("attempts").clone()
    }
}

impl Drop for FlakyProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves one client connection until it closes (or a fault closes it).
async fn connection(
    stream: TcpStream,
    http: &reqwest::Client,
    upstream: &str,
    counter: &AtomicUsize,
    log: &Mutex<Vec<Attempt>>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).await? == 0 {
            return Ok(());
        }
        let path = request_line.split(' ').nth(1).unwrap_or("/").to_owned();
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).await?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let length = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body).await?;
        let message_ids = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|b| {
                b["batch"].as_array().map(|batch| {
                    batch
                        .iter()
                        .filter_map(|m| m["messageId"].as_str().map(str::to_owned))
                        .collect()
                })
            })
            .unwrap_or_default();

        let fault = FAULTS.get(counter.fetch_add(1, Ordering::SeqCst)).copied();
        let forwarded = matches!(fault, None | Some(Fault::LoseAnswer));
        log.lock().expect("log").push(Attempt {
            fault,
            message_ids,
            forwarded,
        });
        let (status, answer, extra) = match fault {
            Some(Fault::Unavailable) => (
                503,
                r#"{"code":"unavailable","message":"try again"}"#.to_owned(),
                "",
            ),
            Some(Fault::RateLimited) => (
                429,
                r#"{"code":"overloaded","message":"slow down"}"#.to_owned(),
                "Retry-After: 1\r\n",
            ),
            Some(Fault::LoseAnswer) | None => {
                let mut forward = http.post(format!("{upstream}{path}")).body(body);
                for name in [
                    "authorization",
                    "content-type",
                    "content-encoding",
                    "user-agent",
                ] {
                    if let Some(value) = header(name) {
                        forward = forward.header(name, value);
                    }
                }
                let response = forward.send().await.map_err(std::io::Error::other)?;
                let status = response.status().as_u16();
                let text = response.text().await.map_err(std::io::Error::other)?;
                if fault == Some(Fault::LoseAnswer) {
                    return Ok(()); // the server stored the batch; the SDK never hears of it
                }
                (status, text, "")
            }
        };
        let reason = StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        let head = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}\r\n",
            answer.len()
        );
        write.write_all(head.as_bytes()).await?;
        write.write_all(answer.as_bytes()).await?;
        write.flush().await?;
    }
}

/// The python to run the SDK with, or why the test is skipped.
async fn python() -> Result<String, String> {
    let python = std::env::var("GUANXI_TEST_PYTHON")
        .map_err(|_| "GUANXI_TEST_PYTHON is not set".to_owned())?;
    let check = tokio::process::Command::new(&python)
        .args(["-c", "import segment.analytics"])
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| format!("cannot run {python}: {e}"))?;
    if !check.status.success() {
        let why = String::from_utf8_lossy(&check.stderr);
        return Err(format!(
            "{python} cannot import segment.analytics: {}",
            why.trim().lines().last().unwrap_or_default()
        ));
    }
    Ok(python)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_delivers_every_event_exactly_once_through_retries() {
    let python = match python().await {
        Ok(python) => python,
        Err(why) => {
            eprintln!("SKIPPED python SDK test: {why}");
            return;
        }
    };
    let app = TestApp::spawn().await;
    let proxy = FlakyProxy::start(format!("http://{}", app.addr)).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk/send_events.py");
    let run = "py-sdk";
    let sdk = tokio::process::Command::new(&python)
        .args([
            script,
            &format!("http://{}", proxy.addr),
            &app.write_key,
            run,
        ])
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true) // also when the timeout below drops it
        .output();
    let output = tokio::time::timeout(Duration::from_secs(90), sdk)
        .await
        .expect("the SDK script finished within 90 s")
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the SDK gave up on events ({}):\n{stdout}\n{stderr}",
        output.status
    );
    let sent: Vec<String> = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .expect("messageIds on the last line");
    assert_eq!(sent.len(), 10);

    // Every fault happened, and the batch whose answer was lost reached the server twice.
    let attempts = proxy.attempts();
    let faults: Vec<Fault> = attempts.iter().filter_map(|a| a.fault).collect();
    assert_eq!(faults, FAULTS, "{attempts:?}");
    let lost = attempts
        .iter()
        .find(|a| a.fault == Some(Fault::LoseAnswer))
        .expect("lost answer");
    assert!(!lost.message_ids.is_empty());
    let deliveries = attempts
        .iter()
        .filter(|a| a.forwarded && a.message_ids == lost.message_ids)
        .count();
    assert!(
        deliveries >= 2,
        "the SDK re-sent the batch whose answer was lost: {attempts:?}"
    );

    // The visitor and the user are one customer (alias), holding every event exactly once.
    let customer = app.customer_by(&format!("user_id:web:{run}-user")).await;
    let anonymous = app.customer_by(&format!("anonymous_id:{run}-anon")).await;
    assert_eq!(anonymous["id"], customer["id"]);
    let (status, events) = app
        .get(&format!(
            "/api/v1/customers/{}/events?limit=500",
            customer["id"]
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{events}");
    let mut stored: BTreeMap<String, usize> = BTreeMap::new();
    for event in events["data"].as_array().expect("events") {
        *stored
            .entry(event["message_id"].as_str().expect("message_id").to_owned())
            .or_default() += 1;
    }
    let expected: BTreeMap<String, usize> = sent.iter().map(|id| (id.clone(), 1)).collect();
    assert_eq!(stored, expected, "each SDK event stored exactly once");
    let email = format!("email={}", urlencode(&format!("{run}@example.com")));
    let (status, by_email) = app.get(&format!("/api/v1/customers/lookup?{email}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        by_email["id"], customer["id"],
        "identify's traits reached the customer"
    );
    app.stop().await;
}
