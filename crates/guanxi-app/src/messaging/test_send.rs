//! A template sent once to an address its author types — the draft being written, or the
//! saved template — to see it as a customer would. It goes through the channel's real sender
//! outside the queue, marked as a test; a suppressed address is refused. Audited with the
//! address masked and the customer whose values it carried.

use super::template::TemplateContent;
use super::templates::{TemplateForm, content_of, rendered};
use super::{Messaging, MessagingError};
use crate::audit::{self, Audit, AuditActor};
use guanxi_domain::access::{Action, Principal, Resource};
use guanxi_domain::messaging::Channel;
use guanxi_domain::{CustomerId, FieldError};
use serde_json::json;

/// Who to send to and how.
pub struct TestSend<'a> {
    /// An e-mail address or phone number (ignored for webhooks: the configured address).
    pub to: &'a str,
    /// `zh-CN` or `en`; the template's first language otherwise.
    pub language: Option<&'a str>,
    /// Render with this customer's values (revealed, the reveal audited).
    pub customer: Option<CustomerId>,
}

/// Sends template `id` — or `draft`, its edit not yet saved — once, now.
pub async fn test_send(
    messaging: &Messaging,
    principal: &Principal,
    id: i64,
    draft: Option<&TemplateForm>,
    send: TestSend<'_>,
) -> Result<(), MessagingError> {
    principal.require(Resource::Campaigns, Action::Edit)?;
    let store = messaging.store.as_ref();
    let record = store.template(id).await?;
    let content = match draft {
        Some(form) => TemplateContent::parse(record.channel, &form.content)?,
        None => content_of(&record)?,
    };
    let address = address_of(messaging, record.channel, send.to)?;
    if let Some(address) = &address
        && !store
            .suppressed(record.channel, std::slice::from_ref(address))
            .await?
            .is_empty()
    {
        return Err(FieldError::new("to", "is on the suppression list").into());
    }
    let all = rendered(messaging, principal, &content, send.customer).await?;
    let wanted = content.language_for(send.language).to_owned();
    let Some((_, message)) = all.into_iter().find(|(l, _)| *l == wanted) else {
        return Err(FieldError::new("language", "the template has no such language").into());
    };
    let dispatcher = super::Dispatcher::new(messaging.clone())
        .map_err(|e| MessagingError::Invalid(FieldError::new("channel", e)))?;
    dispatcher
        .send_test(record.channel, &message, address.as_deref())
        .await
        .map_err(|e| FieldError::new("to", format!("the test did not go: {e}")))?;
    let masked = address.as_deref().map(|a| match record.channel {
        Channel::Email => guanxi_domain::masking::mask_email(a),
        _ => guanxi_domain::masking::mask_phone(a),
    });
    audit::record(
        store,
        Audit {
            actor: AuditActor::Known(&principal.actor),
            action: "template.test_send",
            target: Some(("template", id.to_string())),
            detail: json!({"key": record.key, "channel": record.channel.as_str(),
                "to": masked, "customer": send.customer.map(|c| c.0)}),
            ip: None,
        },
    )
    .await?;
    Ok(())
}

/// The address a test goes to, as identities store it; none for webhooks.
fn address_of(
    messaging: &Messaging,
    channel: Channel,
    to: &str,
) -> Result<Option<String>, MessagingError> {
    match channel {
        Channel::Email | Channel::Sms => super::consent::normalised_address(messaging, channel, to)
            .map(Some)
            .map_err(|e| match e {
                MessagingError::Invalid(f) => FieldError::new("to", f.reason).into(),
                other => other,
            }),
        Channel::Webhook => Ok(None),
        Channel::InApp => Err(FieldError::new(
            "to",
            "an in-app message goes to a customer's inbox: preview it instead",
        )
        .into()),
    }
}
