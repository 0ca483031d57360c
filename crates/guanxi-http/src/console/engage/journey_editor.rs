//! The journey editor's step operations, on the draft definition as JSON, so an operator
//! builds a journey without writing any: choose a step and change its settings, add a step
//! after another (on its first way on), remove one (its ways in lead where it led). The page
//! draws the draft after every change; checking it is `Definition::parse`'s, when drawn and
//! when published.

use serde_json::{Map, Value, json};

/// Fields that lead to another step.
const WAYS: [&str; 6] = ["next", "then", "yes", "timeout", "no", "missing"];

/// A step's settings as the form shows them: every field but `id` and `type`, strings bare,
/// anything else as JSON.
pub(super) struct StepFields {
    pub(super) id: String,
    pub(super) kind: String,
    pub(super) fields: Vec<(String, String)>,
}

fn steps_mut(draft: &mut Value) -> Result<&mut Vec<Value>, String> {
    draft
        .get_mut("steps")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| "the definition has no list of steps".to_owned())
}

fn position(steps: &[Value], id: &str) -> Result<usize, String> {
    steps
        .iter()
        .position(|s| s["id"] == id)
        .ok_or_else(|| format!("no step has the id {id:?}"))
}

/// The ids of the draft's steps, for the editor's choices.
pub(super) fn step_ids(draft: &Value) -> Vec<String> {
    draft["steps"]
        .as_array()
        .map(|steps| {
            steps
                .iter()
                .filter_map(|s| s["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn fields_of(draft: &Value, id: &str) -> Option<StepFields> {
    let step = draft["steps"].as_array()?.iter().find(|s| s["id"] == id)?;
    let fields = step
        .as_object()?
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "id" | "type"))
        .map(|(k, v)| {
            let shown = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), shown)
        })
        .collect();
    Some(StepFields {
        id: id.to_owned(),
        kind: step["type"].as_str().unwrap_or_default().to_owned(),
        fields,
    })
}

/// A value as typed: JSON when it reads as JSON (numbers, lists, objects, true), else text.
fn typed_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

/// Replaces a step's settings with those typed; a field left blank is dropped.
pub(super) fn set_fields(
    draft: &mut Value,
    id: &str,
    typed: &[(&str, &str)],
) -> Result<(), String> {
    let steps = steps_mut(draft)?;
    let at = position(steps, id)?;
    let step = steps[at]
        .as_object_mut()
        .ok_or_else(|| format!("step {id:?} is not an object"))?;
    for (name, text) in typed {
        if matches!(*name, "id" | "type") {
            continue;
        }
        if text.is_empty() {
            step.remove(*name);
        } else {
            step.insert((*name).to_owned(), typed_value(text));
        }
    }
    Ok(())
}

/// Where a step's first way on leads, and the name of the field holding it.
fn first_way(step: &Value) -> Option<(String, String)> {
    if let Some(arm) = step["arms"].as_array().and_then(|a| a.first()) {
        return arm["next"]
            .as_str()
            .map(|n| ("arms".to_owned(), n.to_owned()));
    }
    WAYS.iter()
        .find_map(|w| step[*w].as_str().map(|n| ((*w).to_owned(), n.to_owned())))
}

/// A new step of `kind`, leading to `to` on every way it has.
fn new_step(kind: &str, id: &str, to: &str) -> Result<Value, String> {
    let mut step = match kind {
        "wait" => json!({"hours": 1, "next": to}),
        "wait_until" => json!({"time": "09:00", "next": to}),
        "wait_until_date" => json!({"attribute": "birthday", "next": to}),
        "wait_for" => {
            json!({"event": "Order Completed", "timeout_hours": 24, "then": to, "timeout": to})
        }
        "branch" => json!({"condition": {"ordered_since_entry": true}, "yes": to, "no": to}),
        "split" => json!({"arms": [{"weight": 50, "next": to}, {"weight": 50, "next": to}]}),
        "send" => json!({"channel": "email", "template": "", "next": to}),
        "tag" => json!({"add": ["tag"], "next": to}),
        "set_trait" => json!({"key": "", "value": "", "next": to}),
        "webhook" => json!({"next": to}),
        "exit" => json!({}),
        other => return Err(format!("{other:?} is not a kind of step")),
    };
    let object = step.as_object_mut().expect("a step is an object");
    object.insert("id".into(), Value::String(id.to_owned()));
    object.insert("type".into(), Value::String(kind.to_owned()));
    Ok(step)
}

