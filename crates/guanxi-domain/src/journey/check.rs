//! The checks a journey passes before it is saved: ids unique, every step reachable and every
//! edge leading somewhere, values in range, and no loop that never waits (it would spin).

use super::{Definition, StepKind, Trigger};
use crate::FieldError;
use crate::messaging::Channel;
use chrono::NaiveTime;
use std::collections::{HashMap, HashSet};

const MAX_STEPS: usize = 100;
const MAX_WAIT_MS: i64 = 366 * 86_400_000;

pub(super) fn check(d: &Definition) -> Result<(), FieldError> {
    if d.steps.is_empty() || d.steps.len() > MAX_STEPS {
        return Err(FieldError::new(
            "steps",
            format!("must hold 1 to {MAX_STEPS} steps"),
        ));
    }
    match &d.trigger {
        Trigger::Event { name, .. } if name.trim().is_empty() => {
            return Err(FieldError::new("trigger.event.name", "must not be empty"));
        }
        Trigger::SegmentEntered(key) | Trigger::SegmentExited(key) if key.trim().is_empty() => {
            return Err(FieldError::new("trigger", "must name a segment"));
        }
        Trigger::Date {
            attribute,
            days_before,
            time,
        } => {
            date_attribute("trigger.date.attribute", attribute)?;
            days_ahead("trigger.date.days_before", *days_before)?;
            time_of_day("trigger.date.time", time)?;
        }
        Trigger::Schedule {
            segment,
            time,
            weekdays,
            month_day,
        } => {
            if segment.trim().is_empty() {
                return Err(FieldError::new(
                    "trigger.schedule.segment",
                    "must name a segment",
                ));
            }
            time_of_day("trigger.schedule.time", time)?;
            if weekdays.iter().any(|d| !(1..=7).contains(d)) {
                return Err(FieldError::new(
                    "trigger.schedule.weekdays",
                    "are 1 (Monday) to 7 (Sunday)",
                ));
            }
            if month_day.is_some_and(|d| !(1..=31).contains(&d)) {
                return Err(FieldError::new(
                    "trigger.schedule.month_day",
                    "must be 1 to 31",
                ));
            }
        }
        _ => {}
    }
    let mut index = HashMap::new();
    for (i, step) in d.steps.iter().enumerate() {
        // Ids are part of message origins (`journey:ID:VERSION:STEP:…`): no colons.
        let ok = !step.id.is_empty()
            && step.id.len() <= 64
            && step
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok || index.insert(step.id.as_str(), i).is_some() {
            return Err(FieldError::new(
                format!("steps[{i}].id"),
                "must be 1 to 64 of a-z, A-Z, 0-9, - and _, and unique",
            ));
        }
    }
    if !index.contains_key(d.start.as_str()) {
        return Err(FieldError::new(
            "start",
            format!("no step has the id {:?}", d.start),
        ));
    }
    for (i, step) in d.steps.iter().enumerate() {
        let at = |part: &str| format!("steps[{i}].{part}");
        for target in step.kind.targets() {
            if !index.contains_key(target) {
                return Err(FieldError::new(
                    format!("steps[{i}]"),
                    format!("leads to {target:?}, which is no step"),
                ));
            }
        }
        match &step.kind {
            StepKind::Wait { .. } => {
                let ms = step.kind.wait_ms().unwrap_or(0);
                if ms <= 0 || ms > MAX_WAIT_MS {
                    return Err(FieldError::new(
                        at("days"),
                        "the wait must be between a minute and a year",
                    ));
                }
            }
            StepKind::WaitUntil { time, .. } => time_of_day(&at("time"), time)?,
            StepKind::WaitUntilDate {
                attribute,
                days_before,
                time,
                ..
            } => {
                date_attribute(&at("attribute"), attribute)?;
                days_ahead(&at("days_before"), *days_before)?;
                time_of_day(&at("time"), time)?;
            }
            StepKind::Webhook { url: Some(url), .. } => {
                let parsed = url::Url::parse(url).ok();
                if !parsed.is_some_and(|u| matches!(u.scheme(), "http" | "https")) {
                    return Err(FieldError::new(
                        at("url"),
                        "must be an http or https address",
                    ));
                }
            }
            StepKind::Webhook { url: None, .. } => {}
            StepKind::WaitFor {
                event,
                timeout_hours,
                ..
            } => {
                if event.trim().is_empty() {
                    return Err(FieldError::new(at("event"), "must not be empty"));
                }
                if !(1..=24 * 30).contains(timeout_hours) {
                    return Err(FieldError::new(at("timeout_hours"), "must be 1 to 720"));
                }
            }
            StepKind::Split { arms } => {
                if arms.len() < 2 || arms.iter().any(|a| a.weight == 0) {
                    return Err(FieldError::new(
                        at("arms"),
                        "needs two or more arms, each with a weight above 0",
                    ));
                }
            }
            StepKind::Send {
                channel, template, ..
            } => {
                Channel::parse(channel).map_err(|e| FieldError::new(at("channel"), e.reason))?;
                if template.trim().is_empty() {
                    return Err(FieldError::new(at("template"), "must name a template"));
                }
            }
            StepKind::Tag { add, remove, .. } => {
                if add.is_empty() && remove.is_empty() {
                    return Err(FieldError::new(at("add"), "add or remove at least one tag"));
                }
            }
            StepKind::SetTrait { key, .. } => {
                if key.trim().is_empty() || crate::personal::classify(key, true).is_some() {
                    return Err(FieldError::new(
                        at("key"),
                        "must name a trait that is not personal data",
                    ));
                }
            }
            StepKind::Branch { .. } | StepKind::Exit => {}
        }
    }
    reachable(d, &index)?;
    spinning(d, &index)
}

