//! Storage boundary: one trait per concern, records as plain types, and `StoreError`, which
//! keeps "absent" apart from "broken". Backends live in `guanxi-store-sql`; the conformance
//! suite in `guanxi-store-tests` holds them to the same behaviour.

mod analytics;
mod error;
mod facts;
mod figures;
mod imports;
mod journeys;
mod messaging;
mod ownership;
mod records;
mod segments;
mod settings;
mod staff;
mod store;
mod write;

pub use analytics::{AnalyticsStore, Period};
pub use error::{StoreError, StoreResult};
pub use facts::{EventFact, FactStore, ItemFact, ItemFilter, OrderFact, PersonFact, ProductLine};
pub use figures::{ChannelFigures, DayFigures, FiguresQuery, FiguresStore, ShopFigures};
pub use imports::{
    IMPORT_SILENT_AFTER_MS, ImportProgress, ImportRecord, ImportStatus, ImportStore, NewImport,
    RejectedRow,
};
pub use journeys::{
    FeedEvent, JourneyRecord, JourneyStore, NewRun, RunChange, RunRecord, StepCount,
};
pub use messaging::{
    CampaignRecord, ConsentRow, ConsentStore, Delivery, DeliveryCount, DeliveryUpdate,
    InboxMessage, MessagingStore, NewCampaign, NewDelivery, NewTemplate, TemplateRecord, Touch,
};
pub use ownership::{CustomerOwner, OwnerFilter, OwnershipStore, Team};
pub use records::*;
pub use segments::{NewSegment, SegmentChange, SegmentRecord, SegmentSpell, SegmentStore};
pub use settings::SettingsStore;
pub use staff::{
    AuditEntry, AuditQuery, AuditStore, NewAuditEntry, NewUser, Session, StaffStore, User,
};
pub use store::{CustomerStore, JobStore, KeyStore, Store};
pub use write::WriteTx;
