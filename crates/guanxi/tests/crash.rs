//! `kill -9` in the middle of ingestion loses no acknowledged event and stores none twice.
//!
//! A real `guanxi serve` process takes `/v1/batch` requests from several concurrent clients.
//! Each client records the messageIds of every batch answered 200. After a few hundred
//! acknowledged batches the server is SIGKILLed while the clients are still sending, then
//! started again on the same database file. Every acknowledged messageId must be stored
//! exactly once; a batch whose answer never came may or may not be stored, but never twice,
//! and re-sending it after the restart (what an SDK does) still stores it once.

use crate::helpers::{ServeProcess, guanxi_cli, sqlite};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CLIENTS: usize = 8;
const EVENTS_PER_BATCH: usize = 10;
const ACKED_BATCHES_BEFORE_KILL: usize = 300;

/// One `/v1/batch` request: a new user's identify and tracks.
#[derive(Clone)]
struct Sent {
    body: Value,
    user: String,
    message_ids: Vec<String>,
}

/// What the clients learnt: batches answered 200, and batches sent without a clear answer.
#[derive(Default)]
struct Ledger {
    acknowledged: Vec<Sent>,
    unanswered: Vec<Sent>,
}

/// Batch `n` of a client: one identify and nine tracks of one new user.
fn batch(client: usize, n: usize) -> Sent {
    let user = format!("crash-user-{client}-{n}");
    let message_ids: Vec<String> = (0..EVENTS_PER_BATCH)
        .map(|k| format!("crash-{client}-{n}-{k}"))
        .collect();
    let messages: Vec<Value> = message_ids
        .iter()
        .enumerate()
        .map(|(k, id)| {
            if k == 0 {
                json!({"type": "identify", "messageId": id, "userId": user, "traits": {"plan": "pro"}})
            } else {
                json!({"type": "track", "messageId": id, "userId": user, "event": "Product Viewed", "properties": {"n": k}})
            }
        })
        .collect();
    Sent {
        body: json!({ "batch": messages }),
        user,
        message_ids,
    }
}

async fn send(
    http: &reqwest::Client,
    url: &str,
    write_key: &str,
    sent: &Sent,
) -> reqwest::Result<StatusCode> {
    let response = http
        .post(url)
        .basic_auth(write_key, Some(""))
        .json(&sent.body)
        .send()
        .await?;
    Ok(response.status())
}

/// Sends batches until told to stop or the server stops answering, recording each batch's fate.
async fn client(
    id: usize,
    url: String,
    write_key: String,
    stop: Arc<AtomicBool>,
    ledger: Arc<Mutex<Ledger>>,
    acked: Arc<AtomicUsize>,
) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        let sent = batch(id, n);
        n += 1;
        let answer = send(&http, &url, &write_key, &sent).await;
        let mut ledger = ledger.lock().expect("ledger");
        match answer {
            Ok(StatusCode::OK) => {
                ledger.acknowledged.push(sent);
                acked.fetch_add(1, Ordering::SeqCst);
            }
            // Refused before anything was written (429 under overload): not sent, in effect.
            Ok(status) if status.is_client_error() => {}
            // A 5xx: the server may or may not have committed it.
            Ok(_) => ledger.unanswered.push(sent),
            // No answer: the server is gone (or going); this client's work is done.
            Err(_) => {
                ledger.unanswered.push(sent);
                return;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_mid_ingest_loses_no_acknowledged_event() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/g.db", dir.path().display());
    let create = ["source", "create", "--name", "web", "--kind", "segment"];
    let write_key = guanxi_cli(&url, &create)
        .await
        .success()
        .last_line()
        .to_owned();

    let mut server = ServeProcess::start(&url).await;
    let stop = Arc::new(AtomicBool::new(false));
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let acked = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let url = server.url("/v1/batch");
            let (key, stop, ledger, acked) = (
                write_key.clone(),
                stop.clone(),
                ledger.clone(),
                acked.clone(),
            );
            tokio::spawn(client(i, url, key, stop, ledger, acked))
        })
        .collect();

    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while acked.load(Ordering::SeqCst) < ACKED_BATCHES_BEFORE_KILL {
        let n = acked.load(Ordering::SeqCst);
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {n} batches acknowledged in 60 s:\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill(); // SIGKILL while the clients are still sending
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.await.expect("client task");
    }
    let Ledger {
        acknowledged,
        unanswered,
    } = std::mem::take(&mut *ledger.lock().expect("ledger"));
    assert!(
        !unanswered.is_empty(),
        "some batches were in flight when the server died"
    );

    // Restart on the same file and recover as an SDK does: send the unanswered batches again,
    // and one acknowledged batch too (as when the answer was lost on the way).
    let server = ServeProcess::start(&url).await;
    let http = reqwest::Client::new();
    let batch_url = server.url("/v1/batch");
    for sent in unanswered.iter().chain(&acknowledged[..1]) {
        let status = send(&http, &batch_url, &write_key, sent)
            .await
            .expect("resend");
        assert_eq!(
            status,
            StatusCode::OK,
            "a re-sent batch is accepted after the restart"
        );
    }

    // Every acknowledged and every re-sent event is stored, each exactly once.
    let pool = sqlite(&url).await;
    let stored: Vec<(String, i64)> =
        sqlx::query_as("SELECT message_id, COUNT(*) FROM events GROUP BY message_id")
            .fetch_all(&pool)
            .await
            .expect("events");
    pool.close().await;
    let stored: HashMap<String, i64> = stored.into_iter().collect();
    let twice: Vec<_> = stored.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "events stored more than once: {twice:?}");
    let ids = |batches: &[Sent]| -> HashSet<String> {
        batches.iter().flat_map(|s| s.message_ids.clone()).collect()
    };
    let (acknowledged_ids, resent_ids) = (ids(&acknowledged), ids(&unanswered));
    let lost: Vec<_> = acknowledged_ids
        .iter()
        .filter(|id| !stored.contains_key(*id))
        .collect();
    let n = acknowledged_ids.len();
    assert!(
        lost.is_empty(),
        "{} of {n} acknowledged events lost, e.g. {:?}",
        lost.len(),
        lost.first()
    );
    assert!(
        resent_ids.iter().all(|id| stored.contains_key(id)),
        "re-sent batches are stored"
    );
    assert_eq!(
        stored.len(),
        n + resent_ids.len(),
        "only what was sent is stored"
    );

    // Through the API: the last acknowledged user is known, with exactly that batch's events.
    let create = ["apikey", "create", "--name", "check", "--scopes", "read"];
    let key = guanxi_cli(&url, &create)
        .await
        .success()
        .last_line()
        .to_owned();
    let last = acknowledged.last().expect("acknowledged batches");
    let lookup = server.url(&format!(
        "/api/v1/customers/lookup?identity=user_id:web:{}",
        last.user
    ));
    let response = http
        .get(lookup)
        .bearer_auth(&key)
        .send()
        .await
        .expect("lookup");
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "acknowledged user {} is unknown after the crash",
        last.user
    );
    let customer: Value = response.json().await.expect("json");
    let events_url = server.url(&format!(
        "/api/v1/customers/{}/events?limit=100",
        customer["id"]
    ));
    let events: Value = http
        .get(events_url)
        .bearer_auth(&key)
        .send()
        .await
        .expect("events")
        .json()
        .await
        .expect("json");
    let mut seen: Vec<&str> = events["data"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["message_id"].as_str().expect("id"))
        .collect();
    seen.sort_unstable();
    let mut expected: Vec<&str> = last.message_ids.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(seen, expected, "{}'s events after the crash", last.user);
}
