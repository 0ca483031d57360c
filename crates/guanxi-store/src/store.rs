use crate::{
    AnalyticsStore, AuditStore, ConsentStore, FactStore, FiguresStore, ImportStore, JourneyStore,
    MessagingStore, OwnershipStore, SegmentStore, SettingsStore, StaffStore,
};
use crate::{
    ApiKey, ChangeRecord, CustomerProfile, CustomerQuery, CustomerRecord, CustomerStats,
    EventRecord, Job, JobCounts, MergeRecord, NewApiKey, NewJob, NewSource, OrderRecord, Source,
    StoreResult, WriteTx,
};
use async_trait::async_trait;
use guanxi_domain::{CustomerId, IdentityKey, Millis};

/// Everything the application needs from storage. Writes that must be atomic go through one
/// `WriteTx`; reads are answered from committed data.
#[async_trait]
pub trait Store:
    CustomerStore
    + KeyStore
    + JobStore
    + StaffStore
    + AuditStore
    + ImportStore
    + FiguresStore
    + SettingsStore
    + OwnershipStore
    + FactStore
    + SegmentStore
    + AnalyticsStore
    + ConsentStore
    + MessagingStore
    + JourneyStore
    + Send
    + Sync
    + 'static
{
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// A secret key for `purpose` (signing links in messages), the same on every server of
    /// this database.
    fn signing_key(&self, purpose: &str) -> [u8; 32];

    /// Starts the one transaction a batch of writes commits in.
    async fn begin_write(&self) -> StoreResult<Box<dyn WriteTx>>;

    /// Fails when the database cannot answer a trivial query.
    async fn ping(&self) -> StoreResult<()>;

    /// Change-feed entries after `after_seq`, oldest first.
    async fn changes_after(&self, after_seq: i64, limit: u32) -> StoreResult<Vec<ChangeRecord>>;

    /// Refreshes the query planner's statistics of the tables the writer reads every batch. A
    /// young table that grows fast (a first import) otherwise gets planned as if empty.
    async fn refresh_statistics(&self) -> StoreResult<()>;

    /// Rows per table, for metrics and import summaries.
    async fn table_counts(&self) -> StoreResult<Vec<(&'static str, i64)>>;
}

#[async_trait]
pub trait CustomerStore {
    /// The customer, following merges: a merged-away id answers with its survivor.
    async fn customer(&self, id: CustomerId) -> StoreResult<CustomerRecord>;
    /// The 360 in one read (two for a merged-away id): the record with its order statistics in
    /// `currency`, its identities, tags and merges.
    async fn customer_profile(
        &self,
        id: CustomerId,
        currency: &str,
    ) -> StoreResult<CustomerProfile>;
    async fn customer_identities(&self, id: CustomerId) -> StoreResult<Vec<IdentityKey>>;
    async fn customer_tags(&self, id: CustomerId) -> StoreResult<Vec<String>>;
    /// Order statistics in `currency` (orders in other currencies are not summed).
    async fn customer_stats(&self, id: CustomerId, currency: &str) -> StoreResult<CustomerStats>;
    /// Newest first; `before` is an event id cursor.
    async fn customer_events(
        &self,
        id: CustomerId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>>;
    /// Newest first; `before` is an order id cursor.
    async fn customer_orders(
        &self,
        id: CustomerId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<OrderRecord>>;
    /// One order with its items and refunds, by its Guanxi id.
    async fn order(&self, id: i64) -> StoreResult<OrderRecord>;
    async fn customer_merges(&self, id: CustomerId) -> StoreResult<Vec<MergeRecord>>;
    /// The surviving owner of an identifier.
    async fn find_by_identity(&self, key: &IdentityKey) -> StoreResult<CustomerId>;
    /// Surviving customers matching the query, newest first.
    async fn search_customers(&self, query: &CustomerQuery) -> StoreResult<Vec<CustomerId>>;
}

#[async_trait]
pub trait KeyStore {
    async fn create_source(&self, source: &NewSource) -> StoreResult<Source>;
    async fn source_by_name(&self, name: &str) -> StoreResult<Source>;
    async fn source_by_write_key(&self, write_key_hash: &str) -> StoreResult<Source>;
    async fn list_sources(&self) -> StoreResult<Vec<Source>>;
    async fn create_api_key(&self, key: &NewApiKey) -> StoreResult<ApiKey>;
    /// A key that is not revoked.
    async fn api_key_by_hash(&self, key_hash: &str) -> StoreResult<ApiKey>;
    /// Every key, revoked ones too, newest first.
    async fn list_api_keys(&self) -> StoreResult<Vec<ApiKey>>;
    /// Revokes a key that is still active; `NotFound` for an unknown or already revoked one.
    async fn revoke_api_key(&self, id: i64, at: Millis) -> StoreResult<()>;
}

/// A durable queue of side effects. Claiming leases a job until `lease_until`; a worker that
/// dies loses the lease and the job runs again, so handlers must be idempotent.
#[async_trait]
pub trait JobStore {
    async fn enqueue_job(&self, job: &NewJob) -> StoreResult<Option<i64>>;
    async fn claim_jobs(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> StoreResult<Vec<Job>>;
    async fn complete_job(&self, id: i64) -> StoreResult<()>;
    /// Records a failure: retried at `retry_at`, or dead-lettered with the reason when `None`.
    async fn fail_job(&self, id: i64, error: &str, retry_at: Option<Millis>) -> StoreResult<()>;
    async fn job_counts(&self) -> StoreResult<JobCounts>;
}