fn time_of_day(at: &str, time: &str) -> Result<(), FieldError> {
    NaiveTime::parse_from_str(time, "%H:%M")
        .map(|_| ())
        .map_err(|_| FieldError::new(at, "must be a time of day, as 10:00"))
}

fn days_ahead(at: &str, days: u32) -> Result<(), FieldError> {
    if days > 365 {
        return Err(FieldError::new(at, "must be 0 to 365"));
    }
    Ok(())
}

fn date_attribute(at: &str, attribute: &str) -> Result<(), FieldError> {
    if attribute.trim().is_empty() || attribute.len() > 64 {
        return Err(FieldError::new(
            at,
            "must name a trait holding a date (birthday) or first_order",
        ));
    }
    Ok(())
}

/// Every step can be reached from the start.
fn reachable(d: &Definition, index: &HashMap<&str, usize>) -> Result<(), FieldError> {
    let mut seen = HashSet::new();
    let mut stack = vec![d.start.as_str()];
    while let Some(id) = stack.pop() {
        if seen.insert(id) {
            stack.extend(d.steps[index[id]].kind.targets());
        }
    }
    match d.steps.iter().position(|s| !seen.contains(s.id.as_str())) {
        Some(i) => Err(FieldError::new(
            format!("steps[{i}]"),
            "is never reached from the start",
        )),
        None => Ok(()),
    }
}

