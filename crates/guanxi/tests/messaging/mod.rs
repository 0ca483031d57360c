//! Messaging end to end: templates, consent, a campaign sent over a real SMTP server, and the
//! links in its messages.

mod campaign;
mod smtp_sink;
