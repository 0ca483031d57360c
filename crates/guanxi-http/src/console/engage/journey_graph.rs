//! A journey's steps drawn as a graph: each step a box in rows by its distance from the start,
//! arrows labelled with the path they take (yes/no, then/timeout, a split's weight), and on
//! each box how many customers reached it and how many wait there now. Laid out here, drawn
//! by the page as SVG, so it needs no script.

use super::super::i18n::Tr;
use guanxi_domain::journey::{Condition, Definition, StepKind};
use std::collections::HashMap;

const BOX_W: i64 = 200;
const BOX_H: i64 = 66;
const GAP_X: i64 = 36;
const GAP_Y: i64 = 54;
const MARGIN: i64 = 16;
/// Room on the left for arrows that skip rows, and their labels.
const LEFT: i64 = 110;

pub(super) struct Node {
    pub(super) id: String,
    pub(super) kind: &'static str,
    pub(super) summary: String,
    pub(super) x: i64,
    pub(super) y: i64,
    pub(super) entered: i64,
    pub(super) now: i64,
}

pub(super) struct Edge {
    /// An SVG path.
    pub(super) path: String,
    pub(super) label: String,
    pub(super) label_x: i64,
    pub(super) label_y: i64,
    /// SVG `text-anchor`: labels left of their arrow end there.
    pub(super) anchor: &'static str,
}

pub(super) struct Graph {
    pub(super) width: i64,
    pub(super) height: i64,
    pub(super) box_w: i64,
    pub(super) box_h: i64,
    pub(super) nodes: Vec<Node>,
    pub(super) edges: Vec<Edge>,
}

/// What the step does, in a line: "1d 2h", "email · cart_reminder", "in segment vip".
fn summary(kind: &StepKind, tr: Tr) -> String {
    match kind {
        StepKind::Wait {
            days,
            hours,
            minutes,
            ..
        } => {
            // A checked wait is never zero: one part at least.
            let parts: Vec<String> = [(days, "days"), (hours, "hours"), (minutes, "minutes")]
                .into_iter()
                .filter(|(n, _)| **n > 0)
                .map(|(n, unit)| tr.fill(&format!("journeys.{unit}"), &[("n", &n.to_string())]))
                .collect();
            parts.join(" ")
        }
        StepKind::WaitUntil { time, .. } => time.clone(),
        StepKind::WaitUntilDate {
            attribute,
            days_before,
            time,
            ..
        } => match days_before {
            0 => format!("{attribute} · {time}"),
            days => format!("{attribute} −{days}d · {time}"),
        },
        StepKind::Webhook { url, .. } => url
            .as_deref()
            .map(|u| u.split('?').next().unwrap_or(u).to_owned())
            .unwrap_or_else(|| tr.get("journeys.default_webhook").to_owned()),
        StepKind::WaitFor {
            event,
            timeout_hours,
            ..
        } => format!("{event} · ≤{timeout_hours}h"),
        StepKind::Branch { condition, .. } => match condition {
            Condition::InSegment(key) => tr.fill("journeys.if_in_segment", &[("key", key)]),
            Condition::OrderedSinceEntry(_) => tr.get("journeys.if_ordered").to_owned(),
            Condition::DidEvent(event) => tr.fill("journeys.if_did", &[("event", event)]),
        },
        StepKind::Split { arms } => arms
            .iter()
            .map(|a| a.weight.to_string())
            .collect::<Vec<_>>()
            .join(" / "),
        StepKind::Send {
            channel, template, ..
        } => format!("{} · {template}", tr.get(&format!("channel.{channel}"))),
        StepKind::Tag { add, remove, .. } => add
            .iter()
            .map(|t| format!("+{t}"))
            .chain(remove.iter().map(|t| format!("−{t}")))
            .collect::<Vec<_>>()
            .join(" "),
        StepKind::SetTrait { key, value, .. } => format!("{key} = {value}"),
        StepKind::Exit => String::new(),
    }
}

