//! The durable job queue: dedupe, due times, leases, retries and dead letters.

use crate::{MINUTE, T0};
use guanxi_store::{Job, JobCounts, NewJob, Store};
use serde_json::json;
use std::collections::HashSet;

fn job(kind: &str, dedupe: Option<&str>, run_at: i64) -> NewJob {
    NewJob {
        kind: kind.to_owned(),
        payload: json!({ "to": "+8613912345678", "text": "您的订单已发货" }),
        dedupe_key: dedupe.map(str::to_owned),
        run_at,
    }
}

fn ids(jobs: &[Job]) -> Vec<i64> {
    jobs.iter().map(|j| j.id).collect()
}

pub async fn enqueue_deduplicates(store: &dyn Store) {
    let first = store
        .enqueue_job(&job("sms", Some("order-1/shipped"), T0))
        .await
        .expect("enqueue");
    assert!(first.is_some());
    assert_eq!(
        store
            .enqueue_job(&job("sms", Some("order-1/shipped"), T0))
            .await
            .expect("again"),
        None,
        "same dedupe key"
    );
    let a = store
        .enqueue_job(&job("sms", None, T0))
        .await
        .expect("no key");
    let b = store
        .enqueue_job(&job("sms", None, T0))
        .await
        .expect("no key");
    assert!(
        a.is_some() && b.is_some() && a != b,
        "jobs without a key never collide"
    );

    // In a write transaction: visible only after commit, deduplicated against the table.
    let mut tx = store.begin_write().await.expect("begin");
    tx.enqueue_jobs(&[
        job("sms", Some("order-1/shipped"), T0),
        job("email", Some("welcome/7"), T0),
    ])
    .await
    .expect("enqueue in tx");
    assert_eq!(
        store.job_counts().await.expect("counts").queued,
        3,
        "not before commit"
    );
    tx.commit().await.expect("commit");
    assert_eq!(
        store.job_counts().await.expect("counts"),
        JobCounts {
            queued: 4,
            running: 0,
            dead: 0
        }
    );
    assert_eq!(
        store
            .enqueue_job(&job("email", Some("welcome/7"), T0))
            .await
            .expect("again"),
        None
    );

    let mut dropped = store.begin_write().await.expect("begin");
    dropped
        .enqueue_jobs(&[job("email", Some("lost"), T0)])
        .await
        .expect("enqueue");
    drop(dropped);
    assert!(
        store
            .enqueue_job(&job("email", Some("lost"), T0))
            .await
            .expect("enqueue")
            .is_some(),
        "a rolled-back job is not there"
    );
}

pub async fn claims_respect_due_time_limit_and_lease(store: &dyn Store) {
    let due: Vec<i64> = [
        store.enqueue_job(&job("sms", None, T0)).await,
        store.enqueue_job(&job("sms", None, T0 + MINUTE)).await,
        store.enqueue_job(&job("sms", None, T0 + 2 * MINUTE)).await,
    ]
    .into_iter()
    .map(|r| r.expect("enqueue").expect("an id"))
    .collect();
    let later = store
        .enqueue_job(&job("sms", None, T0 + 60 * MINUTE))
        .await
        .expect("enqueue")
        .expect("an id");

    let now = T0 + 5 * MINUTE;
    let lease = now + 10 * MINUTE;
    let first = store.claim_jobs(now, lease, 2).await.expect("claim");
    assert_eq!(ids(&first), due[..2], "the limit holds, oldest due first");
    assert!(first.iter().all(|j| j.attempts == 1 && j.kind == "sms"));
    assert_eq!(first[0].payload, job("sms", None, T0).payload);
    let second = store.claim_jobs(now, lease, 10).await.expect("claim");
    assert_eq!(
        ids(&second),
        due[2..],
        "claimed jobs are not claimed again; future jobs wait"
    );
    assert!(
        store
            .claim_jobs(now, lease, 10)
            .await
            .expect("claim")
            .is_empty()
    );
    assert_eq!(
        store.job_counts().await.expect("counts"),
        JobCounts {
            queued: 1,
            running: 3,
            dead: 0
        }
    );

    store.complete_job(due[0]).await.expect("complete");
    assert!(
        store
            .claim_jobs(lease - 1, lease + MINUTE, 10)
            .await
            .expect("claim")
            .is_empty(),
        "leases still held"
    );

    // The worker holding the other two died: once the lease ends they run again.
    let retaken = store
        .claim_jobs(lease, lease + 120 * MINUTE, 10)
        .await
        .expect("claim after the lease");
    assert_eq!(ids(&retaken), due[1..]);
    assert!(retaken.iter().all(|j| j.attempts == 2));

    let at_due = store
        .claim_jobs(T0 + 60 * MINUTE, T0 + 70 * MINUTE, 10)
        .await
        .expect("claim");
    assert_eq!(ids(&at_due), [later], "a job is due at its run_at");
    assert_eq!(
        store.job_counts().await.expect("counts"),
        JobCounts {
            queued: 0,
            running: 3,
            dead: 0
        }
    );
}