/// Adds a step of `kind` on `after`'s first way on: `after` leads to it, and it leads where
/// `after` led.
pub(super) fn add_after(
    draft: &mut Value,
    after: &str,
    kind: &str,
    id: &str,
) -> Result<(), String> {
    let steps = steps_mut(draft)?;
    if id.is_empty() || steps.iter().any(|s| s["id"] == id) {
        return Err(format!("the new step needs an id no step has ({id:?})"));
    }
    let at = position(steps, after)?;
    let Some((field, to)) = first_way(&steps[at]) else {
        return Err(format!(
            "{after:?} leads nowhere: add after the step before it"
        ));
    };
    let step = new_step(kind, id, &to)?;
    match field.as_str() {
        "arms" => steps[at]["arms"][0]["next"] = Value::String(id.to_owned()),
        way => steps[at][way] = Value::String(id.to_owned()),
    }
    steps.insert(at + 1, step);
    Ok(())
}

/// Removes a step; every way that led to it leads where it led (its first way on).
pub(super) fn remove(draft: &mut Value, id: &str) -> Result<(), String> {
    let steps = steps_mut(draft)?;
    let at = position(steps, id)?;
    let Some((_, to)) = first_way(&steps[at]) else {
        return Err(format!(
            "{id:?} leads nowhere: what leads to it would lead nowhere too"
        ));
    };
    steps.remove(at);
    for step in steps.iter_mut() {
        let Some(object) = step.as_object_mut() else {
            continue;
        };
        redirect(object, id, &to);
    }
    if draft["start"] == id {
        draft["start"] = Value::String(to);
    }
    Ok(())
}

fn redirect(step: &mut Map<String, Value>, from: &str, to: &str) {
    for way in WAYS {
        if step.get(way).is_some_and(|v| v == from) {
            step.insert(way.to_owned(), Value::String(to.to_owned()));
        }
    }
    if let Some(arms) = step.get_mut("arms").and_then(Value::as_array_mut) {
        for arm in arms {
            if arm["next"] == from {
                arm["next"] = Value::String(to.to_owned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use guanxi_domain::journey::Definition;

    fn draft() -> Value {
        json!({
            "trigger": {"event": {"name": "Checkout Started"}},
            "start": "wait",
            "steps": [
                {"id": "wait", "type": "wait", "hours": 1, "next": "mail"},
                {"id": "mail", "type": "send", "channel": "email", "template": "cart", "next": "done"},
                {"id": "done", "type": "exit"}
            ]
        })
    }

    #[test]
    fn steps_are_added_changed_and_removed_and_the_draft_stays_valid() {
        let mut d = draft();
        add_after(&mut d, "mail", "branch", "bought").expect("add");
        assert_eq!(d["steps"][1]["next"], "bought");
        assert_eq!(d["steps"][2]["yes"], "done");
        set_fields(
            &mut d,
            "bought",
            &[
                ("yes", "done"),
                ("no", "done"),
                ("condition", r#"{"did_event": "Order Completed"}"#),
            ],
        )
        .expect("set");
        assert_eq!(d["steps"][2]["condition"]["did_event"], "Order Completed");
        set_fields(&mut d, "wait", &[("hours", "3")]).expect("set");
        assert_eq!(d["steps"][0]["hours"], 3, "numbers stay numbers");
        Definition::parse(&d).expect("still a journey");

        remove(&mut d, "wait").expect("remove");
        assert_eq!(d["start"], "mail", "the start moves on");
        remove(&mut d, "bought").expect("remove");
        assert_eq!(d["steps"][0]["next"], "done", "what led to it leads on");
        Definition::parse(&d).expect("still a journey");

        assert!(remove(&mut d, "done").is_err(), "an exit leads nowhere");
        assert!(
            add_after(&mut d, "mail", "send", "mail").is_err(),
            "ids are unique"
        );
        assert!(add_after(&mut d, "mail", "teleport", "x").is_err());
        let shown = fields_of(&d, "mail").expect("fields");
        assert_eq!(shown.kind, "send");
        assert!(
            shown
                .fields
                .contains(&("template".to_owned(), "cart".to_owned()))
        );
    }
}
