//! What the writer knows of identity owners, so that most look-ups of a batch skip SQLite.
//!
//! Most traffic comes from people seen before, and every message names its identifiers, so
//! the owner look-up was the largest part of a batch after the commit itself. The writer is
//! the only one that attaches identities and merges customers in this process, so it can keep
//! what it read and wrote — provided nobody else wrote meanwhile: SQLite's `data_version`
//! changes when another connection (another process's import, say) commits, and then the cache
//! is dropped. What a transaction learns is kept only once it commits. This process's own pool
//! connections count as "another connection" too (API keys, job claims), so such writes also
//! reset the cache: it pays off under sustained ingest, where it matters.

use foldhash::HashMap;
use guanxi_domain::{CustomerId, IdentityKey};
use rusqlite::Connection;

/// Entries kept at most; past it the cache starts over (about 100 MB of keys).
const MAX_OWNERS: usize = 1_000_000;

#[derive(Default)]
pub(crate) struct OwnerCache {
    owners: HashMap<IdentityKey, CustomerId>,
    /// Merged-away customers and their survivors: cached owners may have been merged since.
    merged: HashMap<CustomerId, CustomerId>,
    /// `PRAGMA data_version` when the cache was last known complete.
    data_version: Option<i64>,
}

/// What one transaction read or wrote; folded into the cache when it commits.
#[derive(Default)]
pub(crate) struct Learnt {
    owners: Vec<(IdentityKey, CustomerId)>,
    merged: Vec<(CustomerId, CustomerId)>,
}

fn data_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA data_version", [], |r| r.get(0))
}

impl OwnerCache {
    /// At the start of a transaction: forget everything if another connection committed.
    pub(crate) fn validate(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        let now = data_version(conn)?;
        if self.data_version != Some(now) {
            self.owners.clear();
            self.merged.clear();
            self.data_version = Some(now);
        }
        Ok(())
    }

    /// The surviving owner, if known. Not valid inside a transaction that merged customers.
    pub(crate) fn get(&self, key: &IdentityKey) -> Option<CustomerId> {
        let mut owner = *self.owners.get(key)?;
        while let Some(next) = self.merged.get(&owner) {
            owner = *next;
        }
        Some(owner)
    }

    /// After a commit.
    pub(crate) fn keep(&mut self, learnt: Learnt) {
        if self.owners.len() + self.merged.len() + learnt.owners.len() + learnt.merged.len()
            > MAX_OWNERS
        {
            self.owners.clear();
            self.merged.clear();
        }
        self.merged.extend(learnt.merged);
        self.owners.extend(learnt.owners);
    }
}

impl Learnt {
    pub(crate) fn owner(&mut self, key: IdentityKey, customer: CustomerId) {
        self.owners.push((key, customer));
    }

    pub(crate) fn merge(&mut self, from: CustomerId, into: CustomerId) {
        self.merged.push((from, into));
    }

    /// Whether cached owners may be stale inside this transaction.
    pub(crate) fn has_merges(&self) -> bool {
        !self.merged.is_empty()
    }
}
