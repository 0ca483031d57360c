//! What each sales channel sends, parsed into domain inputs. Pure: readers in, domain values
//! out; nothing here touches the database or the network.

pub mod import;
pub mod segment;
pub mod segment_ecommerce;
pub mod shopify_webhook;