/// No cycle made only of steps that do not wait: a customer on it would never stop.
fn spinning(d: &Definition, index: &HashMap<&str, usize>) -> Result<(), FieldError> {
    // 0 unvisited, 1 on the current path, 2 done.
    let mut state = vec![0u8; d.steps.len()];
    fn visit(
        i: usize,
        d: &Definition,
        index: &HashMap<&str, usize>,
        state: &mut [u8],
    ) -> Option<usize> {
        // A date wait parks customers on its `next` way; those without the date go on at once
        // by `missing`, so that way counts as not waiting.
        let onward: Vec<&str> = match &d.steps[i].kind {
            StepKind::WaitUntilDate {
                missing: Some(missing),
                ..
            } => vec![missing.as_str()],
            kind if kind.waits() => return None,
            kind => kind.targets(),
        };
        match state[i] {
            1 => return Some(i),
            2 => return None,
            _ => {}
        }
        state[i] = 1;
        for target in onward {
            if let Some(found) = visit(index[target], d, index, state) {
                return Some(found);
            }
        }
        state[i] = 2;
        None
    }
    for i in 0..d.steps.len() {
        if let Some(at) = visit(i, d, index, &mut state) {
            return Err(FieldError::new(
                format!("steps[{at}]"),
                "is on a loop with no wait: customers would go round it for ever",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::Definition;
    use serde_json::json;

    fn abandoned_checkout() -> serde_json::Value {
        json!({
            "trigger": {"event": {"name": "Checkout Started"}},
            "goal": {"ordered": true},
            "reentry": {"after_days": 7},
            "start": "wait",
            "steps": [
                {"id": "wait", "type": "wait_for", "event": "Order Completed", "correlate": "checkout_id", "timeout_hours": 1, "then": "done", "timeout": "email"},
                {"id": "email", "type": "send", "channel": "email", "template": "cart", "next": "day"},
                {"id": "day", "type": "wait", "days": 1, "next": "sms"},
                {"id": "sms", "type": "send", "channel": "sms", "template": "cart-coupon", "next": "done"},
                {"id": "done", "type": "exit"}
            ]
        })
    }

    #[test]
    fn the_abandoned_checkout_journey_parses() {
        let d = Definition::parse(&abandoned_checkout()).expect("valid");
        assert_eq!(d.steps.len(), 5);
        assert_eq!(d.templates().len(), 2);
        let round = serde_json::to_value(&d).expect("serialise");
        assert_eq!(
            Definition::parse(&round).expect("again"),
            d,
            "what is stored reads back"
        );
    }

    #[test]
    fn mistakes_name_the_step() {
        let mut bad = abandoned_checkout();
        bad["steps"][1]["next"] = json!("nowhere");
        assert_eq!(Definition::parse(&bad).expect_err("edge").field, "steps[1]");
        let mut bad = abandoned_checkout();
        bad["steps"][2]["days"] = json!(0);
        assert_eq!(
            Definition::parse(&bad).expect_err("wait").field,
            "steps[2].days"
        );
        let mut bad = abandoned_checkout();
        bad["steps"][3]["type"] = json!("teleport");
        assert_eq!(Definition::parse(&bad).expect_err("type").field, "steps[3]");
        let mut bad = abandoned_checkout();
        bad["start"] = json!("email");
        assert_eq!(
            Definition::parse(&bad).expect_err("unreached").field,
            "steps[0]"
        );
        let mut bad = abandoned_checkout();
        bad["steps"][3]["channel"] = json!("pigeon");
        assert_eq!(
            Definition::parse(&bad).expect_err("channel").field,
            "steps[3].channel"
        );
    }

    #[test]
    fn calendar_triggers_date_waits_and_webhooks_are_checked() {
        let with_trigger = |trigger: serde_json::Value| {
            let mut d = abandoned_checkout();
            d["trigger"] = trigger;
            Definition::parse(&d).map(|_| ()).map_err(|e| e.field)
        };
        assert_eq!(
            with_trigger(json!({"date": {"attribute": "birthday"}})),
            Ok(())
        );
        assert_eq!(
            with_trigger(json!({"date": {"attribute": "birthday", "time": "9am"}})),
            Err("trigger.date.time".to_owned())
        );
        assert_eq!(
            with_trigger(json!({"schedule": {"segment": "vip", "weekdays": [8]}})),
            Err("trigger.schedule.weekdays".to_owned())
        );
        let d = Definition::parse(&json!({
            "trigger": {"schedule": {"segment": "vip", "time": "10:00", "month_day": 31}},
            "start": "w",
            "steps": [
                {"id": "w", "type": "wait_until_date", "attribute": "first_order", "next": "hook", "missing": "done"},
                {"id": "hook", "type": "webhook", "url": "https://crm.example/hook", "next": "done"},
                {"id": "done", "type": "exit"}
            ]
        }))
        .expect("valid");
        assert_eq!(d.segments(), ["vip"]);
        // Without the date a customer goes round by `missing` at once: a loop that spins.
        let spinning = json!({
            "trigger": {"date": {"attribute": "birthday"}}, "start": "w",
            "steps": [
                {"id": "w", "type": "wait_until_date", "attribute": "birthday", "next": "done", "missing": "tag"},
                {"id": "tag", "type": "tag", "add": ["x"], "next": "w"},
                {"id": "done", "type": "exit"}
            ]
        });
        assert!(
            Definition::parse(&spinning).is_err(),
            "a loop through missing is refused"
        );
        let mut bad = serde_json::to_value(&d).expect("json");
        bad["steps"][1]["url"] = json!("ftp://crm.example");
        assert_eq!(
            Definition::parse(&bad).map_err(|e| e.field),
            Err("steps[1].url".to_owned())
        );
    }

    #[test]
    fn a_loop_without_a_wait_is_refused_and_one_with_a_wait_is_not() {
        let spin = json!({
            "trigger": {"segment_entered": "vip"}, "start": "a",
            "steps": [
                {"id": "a", "type": "tag", "add": ["x"], "next": "b"},
                {"id": "b", "type": "branch", "condition": {"in_segment": "vip"}, "yes": "a", "no": "c"},
                {"id": "c", "type": "exit"}
            ]
        });
        let e = Definition::parse(&spin).expect_err("spins");
        assert!(e.reason.contains("loop"), "{e:?}");
        let mut waits = spin.clone();
        waits["steps"][1]["yes"] = json!("w");
        waits["steps"]
            .as_array_mut()
            .expect("steps")
            .push(json!({"id": "w", "type": "wait", "days": 1, "next": "a"}));
        Definition::parse(&waits).expect("a loop with a wait is a reminder");
    }
}
