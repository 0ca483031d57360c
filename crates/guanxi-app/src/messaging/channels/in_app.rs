//! The in-app inbox: "sending" stores the rendered message where the shop's app reads it over
//! the API (`/api/v1/customers/{id}/inbox`).

use super::{Outgoing, SendError, Sender};
use async_trait::async_trait;
use guanxi_domain::messaging::Channel;
use guanxi_store::{InboxMessage, Store};
use std::sync::Arc;

pub struct InAppSender {
    store: Arc<dyn Store>,
}

impl InAppSender {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl Sender for InAppSender {
    fn channel(&self) -> Channel {
        Channel::InApp
    }

    fn per_second(&self) -> u32 {
        1_000
    }

    async fn send(&self, message: &Outgoing<'_>) -> Result<(), SendError> {
        let d = message.delivery;
        self.store
            .add_inbox_message(&InboxMessage {
                delivery: d.id,
                customer: d.customer,
                subject: message.rendered.subject.clone(),
                text: message.rendered.text.clone(),
                created_at: chrono::Utc::now().timestamp_millis(),
                read_at: None,
            })
            .await
            .map_err(|e| SendError::Transient(format!("the inbox could not be written: {e}")))
    }
}
