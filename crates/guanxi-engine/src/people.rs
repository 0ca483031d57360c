//! What the engine knows of every customer besides orders: that they exist (not merged away),
//! the kinds of identifiers they hold and their tags. Customer ids are dense, so these are
//! arrays indexed by id; tags are interned.

use crate::segment::IdentityKinds;
use foldhash::HashMap;

/// Set on every customer that exists and was not merged away.
const LIVE: u16 = 1 << 15;
const NO_TAG: u32 = u32::MAX;

#[derive(Debug, Clone, Default)]
pub struct People {
    /// Per customer id: `LIVE` and the identity-kind bits.
    flags: Vec<u16>,
    /// Per customer id: up to two tags inline (`NO_TAG` when fewer), the rest in `more_tags`.
    /// Most customers carry none, one or two, and a dense array keeps a scan over every
    /// customer reading memory in order.
    tags: Vec<[u32; 2]>,
    more_tags: HashMap<i64, Vec<u32>>,
    tag_ids: HashMap<String, u32>,
    tag_names: Vec<String>,
}

impl People {
    fn slot(&mut self, customer: i64) -> Option<usize> {
        let at = usize::try_from(customer).ok()?;
        if at >= self.flags.len() {
            self.flags.resize(at + 1, 0);
            self.tags.resize(at + 1, [NO_TAG; 2]);
        }
        Some(at)
    }

    /// Records a customer as it now is: `None` when merged away or erased.
    pub fn set(&mut self, customer: i64, now: Option<(IdentityKinds, Vec<String>)>) {
        match now {
            Some((kinds, tags)) => {
                let ids: Vec<u32> = tags.iter().map(|t| self.intern(t)).collect();
                let Some(at) = self.slot(customer) else {
                    return;
                };
                self.flags[at] = LIVE | (kinds.0 & !LIVE);
                self.tags[at] = [
                    ids.first().copied().unwrap_or(NO_TAG),
                    ids.get(1).copied().unwrap_or(NO_TAG),
                ];
                if ids.len() > 2 {
                    self.more_tags.insert(customer, ids[2..].to_vec());
                } else {
                    self.more_tags.remove(&customer);
                }
            }
            None => {
                let Some(at) = self.slot(customer) else {
                    return;
                };
                self.flags[at] = 0;
                self.tags[at] = [NO_TAG; 2];
                self.more_tags.remove(&customer);
            }
        }
    }

    pub fn is_live(&self, customer: i64) -> bool {
        self.flags_of(customer) & LIVE != 0
    }

    fn flags_of(&self, customer: i64) -> u16 {
        usize::try_from(customer)
            .ok()
            .and_then(|at| self.flags.get(at))
            .copied()
            .unwrap_or(0)
    }

    pub fn kinds(&self, customer: i64) -> IdentityKinds {
        IdentityKinds(self.flags_of(customer) & !LIVE)
    }

    /// Whether the customer carries the tag with this id.
    pub fn has_tag(&self, customer: i64, tag: u32) -> bool {
        let Some(inline) = usize::try_from(customer)
            .ok()
            .and_then(|at| self.tags.get(at))
        else {
            return false;
        };
        if tag == NO_TAG {
            return false;
        }
        inline.contains(&tag)
            || (inline[1] != NO_TAG
                && self
                    .more_tags
                    .get(&customer)
                    .is_some_and(|more| more.contains(&tag)))
    }

    /// The id of a tag, given one now if no customer has carried it yet.
    pub fn intern(&mut self, tag: &str) -> u32 {
        if let Some(id) = self.tag_ids.get(tag) {
            return *id;
        }
        let id = self.tag_names.len() as u32;
        self.tag_names.push(tag.to_owned());
        self.tag_ids.insert(tag.to_owned(), id);
        id
    }

    /// The id of a tag some customer carries or carried.
    pub fn tag_id(&self, tag: &str) -> Option<u32> {
        self.tag_ids.get(tag).copied()
    }

    /// Every live customer id, ascending.
    pub fn live(&self) -> impl Iterator<Item = i64> + '_ {
        self.flags
            .iter()
            .enumerate()
            .filter(|(_, f)| **f & LIVE != 0)
            .map(|(id, _)| id as i64)
    }

    pub fn live_count(&self) -> usize {
        self.flags.iter().filter(|f| **f & LIVE != 0).count()
    }
}