/// The step's ways on, each with its label.
fn exits(kind: &StepKind, tr: Tr) -> Vec<(String, String)> {
    match kind {
        StepKind::WaitFor { then, timeout, .. } => vec![
            (then.clone(), tr.get("journeys.edge_then").to_owned()),
            (timeout.clone(), tr.get("journeys.edge_timeout").to_owned()),
        ],
        StepKind::WaitUntilDate {
            next,
            missing: Some(missing),
            ..
        } => vec![
            (next.clone(), tr.get("journeys.edge_on_the_day").to_owned()),
            (missing.clone(), tr.get("journeys.edge_no_date").to_owned()),
        ],
        StepKind::Branch { yes, no, .. } => vec![
            (yes.clone(), tr.get("journeys.edge_yes").to_owned()),
            (no.clone(), tr.get("journeys.edge_no").to_owned()),
        ],
        StepKind::Split { arms } => {
            let total: u32 = arms.iter().map(|a| a.weight).sum::<u32>().max(1);
            arms.iter()
                .map(|a| (a.next.clone(), format!("{}%", a.weight * 100 / total)))
                .collect()
        }
        other => other
            .targets()
            .into_iter()
            .map(|t| (t.to_owned(), String::new()))
            .collect(),
    }
}

/// Each reachable step's row: the longest way to it from the start, loops left out, so every
/// forward arrow points down.
fn rows_of(definition: &Definition) -> HashMap<&str, usize> {
    // Depth first from the start: an arrow to a step still on the path is a loop.
    let mut loops: Vec<(&str, &str)> = Vec::new();
    let mut seen: HashMap<&str, bool> = HashMap::new(); // id → still on the path
    let mut stack: Vec<(&str, usize)> = vec![(definition.start.as_str(), 0)];
    seen.insert(definition.start.as_str(), true);
    while let Some((id, i)) = stack.pop() {
        let targets = definition
            .step(id)
            .map(|s| s.kind.targets())
            .unwrap_or_default();
        match targets.get(i) {
            None => {
                seen.insert(id, false);
            }
            Some(&next) => {
                stack.push((id, i + 1));
                match seen.get(next) {
                    Some(true) => loops.push((id, next)),
                    Some(false) => {}
                    None if definition.step(next).is_some() => {
                        seen.insert(next, true);
                        stack.push((next, 0));
                    }
                    None => {}
                }
            }
        }
    }
    let mut rows: HashMap<&str, usize> = HashMap::from([(definition.start.as_str(), 0)]);
    for _ in 0..definition.steps.len() {
        let mut moved = false;
        for step in &definition.steps {
            let Some(&row) = rows.get(step.id.as_str()) else {
                continue;
            };
            for next in step.kind.targets() {
                if loops.contains(&(step.id.as_str(), next)) || definition.step(next).is_none() {
                    continue;
                }
                if rows.get(next).is_none_or(|r| *r < row + 1) {
                    rows.insert(next, row + 1);
                    moved = true;
                }
            }
        }
        if !moved {
            break;
        }
    }
    rows
}

