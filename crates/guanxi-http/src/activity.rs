//! What each source has sent lately, as this server saw it: deliveries accepted and refused,
//! the last one's time, and the latest refusals with their reason. For the console's sources
//! page, where an integrator checks that a new SDK or webhook arrives and why it does not.
//! Kept in memory per server (it starts empty on each start, and each replica has its own):
//! recording it must cost ingest nothing, and reasons name fields, never values.

use crate::ApiError;
use guanxi_domain::{Millis, SourceId};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Refusals kept per source.
const RECENT: usize = 20;

#[derive(Debug, Clone, Default)]
pub struct Activity {
    pub accepted: u64,
    pub refused: u64,
    pub last_at: Option<Millis>,
    /// Newest first.
    pub recent_refusals: VecDeque<Refusal>,
}

#[derive(Debug, Clone)]
pub struct Refusal {
    pub at: Millis,
    pub status: u16,
    /// `invalid`, `unauthorized`, …: the API's error code.
    pub code: &'static str,
    pub message: String,
}

#[derive(Default)]
pub struct SourceActivity {
    by_source: Mutex<HashMap<SourceId, Activity>>,
}

impl SourceActivity {
    /// Records how a delivery from `source` ended.
    pub fn record<T>(&self, source: SourceId, outcome: &Result<T, ApiError>) {
        let now = chrono::Utc::now().timestamp_millis();
        let Ok(mut all) = self.by_source.lock() else {
            return;
        };
        let activity = all.entry(source).or_default();
        activity.last_at = Some(now);
        match outcome {
            Ok(_) => activity.accepted += 1,
            Err(e) => {
                activity.refused += 1;
                let (status, code) = e.status_and_code();
                activity.recent_refusals.push_front(Refusal {
                    at: now,
                    status: status.as_u16(),
                    code,
                    message: e.to_string(),
                });
                activity.recent_refusals.truncate(RECENT);
            }
        }
    }

    /// What `source` sent since this server started.
    pub fn of(&self, source: SourceId) -> Activity {
        self.by_source
            .lock()
            .ok()
            .and_then(|all| all.get(&source).cloned())
            .unwrap_or_default()
    }
}
