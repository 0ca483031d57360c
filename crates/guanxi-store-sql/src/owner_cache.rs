//! What a writer knows of identity owners, so that most look-ups of a batch skip the database.
//!
//! Most traffic comes from people seen before, and every message names its identifiers, so
//! the owner look-up was the largest part of a batch after the commit itself. Identities and
//! merges change only in write transactions, and writers take turns (SQLite's write lock,
//! PostgreSQL's advisory lock), so a writer can keep what it read and wrote — provided nobody
//! else wrote meanwhile. Each backend gives its write transactions a version that another
//! writer's commit changes: SQLite's `PRAGMA data_version`, PostgreSQL's `writer_epoch` row that
//! every write transaction bumps. When it is not the one the cache expects, the cache starts
//! over. What a transaction learns is kept only once it commits. On SQLite this process's own
//! pool connections count as another writer too (API keys, job claims), so such writes also
//! reset the cache: it pays off under sustained ingest, where it matters.

// Seeded per process, like std's hasher, but several times faster on these keys; the keys
// (identifiers callers send) are never echoed with their hashes, so there is nothing to learn
// the seed from.
use foldhash::HashMap;
use guanxi_domain::{CustomerId, IdentityKey};

/// Entries kept at most; past it the cache starts over (about 100 MB of keys).
const MAX_OWNERS: usize = 1_000_000;

#[derive(Default)]
pub(crate) struct OwnerCache {
    owners: HashMap<IdentityKey, CustomerId>,
    /// Merged-away customers and their survivors: cached owners may have been merged since.
    merged: HashMap<CustomerId, CustomerId>,
    /// The write version when the cache was last known complete.
    version: Option<i64>,
}

/// What one transaction read or wrote; folded into the cache when it commits.
#[derive(Default)]
pub(crate) struct Learnt {
    owners: Vec<(IdentityKey, CustomerId)>,
    merged: Vec<(CustomerId, CustomerId)>,
}

impl OwnerCache {
    /// At the start of a transaction, with the database's write version as of then: forget
    /// everything unless it is the version the cache last saw. Answers whether someone else
    /// wrote since (then the caller checks what else they may have changed).
    pub(crate) fn validate(&mut self, version: i64) -> bool {
        let changed = self.version != Some(version);
        if changed {
            self.owners.clear();
            self.merged.clear();
            self.version = Some(version);
        }
        changed
    }

    /// Forgets everything, and the version with it: the next transaction checks again.
    pub(crate) fn invalidate(&mut self) {
        self.owners.clear();
        self.merged.clear();
        self.version = None;
    }

    /// After a commit that changed the version (PostgreSQL's epoch): the cache saw it.
    pub(crate) fn advance(&mut self, version: i64) {
        self.version = Some(version);
    }

    /// The surviving owner, if known. Not valid inside a transaction that merged customers.
    fn get(&self, key: &IdentityKey) -> Option<CustomerId> {
        let mut owner = *self.owners.get(key)?;
        while let Some(next) = self.merged.get(&owner) {
            owner = *next;
        }
        Some(owner)
    }

    /// Owners of `keys` the cache knows, and the keys to read from the database. Inside a
    /// transaction that merged, cached owners may have been merged away: all are read.
    pub(crate) fn split<'k>(
        &self,
        keys: &'k [IdentityKey],
        learnt: &Learnt,
    ) -> (Vec<(IdentityKey, CustomerId)>, Vec<&'k IdentityKey>) {
        if learnt.has_merges() {
            return (Vec::new(), keys.iter().collect());
        }
        let mut known = Vec::new();
        let mut unknown = Vec::new();
        for key in keys {
            match self.get(key) {
                Some(owner) => known.push((key.clone(), owner)),
                None => unknown.push(key),
            }
        }
        (known, unknown)
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

    /// Owners read from the database for `split`'s unknown keys: remembered, and joined to the
    /// owners the cache knew to answer the whole look-up.
    pub(crate) fn read(
        &mut self,
        mut known: Vec<(IdentityKey, CustomerId)>,
        read: Vec<(IdentityKey, CustomerId)>,
    ) -> Vec<(IdentityKey, CustomerId)> {
        self.owners.extend(read.iter().cloned());
        known.extend(read);
        known
    }

    pub(crate) fn merge(&mut self, from: CustomerId, into: CustomerId) {
        self.merged.push((from, into));
    }

    /// Whether cached owners may be stale inside this transaction.
    pub(crate) fn has_merges(&self) -> bool {
        !self.merged.is_empty()
    }
}