/// Lays the definition out; `counts` maps a step id to (entered, now).
pub(super) fn layout(
    definition: &Definition,
    counts: &HashMap<String, (i64, i64)>,
    tr: Tr,
) -> Graph {
    let row_of = rows_of(definition);
    let mut rows: Vec<Vec<&str>> = Vec::new();
    for step in &definition.steps {
        if let Some(&row) = row_of.get(step.id.as_str()) {
            if rows.len() <= row {
                rows.resize_with(row + 1, Vec::new);
            }
            rows[row].push(step.id.as_str());
        }
    }
    let widest = rows.iter().map(Vec::len).max().unwrap_or(1) as i64;
    let width = LEFT + MARGIN + widest * BOX_W + (widest - 1).max(0) * GAP_X + 60;
    let mut place: HashMap<&str, (i64, i64)> = HashMap::new();
    let mut nodes = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let row_w = row.len() as i64 * BOX_W + (row.len() as i64 - 1) * GAP_X;
        let left = LEFT + (widest * BOX_W + (widest - 1) * GAP_X - row_w) / 2;
        for (i, id) in row.iter().enumerate() {
            let (x, y) = (
                left + i as i64 * (BOX_W + GAP_X),
                MARGIN + r as i64 * (BOX_H + GAP_Y),
            );
            place.insert(id, (x, y));
            let step = definition.step(id).expect("placed steps exist");
            let (entered, now) = counts.get(*id).copied().unwrap_or_default();
            nodes.push(Node {
                id: (*id).to_owned(),
                kind: step.kind.key(),
                summary: summary(&step.kind, tr),
                x,
                y,
                entered,
                now,
            });
        }
    }
    let mut edges = Vec::new();
    let mut skips = 0;
    for node in &nodes {
        let step = definition.step(&node.id).expect("placed steps exist");
        for (target, label) in exits(&step.kind, tr) {
            let Some(&(tx, ty)) = place.get(target.as_str()) else {
                continue;
            };
            let (sx, sy) = (node.x + BOX_W / 2, node.y + BOX_H);
            let edge = if ty == node.y + BOX_H + GAP_Y || (ty > node.y && tx != node.x) {
                // To the next row, or to a box not straight below: a gentle curve from the
                // bottom to the top of the target.
                let (ex, ey) = (tx + BOX_W / 2, ty);
                let mid = (sy + ey) / 2;
                Edge {
                    path: format!("M{sx},{sy} C{sx},{mid} {ex},{mid} {ex},{ey}"),
                    label: label.clone(),
                    label_x: (sx + ex) / 2 + 4,
                    label_y: mid - 2,
                    anchor: "start",
                }
            } else if ty > node.y {
                // Straight down past other boxes: around the left-hand side, each such arrow a
                // little further out so they do not run together.
                let (fx, fy) = (node.x, node.y + BOX_H / 2);
                let ey = ty + BOX_H / 2;
                let out = node.x.min(tx) - 24 - 12 * (skips % 4);
                skips += 1;
                Edge {
                    path: format!("M{fx},{fy} C{out},{fy} {out},{ey} {tx},{ey}"),
                    label: label.clone(),
                    label_x: out - 4,
                    label_y: (fy + ey) / 2,
                    anchor: "end",
                }
            } else {
                // Back to an earlier row (a loop): around the right-hand side.
                let (fx, fy) = (node.x + BOX_W, node.y + BOX_H / 2);
                let (ex, ey) = (tx + BOX_W, ty + BOX_H / 2);
                let out = fx.max(ex) + 50;
                Edge {
                    path: format!("M{fx},{fy} C{out},{fy} {out},{ey} {ex},{ey}"),
                    label: label.clone(),
                    label_x: out - 20,
                    label_y: (fy + ey) / 2,
                    anchor: "start",
                }
            };
            edges.push(edge);
        }
    }
    Graph {
        width,
        height: 2 * MARGIN + rows.len() as i64 * (BOX_H + GAP_Y) - GAP_Y,
        box_w: BOX_W,
        box_h: BOX_H,
        nodes,
        edges,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::i18n::Lang;
    use serde_json::json;

    #[test]
    fn steps_are_placed_in_rows_by_distance_and_edges_carry_their_labels() {
        let definition = Definition::parse(&json!({
            "trigger": {"event": {"name": "Checkout Started"}},
            "start": "wait",
            "steps": [
                {"id": "wait", "type": "wait_for", "event": "Order Completed", "timeout_hours": 1, "then": "done", "timeout": "mail"},
                {"id": "mail", "type": "send", "channel": "email", "template": "cart", "next": "done"},
                {"id": "done", "type": "exit"}
            ]
        }))
        .expect("valid");
        let counts = HashMap::from([("mail".to_owned(), (40, 3))]);
        let graph = layout(&definition, &counts, Tr::new(Lang::En));
        let y = |id: &str| graph.nodes.iter().find(|n| n.id == id).expect(id).y;
        assert!(
            y("wait") < y("mail") && y("mail") < y("done"),
            "the longest way down"
        );
        let mail = graph.nodes.iter().find(|n| n.id == "mail").expect("mail");
        assert_eq!((mail.entered, mail.now), (40, 3));
        assert_eq!(mail.summary, "E-mail · cart");
        let labels: Vec<&str> = graph.edges.iter().map(|e| e.label.as_str()).collect();
        assert_eq!(labels, ["when it comes", "timed out", ""]);
        assert!(
            graph.width > BOX_W && graph.height > 3 * BOX_H,
            "three rows of one"
        );
    }
}
