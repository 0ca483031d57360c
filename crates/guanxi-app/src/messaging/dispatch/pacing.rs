//! Pacing: each channel's sender says how many messages a second it may take.

use crate::messaging::channels::Sender;
use std::time::Duration;

/// A sender and the earliest moment its next message may go.
pub(super) struct Paced {
    pub(super) sender: Box<dyn Sender>,
    next: tokio::sync::Mutex<tokio::time::Instant>,
}

impl Paced {
    pub(super) fn new(sender: Box<dyn Sender>) -> Self {
        Self {
            sender,
            next: tokio::sync::Mutex::new(tokio::time::Instant::now()),
        }
    }

    /// Waits for this sender's next slot: at most `per_second` messages a second.
    pub(super) async fn pace(&self) {
        let gap = Duration::from_secs(1) / self.sender.per_second().max(1);
        let mut next = self.next.lock().await;
        let now = tokio::time::Instant::now();
        if *next > now {
            tokio::time::sleep_until(*next).await;
        }
        *next = (*next).max(now) + gap;
    }
}