pub async fn failures_retry_then_dead_letter(store: &dyn Store) {
    let id = store
        .enqueue_job(&job("webhook", Some("w1"), T0))
        .await
        .expect("enqueue")
        .expect("an id");
    let claimed = store.claim_jobs(T0, T0 + MINUTE, 10).await.expect("claim");
    assert_eq!(ids(&claimed), [id]);

    store
        .fail_job(id, "HTTP 503 from the shop", Some(T0 + 10 * MINUTE))
        .await
        .expect("fail with retry");
    assert_eq!(
        store.job_counts().await.expect("counts"),
        JobCounts {
            queued: 1,
            running: 0,
            dead: 0
        }
    );
    assert!(
        store
            .claim_jobs(T0 + 9 * MINUTE, T0 + 20 * MINUTE, 10)
            .await
            .expect("claim")
            .is_empty(),
        "not before retry_at"
    );
    let retried = store
        .claim_jobs(T0 + 10 * MINUTE, T0 + 20 * MINUTE, 10)
        .await
        .expect("claim at retry_at");
    assert_eq!((retried[0].id, retried[0].attempts), (id, 2));

    store
        .fail_job(id, "HTTP 410: the webhook is gone", None)
        .await
        .expect("dead-letter");
    assert_eq!(
        store.job_counts().await.expect("counts"),
        JobCounts {
            queued: 0,
            running: 0,
            dead: 1
        }
    );
    assert!(
        store
            .claim_jobs(T0 + 1000 * MINUTE, T0 + 1010 * MINUTE, 10)
            .await
            .expect("claim")
            .is_empty(),
        "dead jobs never run"
    );
    assert_eq!(
        store
            .enqueue_job(&job("webhook", Some("w1"), T0))
            .await
            .expect("enqueue"),
        None,
        "the key stays taken"
    );

    let done = store
        .enqueue_job(&job("webhook", None, T0))
        .await
        .expect("enqueue")
        .expect("an id");
    store.claim_jobs(T0, T0 + MINUTE, 10).await.expect("claim");
    store.complete_job(done).await.expect("complete");
    assert_eq!(
        store.job_counts().await.expect("counts"),
        JobCounts {
            queued: 0,
            running: 0,
            dead: 1
        },
        "done jobs are not counted"
    );
    assert!(
        store
            .claim_jobs(T0 + 1000 * MINUTE, T0 + 1010 * MINUTE, 10)
            .await
            .expect("claim")
            .is_empty(),
        "done jobs never run again"
    );
}

/// Several workers claiming at once never get the same job, and together they get them all.
pub async fn concurrent_claimers_never_share_a_job(store: &dyn Store) {
    const JOBS: usize = 60;
    for i in 0..JOBS {
        store
            .enqueue_job(&job("sms", Some(&format!("k{i}")), T0))
            .await
            .expect("enqueue");
    }
    let mut seen = HashSet::new();
    for _round in 0..JOBS {
        let claim = || store.claim_jobs(T0 + MINUTE, T0 + 10 * MINUTE, 4);
        let (a, b, c) = tokio::join!(claim(), claim(), claim());
        let batches = [
            a.expect("claimer a"),
            b.expect("claimer b"),
            c.expect("claimer c"),
        ];
        if batches.iter().all(Vec::is_empty) {
            break;
        }
        for batch in &batches {
            for job in batch {
                assert!(seen.insert(job.id), "job {} was claimed twice", job.id);
                assert_eq!(job.attempts, 1, "a job is claimed once");
            }
        }
    }
    assert_eq!(seen.len(), JOBS, "every job was claimed");
    assert_eq!(
        store.job_counts().await.expect("counts"),
        JobCounts {
            queued: 0,
            running: JOBS as i64,
            dead: 0
        }
    );
}
