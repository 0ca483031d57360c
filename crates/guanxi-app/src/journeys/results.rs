//! What a journey earned: per version and step, the messages sent, opened and clicked and the
//! orders attributed to them by last touch, with the journey's revenue, cost and ROI.

use crate::messaging::earned::{Earned, tally};
use crate::messaging::{Messaging, MessagingError};
use guanxi_domain::access::{Action, Principal, Resource};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepEarned {
    pub version: i64,
    pub step: String,
    pub earned: Earned,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct JourneyResults {
    pub steps: Vec<StepEarned>,
    pub orders: u64,
    pub revenue: i64,
    /// What the messages sent cost, minor units.
    pub cost: i64,
    /// (revenue − cost) / cost, when anything cost.
    pub roi: Option<f64>,
}

/// The (version, step) a journey message's origin names: `journey:ID:VERSION:STEP:RUN:MOVE`.
fn step_of(origin: &str) -> Option<(i64, &str)> {
    let mut parts = origin.split(':').skip(2);
    let version = parts.next()?.parse().ok()?;
    Some((version, parts.next()?))
}

pub async fn results(
    messaging: &Messaging,
    principal: &Principal,
    id: i64,
) -> Result<JourneyResults, MessagingError> {
    principal.require(Resource::Campaigns, Action::View)?;
    let store = messaging.store.as_ref();
    let record = store.journey(id).await?;
    let touches = store.origin_tree_touches(&format!("journey:{id}")).await?;
    let (groups, _) = tally(messaging, &touches, record.created_at, |t| {
        step_of(&t.origin)
            .map(|(version, step)| format!("{version}:{step}"))
            .unwrap_or_default()
    })
    .await?;
    let mut results = JourneyResults::default();
    for (group, earned) in groups {
        let Some((version, step)) = group
            .split_once(':')
            .and_then(|(v, s)| Some((v.parse().ok()?, s.to_owned())))
        else {
            continue;
        };
        results.orders += earned.orders;
        results.revenue += earned.revenue;
        results.steps.push(StepEarned {
            version,
            step,
            earned,
        });
    }
    results.cost = touches
        .iter()
        .filter(|t| t.sent_at.is_some())
        .map(|t| messaging.config.cost_per_message(t.channel))
        .sum();
    results.roi =
        (results.cost > 0).then(|| (results.revenue - results.cost) as f64 / results.cost as f64);
    Ok(results)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_message_origin_names_its_version_and_step() {
        assert_eq!(
            super::step_of("journey:7:2:remind:41:3"),
            Some((2, "remind"))
        );
        assert_eq!(super::step_of("campaign:7"), None);
    }
}
