//! Tests: identity_story.
