//! Segment e-commerce spec events.
