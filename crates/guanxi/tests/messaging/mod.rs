//! Messaging end to end: templates, consent, campaigns sent over a real SMTP server, SMS
//! through a gateway and signed webhooks (a local HTTP receiver), and the links in messages.

mod ab_test;
mod campaign;
mod channels;
mod faults;
mod journey;
mod receiver;
mod smtp_sink;
