//! Segments every shop has: one per lifecycle stage (`lifecycle-new`, `lifecycle-at_risk`, …).
//! A customer moving from one stage to the next leaves one and enters the other, so lifecycle
//! transitions are recorded like any segment's: member rows, history spells, timeline events
//! and the change log, at the day's turn they happen. They cannot be edited or deleted.

use guanxi_engine::lifecycle::Stage;
use guanxi_engine::segment::Rule;
use guanxi_store::{NewSegment, Store, StoreError, StoreResult};

/// Keys starting with this belong to the built-in lifecycle segments.
pub const LIFECYCLE_PREFIX: &str = "lifecycle-";

pub fn is_builtin(key: &str) -> bool {
    key.starts_with(LIFECYCLE_PREFIX)
}

/// The stage a built-in segment stands for.
pub fn stage_of(key: &str) -> Option<Stage> {
    let stage = key.strip_prefix(LIFECYCLE_PREFIX)?;
    Stage::ALL.into_iter().find(|s| s.key() == stage)
}

fn definition(stage: Stage) -> NewSegment {
    let rule = Rule::from_text(&format!("lifecycle = {}", stage.key()))
        .expect("a lifecycle stage is a valid rule");
    NewSegment {
        key: format!("{LIFECYCLE_PREFIX}{}", stage.key()),
        name: format!("Lifecycle: {}", stage.key().replace('_', " ")),
        description: String::new(),
        rule: rule.to_json().to_string(),
        auto_tag: None,
    }
}

/// Creates the built-in segments a shop lacks, when the app starts (another server may create
/// them at the same time: a taken key is fine).
pub async fn ensure(store: &dyn Store) -> StoreResult<()> {
    for stage in Stage::ALL {
        let segment = definition(stage);
        match store.segment_id(&segment.key).await {
            Ok(_) => continue,
            Err(StoreError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
        match store
            .create_segment(&segment, chrono::Utc::now().timestamp_millis())
            .await
        {
            Ok(_) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
