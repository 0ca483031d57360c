//! Runs every conformance story against SQLite and, when `GUANXI_TEST_POSTGRES_URL` names a
//! server, against PostgreSQL: `sqlite_<story>` and `postgres_<story>` for each.

use futures::FutureExt;
use guanxi_store_tests::{TestDb, stories};
use std::panic::AssertUnwindSafe;

/// `store` stories take `&dyn Store`; `db` stories take the whole `&TestDb`.
macro_rules! conformance {
    ($($arg:ident $story:path => $sqlite:ident, $postgres:ident;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            let db = TestDb::sqlite().await;
            conformance!(@run $arg $story, db);
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            let Some(db) = TestDb::postgres().await else { return };
            conformance!(@run $arg $story, db);
        }
    )*};
    (@run $arg:ident $story:path, $db:ident) => {
        // Tear down (drop the PostgreSQL database) even when the story fails.
        let outcome = AssertUnwindSafe(async { conformance!(@call $arg $story, &$db) }).catch_unwind().await;
        $db.teardown().await;
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    };
    (@call store $story:path, $db:expr) => { $story(&$db.store).await };
    (@call db $story:path, $db:expr) => { $story($db).await };
}

conformance! {
    store stories::keys::sources => sqlite_sources, postgres_sources;
    db stories::keys::api_keys => sqlite_api_keys, postgres_api_keys;
    store stories::customers::ids_are_distinct_and_increasing => sqlite_customer_ids, postgres_customer_ids;
    store stories::customers::identities_attach_and_resolve => sqlite_identities, postgres_identities;
    store stories::customers::traits_round_trip => sqlite_traits, postgres_traits;
    store stories::customers::dropped_transactions_leave_nothing => sqlite_dropped_tx, postgres_dropped_tx;
    store stories::customers::large_batches => sqlite_large_batches, postgres_large_batches;
    store stories::merges::merge_moves_everything => sqlite_merge, postgres_merge;
    store stories::merges::merges_compress_paths => sqlite_merge_chain, postgres_merge_chain;
    store stories::merges::owners_follow_merges => sqlite_owners_follow_merges, postgres_owners_follow_merges;
    store stories::receipts::receipts_answer_only_new_keys => sqlite_receipts, postgres_receipts;
    store stories::receipts::many_receipts_in_one_batch => sqlite_receipts_batch, postgres_receipts_batch;
    store stories::receipts::concurrent_claims_count_once => sqlite_receipts_concurrent, postgres_receipts_concurrent;
    store stories::orders::upsert_keeps_one_order => sqlite_order_upsert, postgres_order_upsert;
    store stories::orders::many_orders_in_one_write => sqlite_order_batch, postgres_order_batch;
    store stories::orders::refunds_are_deduplicated => sqlite_refunds, postgres_refunds;
    store stories::orders::stats_count_only_money_that_changed_hands => sqlite_stats, postgres_stats;
    store stories::orders::orders_page_newest_first => sqlite_order_pages, postgres_order_pages;
    store stories::events::events_page_newest_first => sqlite_events, postgres_events;
    store stories::search::search_finds_customers => sqlite_search, postgres_search;
    store stories::segments::segments_record_members_and_history => sqlite_segments, postgres_segments;
    store stories::segments::people_facts_leave_out_the_merged_away => sqlite_people_facts, postgres_people_facts;
    store stories::segments::item_facts_find_the_orders_holding_an_item => sqlite_item_facts, postgres_item_facts;
    store stories::analytics::analytics_read_periods_channels_and_moves => sqlite_analytics, postgres_analytics;
    store stories::imports::imports_record_progress_and_outcome => sqlite_imports, postgres_imports;
    store stories::figures::figures_count_the_period_in_local_days => sqlite_figures, postgres_figures;
    db stories::sealing::personal_data_is_sealed_at_rest => sqlite_sealed_at_rest, postgres_sealed_at_rest;
    db stories::sealing::rotation_reseals_everything => sqlite_key_rotation, postgres_key_rotation;
    db stories::sealing::rows_stored_before_sealing_are_sealed_on_open => sqlite_seal_old_rows, postgres_seal_old_rows;
    store stories::changes::changes_come_back_in_order => sqlite_changes, postgres_changes;
    store stories::jobs::enqueue_deduplicates => sqlite_job_dedupe, postgres_job_dedupe;
    store stories::jobs::claims_respect_due_time_limit_and_lease => sqlite_job_claims, postgres_job_claims;
    store stories::jobs::failures_retry_then_dead_letter => sqlite_job_failures, postgres_job_failures;
    store stories::jobs::concurrent_claimers_never_share_a_job => sqlite_job_concurrent_claims, postgres_job_concurrent_claims;
    store stories::messaging::consent_survives_merges => sqlite_consent_merges, postgres_consent_merges;
    store stories::journeys::runs_are_durable_and_single => sqlite_journey_runs, postgres_journey_runs;
    store stories::messaging::one_delivery_per_origin_and_customer => sqlite_deliveries_once, postgres_deliveries_once;
    db stories::products::products_upsert => sqlite_products, postgres_products;
    db stories::concurrency::second_writer_waits_or_is_busy => sqlite_busy_writer, postgres_busy_writer;
    db stories::concurrency::owners_follow_other_writers => sqlite_owners_follow_others, postgres_owners_follow_others;
    store stories::staff::users_and_log_in_failures => sqlite_users, postgres_users;
    store stories::staff::sessions_expire_and_end => sqlite_sessions, postgres_sessions;
    store stories::staff::custom_roles_round_trip => sqlite_custom_roles, postgres_custom_roles;
    db stories::staff::audit_log_is_append_only => sqlite_audit_log, postgres_audit_log;
    store stories::ownership::owners_and_teams_scope_searches => sqlite_customer_owners, postgres_customer_owners;
    store stories::settings::settings_are_saved_and_replaced => sqlite_shop_settings, postgres_shop_settings;
}

#[tokio::test]
async fn unreachable_database_is_reported() {
    stories::concurrency::unreachable_database_is_reported().await;
}
