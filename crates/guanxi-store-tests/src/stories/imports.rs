//! Imports started from the console: progress while running, the outcome and rejected rows
//! after, and a running import whose process went silent shown as interrupted.

use crate::fixtures::{MINUTE, T0, assert_not_found};
use guanxi_store::{
    IMPORT_SILENT_AFTER_MS, ImportProgress, ImportStatus, NewImport, RejectedRow, Store,
};

fn upload(file_name: &str) -> NewImport {
    NewImport {
        source: "tmall".to_owned(),
        format: "taobao".to_owned(),
        file_name: file_name.to_owned(),
        size_bytes: 4_096,
        created_by: None,
        at: T0,
    }
}

pub async fn imports_record_progress_and_outcome(store: &dyn Store) {
    let first = store
        .create_import(&upload("订单报表.csv"))
        .await
        .expect("create");
    let second = store
        .create_import(&upload("jd.csv"))
        .await
        .expect("create");
    assert!(second > first);

    let halfway = ImportProgress {
        bytes_read: 2_048,
        rows_read: 10,
        imported: 8,
        rejected: 2,
        ..ImportProgress::default()
    };
    store
        .record_import_progress(first, &halfway, T0 + 1_000)
        .await
        .expect("progress");
    let running = store.import(first).await.expect("import");
    assert_eq!(running.status, ImportStatus::Running);
    assert_eq!(running.progress, halfway);
    assert_eq!(running.file_name, "订单报表.csv");
    assert_eq!(running.status_at(T0 + 2_000), ImportStatus::Running);
    assert_eq!(
        running.status_at(T0 + 1_000 + IMPORT_SILENT_AFTER_MS + 1),
        ImportStatus::Interrupted,
        "silent for over a minute: its process stopped"
    );

    let done = ImportProgress {
        bytes_read: 4_096,
        rows_read: 20,
        imported: 15,
        updated: 1,
        unchanged: 1,
        rejected: 3,
    };
    let rejected = vec![
        RejectedRow {
            line: 4,
            reason: "实付款: is empty".to_owned(),
        },
        RejectedRow {
            line: 9,
            reason: "订单状态: \"?\" is not a known Taobao order status".to_owned(),
        },
    ];
    store
        .finish_import(
            first,
            ImportStatus::Done,
            &done,
            &rejected,
            None,
            T0 + MINUTE,
        )
        .await
        .expect("finish");
    // Progress arriving after the end (a late heartbeat) changes nothing.
    store
        .record_import_progress(first, &halfway, T0 + 2 * MINUTE)
        .await
        .expect("late progress");
    let finished = store.import(first).await.expect("import");
    assert_eq!(finished.status_at(T0 + 60 * MINUTE), ImportStatus::Done);
    assert_eq!(finished.progress, done);
    assert_eq!(finished.rejected_rows, rejected);
    assert_eq!(finished.finished_at, Some(T0 + MINUTE));

    store
        .finish_import(
            second,
            ImportStatus::Failed,
            &ImportProgress::default(),
            &[],
            Some("the file is not a Taobao export"),
            T0 + MINUTE,
        )
        .await
        .expect("fail");
    let listed = store.recent_imports(10).await.expect("list");
    let summary: Vec<_> = listed
        .iter()
        .map(|i| (i.id, i.status, i.error.as_deref(), i.rejected_rows.len()))
        .collect();
    assert_eq!(
        summary,
        [
            (
                second,
                ImportStatus::Failed,
                Some("the file is not a Taobao export"),
                0
            ),
            (first, ImportStatus::Done, None, 0),
        ],
        "newest first, without their rejected rows"
    );
    assert_not_found(store.import(second + 100).await, "an unknown import");
    assert_not_found(
        store
            .finish_import(second + 100, ImportStatus::Done, &done, &[], None, T0)
            .await,
        "finishing an unknown import",
    );
}
