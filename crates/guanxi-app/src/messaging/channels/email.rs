//! E-mail over SMTP (lettre): HTML and text parts, a Message-ID made of the delivery id (so a
//! resend after a crash is recognisably the same message), and RFC 8058 one-click
//! unsubscribe headers.

use super::{Outgoing, SendError, Sender};
use async_trait::async_trait;
use guanxi_domain::messaging::Channel;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// SMTP connections kept open to the relay, and so messages in flight at most.
pub const CONNECTIONS: u32 = 32;

pub struct EmailSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    per_second: u32,
}

impl EmailSender {
    /// `smtp://host:port` (plain, as a local relay), `smtp://…?tls=required` or `smtps://…`.
    pub fn new(url: &str, from: &str, per_second: u32) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("the SMTP address is not valid: {e}"))?
            .timeout(Some(Duration::from_secs(20)))
            // lettre leaves Nagle's algorithm on, so each message waits out the relay's delayed
            // ACK (about 40 ms) after its body: throughput comes from many connections at once.
            .pool_config(PoolConfig::new().max_size(CONNECTIONS))
            .build();
        let from = from
            .parse()
            .map_err(|e| format!("the sender address is not valid: {e}"))?;
        Ok(Self {
            transport,
            from,
            per_second,
        })
    }
}

#[async_trait]
impl Sender for EmailSender {
    fn channel(&self) -> Channel {
        Channel::Email
    }

    fn per_second(&self) -> u32 {
        self.per_second
    }

    async fn send(&self, mail: &Outgoing<'_>) -> Result<(), SendError> {
        let to: Mailbox = mail
            .address()?
            .parse()
            .map_err(|e| SendError::Permanent(format!("the address is not valid: {e}")))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.rendered.subject.clone())
            .message_id(Some(format!("<delivery-{}@guanxi>", mail.delivery.id)));
        if let Some(url) = mail.unsubscribe_url {
            builder = builder
                .raw_header(header("List-Unsubscribe", format!("<{url}>")))
                .raw_header(header(
                    "List-Unsubscribe-Post",
                    "List-Unsubscribe=One-Click".into(),
                ));
        }
        if mail.transactional {
            builder = builder.raw_header(header("X-Guanxi-Purpose", "transactional".into()));
        }
        let message = if mail.rendered.html.trim().is_empty() {
            builder.body(mail.rendered.text.clone())
        } else {
            builder.multipart(MultiPart::alternative_plain_html(
                mail.rendered.text.clone(),
                mail.rendered.html.clone(),
            ))
        }
        .map_err(|e| SendError::Permanent(format!("the message cannot be built: {e}")))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(format!(
                "refused by the relay ({})",
                smtp_code(&e)
            ))),
            Err(e) => Err(SendError::Transient(format!(
                "not sent ({})",
                smtp_code(&e)
            ))),
        }
    }
}

fn header(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

/// What to record of an SMTP failure: the reply code, never the reply's text (relays repeat
/// the recipient's address in it), or what kind of failure it was.
fn smtp_code(e: &lettre::transport::smtp::Error) -> String {
    match e.status() {
        Some(code) => format!("SMTP {code}"),
        None if e.is_timeout() => "the relay timed out".to_owned(),
        None => "the relay could not be reached".to_owned(),
    }
}
