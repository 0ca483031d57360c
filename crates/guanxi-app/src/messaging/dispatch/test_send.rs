//! A message sent once to an address its author types, to see it as a customer would: through
//! the channel's real sender, outside the queue (it is nobody's delivery, so no consent, cap
//! or record applies), its subject marked as a test.

use super::Dispatcher;
use crate::messaging::channels::{Outgoing, SendError};
use crate::messaging::template::Rendered;
use guanxi_domain::CustomerId;
use guanxi_domain::messaging::{Channel, DeliveryStatus};
use guanxi_store::Delivery;

/// What marks a test, in both of the shop's languages: it reaches staff, not customers.
const TEST_MARK: &str = "[测试 Test]";

impl Dispatcher {
    pub async fn send_test(
        &self,
        channel: Channel,
        rendered: &Rendered,
        address: Option<&str>,
    ) -> Result<(), SendError> {
        let Some(paced) = self.senders.get(&channel) else {
            return Err(SendError::Permanent(format!(
                "no {} sender is configured",
                channel.as_str()
            )));
        };
        let now = self.messaging.clock.now();
        let delivery = Delivery {
            id: 0,
            origin: "test".into(),
            customer: CustomerId(0),
            channel,
            variant: String::new(),
            status: DeliveryStatus::Sending,
            attempts: 1,
            run_at: now,
            last_error: None,
            queued_at: now,
            sent_at: None,
        };
        let mut rendered = rendered.clone();
        // Marked where the reader looks first: the subject, or a text's opening.
        if !rendered.subject.is_empty() {
            rendered.subject = format!("{TEST_MARK} {}", rendered.subject);
        } else {
            rendered.text = format!("{TEST_MARK} {}", rendered.text);
        }
        paced.pace().await;
        paced
            .sender
            .send(&Outgoing {
                delivery: &delivery,
                address,
                rendered: &rendered,
                unsubscribe_url: None,
                transactional: true,
                url: None,
            })
            .await
    }
}
