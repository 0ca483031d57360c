use super::*;
use crate::clv::ClvOptions;
use crate::features::{DAY_MS, Fact, Features, OrderSummary};
use crate::people::People;
use crate::scores::Engine;
use serde_json::json;

const TODAY: i64 = 1_000;

/// No purchase rules in these tests: nothing kept.
static NO_ACTIVITY: std::sync::LazyLock<Activity> = std::sync::LazyLock::new(Activity::default);

fn summary(days: &[i64], each: i64) -> Option<OrderSummary> {
    let facts: Vec<Fact> = days
        .iter()
        .map(|d| Fact {
            customer: 0,
            at: d * DAY_MS,
            value: each,
        })
        .collect();
    OrderSummary::of(&facts, |at| at.div_euclid(DAY_MS))
}

/// Customer 1: three orders, the last 70 days ago, ¥600 in all, tagged vip, has WeChat.
/// Customer 2: one order 10 days ago, ¥50. Customer 3: no orders, has an e-mail.
fn shop() -> (Engine, People) {
    let mut features = Features::default();
    features.set(1, summary(&[800, 900, 930], 20_000));
    features.set(2, summary(&[990], 5_000));
    let mut people = People::default();
    let mut wechat = IdentityKinds::default();
    wechat.add("wechat_openid");
    people.set(1, Some((wechat, vec!["vip".to_owned()])));
    people.set(2, Some((IdentityKinds::default(), vec![])));
    let mut email = IdentityKinds::default();
    email.add("email");
    people.set(3, Some((email, vec![])));
    let engine = Engine::build(features, TODAY, TODAY * DAY_MS, ClvOptions::default());
    (engine, people)
}

fn def(id: i64, key: &str, text: &str) -> Definition {
    Definition {
        id,
        key: key.to_owned(),
        rule: Rule::from_text(text).unwrap_or_else(|e| panic!("{text}: {e}")),
        auto_tag: None,
    }
}

#[test]
fn the_text_and_json_forms_convert_both_ways() {
    let text = "orders >= 2 and days_since_last_order > 60 and (rfm_class in (important_value, important_keep) or tag \"老客 \\\"VIP\\\"\") and not identity wechat and not (segment \"big\" or spent < 99.5)";
    let rule = Rule::from_text(text).expect("parses");
    assert_eq!(rule.to_string(), text, "prints back the same text");
    let from_json = Rule::from_json(&rule.to_json()).expect("its JSON parses");
    assert_eq!(from_json, rule);
    assert_eq!(
        rule.to_json()["all"][2]["any"][1],
        json!({"tag": "老客 \"VIP\""})
    );
    assert_eq!(
        Rule::from_text("NOT tag \"a\" OR tag \"b\" AND tag \"c\"")
            .expect("parses")
            .to_string(),
        "not tag \"a\" or tag \"b\" and tag \"c\"",
        "not binds tighter than and, and tighter than or"
    );
}

#[test]
fn json_errors_name_the_rule_part() {
    let error = |value: serde_json::Value| Rule::from_json(&value).expect_err("refused");
    let e = error(json!({"all": [{"tag": "vip"}, {"field": "ordres", "op": ">", "value": 1}]}));
    assert_eq!(e.at, "rule.all[1].field");
    assert!(e.reason.contains("unknown field \"ordres\""), "{e}");
    let e = error(json!({"field": "orders", "op": ">", "value": "two"}));
    assert_eq!(
        (e.at.as_str(), e.reason.as_str()),
        ("rule.value", "orders takes a number")
    );
    let e = error(json!({"field": "days_since_last_order", "op": ">", "value": -3}));
    assert_eq!(e.at, "rule.value", "an impossible window: {e}");
    let e = error(json!({"field": "r_score", "op": "in", "value": ["1"]}));
    assert_eq!(e.at, "rule.op");
    let e = error(json!({"field": "lifecycle", "op": "=", "value": "sleeping"}));
    assert!(e.reason.contains("known: new"), "{e}");
    let e = error(json!({"any": []}));
    assert_eq!(e.at, "rule.any");
    let e = error(json!({"not": {"identity": "fax"}}));
    assert_eq!(e.at, "rule.not.identity");
    let e = error(json!({"tag": "vip", "field": "orders"}));
    assert!(e.at.starts_with("rule."), "{e}");
}

#[test]
fn text_errors_name_the_column() {
    let error = |text: &str| Rule::from_text(text).expect_err("refused");
    let e = error("orders >= 2 and ordres > 1");
    assert_eq!(e.at, "column 17");
    let e = error("orders >= ");
    assert_eq!(e.at, "column 11");
    assert!(e.reason.contains("found the end"), "{e}");
    let e = error("orders >= 2 and (tag \"a\"");
    assert!(e.reason.contains("expected `)`"), "{e}");
    let e = error("r_score = 9");
    assert_eq!(e.at, "column 11", "points at the value: {e}");
    let e = error("tag vip");
    assert!(e.reason.contains("in quotes"), "{e}");
    let e = error("orders >= 2 orders");
    assert!(e.reason.contains("unexpected `orders`"), "{e}");
}

#[test]
fn cycles_and_unknown_segments_are_refused_naming_them() {
    let defs = [
        def(1, "a", "segment \"b\""),
        def(2, "b", "tag \"x\" and segment \"c\""),
        def(3, "c", "segment \"a\""),
    ];
    let e = evaluation_order(&defs).expect_err("a cycle");
    assert!(
        e.error.reason.contains("\"a\" → \"b\" → \"c\" → \"a\""),
        "{e}"
    );
    let e = evaluation_order(&[def(1, "a", "segment \"nope\"")]).expect_err("unknown");
    assert_eq!(e.error.at, "segment \"nope\"");
    // A tag one segment puts on its members, read by another's rule, closes a cycle too.
    let mut tagging = def(1, "a", "not tag \"x\"");
    tagging.auto_tag = Some("y".to_owned());
    let mut reading = def(2, "b", "tag \"y\"");
    reading.auto_tag = Some("x".to_owned());
    let e = evaluation_order(&[tagging, reading]).expect_err("a cycle through tags");
    assert!(e.error.reason.contains("automatic tag"), "{e}");
    let order = evaluation_order(&[def(1, "a", "segment \"b\""), def(2, "b", "tag \"x\"")])
        .expect("no cycle");
    assert_eq!(order, vec![1, 0], "b before the segment that refers to it");
}

#[test]
fn members_follow_rules_tags_identities_and_other_segments() {
    let (engine, mut people) = shop();
    let mut segments = Segments::default();
    let defs = [
        def(
            10,
            "lapsing-vip",
            "orders >= 2 and days_since_last_order > 60 and tag \"vip\" and spent >= 600",
        ),
        def(11, "wechat", "identity wechat"),
        def(
            12,
            "others",
            "not segment \"lapsing-vip\" and not identity email",
        ),
    ];
    segments.define(&defs, &mut people, 100.0).expect("defines");
    let pass = Pass::new(&engine, &people, &NO_ACTIVITY, TODAY, TODAY * DAY_MS);
    let mut changes = segments.evaluate_all(&pass);
    changes.sort_by_key(|t| (t.segment, t.customer));
    let entered: Vec<(i64, i64)> = changes.iter().map(|t| (t.segment, t.customer)).collect();
    assert_eq!(entered, vec![(10, 1), (11, 1), (12, 2)]);
    assert!(changes.iter().all(|t| t.entered));
    assert!(
        segments.evaluate_all(&pass).is_empty(),
        "nothing changes twice"
    );
    assert_eq!(
        segments.of_customer(1),
        vec![(10, "lapsing-vip"), (11, "wechat")]
    );

    // Customer 1 loses the tag: leaves the first segment and, through it, enters the third.
    people.set(1, Some((people.kinds(1), vec![])));
    let pass = Pass::new(&engine, &people, &NO_ACTIVITY, TODAY, TODAY * DAY_MS);
    let mut out = Vec::new();
    segments.evaluate(&pass, 1, &mut out);
    let moved: Vec<(i64, bool)> = out.iter().map(|t| (t.segment, t.entered)).collect();
    assert_eq!(moved, vec![(10, false), (12, true)]);

    // Merged away: leaves everything.
    people.set(1, None);
    let pass = Pass::new(&engine, &people, &NO_ACTIVITY, TODAY, TODAY * DAY_MS);
    let left = segments.evaluate_all(&pass);
    assert_eq!(left.len(), 2);
    assert!(left.iter().all(|t| !t.entered && t.customer == 1));
}

#[test]
fn calendar_conditions_are_due_on_the_exact_day_they_flip() {
    let (engine, mut people) = shop();
    let mut segments = Segments::default();
    segments
        .define(
            &[def(1, "quiet", "days_since_last_order > 30")],
            &mut people,
            100.0,
        )
        .expect("defines");
    let pass = Pass::new(&engine, &people, &NO_ACTIVITY, TODAY, TODAY * DAY_MS);
    let first = segments.evaluate_all(&pass);
    assert_eq!(first.len(), 1, "customer 1 has been quiet 70 days");
    // Customer 2 last ordered on day 990: 31 days since on day 1021.
    assert_eq!(segments.next_turn_day(), Some(1_021));
    assert!(segments.take_due(1_020).is_empty());
    let due = segments.take_due(1_021);
    assert_eq!(due, vec![2]);
    let pass = Pass::new(&engine, &people, &NO_ACTIVITY, 1_021, 1_021 * DAY_MS);
    let mut out = Vec::new();
    segments.evaluate(&pass, 2, &mut out);
    assert_eq!(
        out,
        vec![Transition {
            segment: 1,
            customer: 2,
            entered: true
        }]
    );
}

#[test]
fn previews_count_without_changing_members() {
    let (engine, people) = shop();
    let segments = Segments::default();
    let rule = segments
        .compile(
            &Rule::from_text("orders = 0 or clv >= 0 or tag \"nobody\"").expect("parses"),
            &people,
            100.0,
        )
        .expect("compiles");
    let pass = Pass::new(&engine, &people, &NO_ACTIVITY, TODAY, TODAY * DAY_MS);
    let (count, sample) = preview(&rule, &pass, &segments, 2);
    assert_eq!((count, sample), (3, vec![1, 2]));
    // A rule only buyers can match scans the order rows alone, with the same answer.
    let buyers = segments
        .compile(
            &Rule::from_text("spent >= 1 and not tag \"x\"").expect("parses"),
            &people,
            100.0,
        )
        .expect("compiles");
    assert!(buyers.needs_orders());
    assert!(!rule.needs_orders());
    assert_eq!(preview(&buyers, &pass, &segments, 1), (2, vec![1]));
}

#[test]
fn purchase_conditions_convert_both_ways_and_check_their_windows() {
    let text = "bought category \"silk\" >= 2 within 90 days and not bought product \"S-1\" and spent >= 500 between 2026-01-01 and 2026-03-31 and orders < 3 within 30 days";
    let rule = Rule::from_text(text).expect("parses");
    assert_eq!(rule.to_string(), text);
    assert_eq!(
        Rule::from_json(&rule.to_json()).expect("its JSON parses"),
        rule
    );
    assert_eq!(
        rule.to_json()["all"][0],
        json!({"bought": {"category": "silk"}, "op": ">=", "value": 2.0, "within_days": 90})
    );
    assert_eq!(
        rule.to_json()["all"][2]["between"],
        json!(["2026-01-01", "2026-03-31"])
    );
    let e = Rule::from_text("spent >= 5 between 2026-03-31 and 2026-01-01").expect_err("backwards");
    assert!(e.reason.contains("earlier date first"), "{e}");
    let e = Rule::from_text("orders > 1 within 0 days").expect_err("empty window");
    assert!(e.reason.contains("1 to 36500"), "{e}");
    let e = Rule::from_text("clv > 1 within 30 days").expect_err("not windowed");
    assert!(e.reason.contains("only orders and spent"), "{e}");
    let e = Rule::from_json(&json!({"bought": {"brand": "x"}})).expect_err("kind");
    assert_eq!(e.at, "rule.bought.brand");
    let e = Rule::from_json(
        &json!({"field": "orders", "op": ">", "value": 1, "between": ["2026-02-30", "2026-03-01"]}),
    )
    .expect_err("date");
    assert_eq!(e.at, "rule.between[0]");
}

#[test]
fn purchase_windows_count_and_close_on_their_day() {
    let (engine, mut people) = shop();
    let mut activity = Activity::default();
    // Customer 1 bought silk on days 930 and 990 (orders of ¥200 and ¥300).
    activity.set_all_orders(
        [(1, vec![(930, 20_000), (990, 30_000)])]
            .into_iter()
            .collect(),
    );
    activity.set_all_of_item(
        Item::Category("silk".to_owned()),
        [(1, vec![930, 990])].into_iter().collect(),
    );
    let mut segments = Segments::default();
    let defs = [
        def(
            1,
            "silk-twice",
            "bought category \"silk\" >= 2 within 90 days",
        ),
        def(2, "spent-recently", "spent >= 500 within 90 days"),
    ];
    segments.define(&defs, &mut people, 100.0).expect("defines");
    let mut needs = Needs::default();
    defs.iter().for_each(|d| d.rule.add_needs(&mut needs));
    assert_eq!(
        needs,
        Needs {
            orders: true,
            items: vec![Item::Category("silk".to_owned())],
            events: vec![],
            traits: vec![]
        }
    );
    let pass = Pass::new(&engine, &people, &activity, TODAY, TODAY * DAY_MS);
    let entered = segments.evaluate_all(&pass);
    assert_eq!(entered.len(), 2, "{entered:?}");
    // Day 930's order leaves the 90-day window on day 1020.
    assert_eq!(segments.next_turn_day(), Some(1_020));
    let due = segments.take_due(1_020);
    assert_eq!(due, vec![1]);
    let pass = Pass::new(&engine, &people, &activity, 1_020, 1_020 * DAY_MS);
    let mut out = Vec::new();
    segments.evaluate(&pass, 1, &mut out);
    assert_eq!(
        out.len(),
        2,
        "both windows closed on the same order: {out:?}"
    );
    assert!(out.iter().all(|t| !t.entered));
}

#[test]
fn value_percentiles_rank_customers_by_predicted_value() {
    let (engine, mut people) = shop();
    let top = |text: &str| def(1, "top", text);
    let mut segments = Segments::default();
    segments
        .define(&[top("clv_percentile >= 75")], &mut people, 100.0)
        .expect("defines");
    let pass = Pass::new(&engine, &people, &NO_ACTIVITY, TODAY, TODAY * DAY_MS);
    let entered = segments.evaluate_all(&pass);
    // Two buyers: the one with the higher predicted value ranks at 100, the other at 50.
    let best = [1, 2]
        .into_iter()
        .max_by(|a, b| {
            let clv = |c: i64| {
                engine
                    .prediction(engine.features.get(c).expect("buyer"), TODAY)
                    .clv
            };
            clv(*a).total_cmp(&clv(*b))
        })
        .expect("two");
    assert_eq!(
        entered,
        vec![Transition {
            segment: 1,
            customer: best,
            entered: true
        }]
    );
    assert_eq!(engine.value_percentile(f64::MAX), Some(100.0));
    assert_eq!(engine.value_percentile(-1.0), Some(0.0));
}

#[test]
fn event_conditions_convert_both_ways_count_and_close_their_windows() {
    let text = "did \"Product Added\" where category = \"silk\", size = \"M\" >= 2 within 7 days and not did \"Checkout Started\" within 3 days";
    let rule = Rule::from_text(text).expect("parses");
    assert_eq!(rule.to_string(), text);
    assert_eq!(
        Rule::from_json(&rule.to_json()).expect("its JSON parses"),
        rule
    );
    assert_eq!(
        rule.to_json()["all"][0],
        json!({"did": "Product Added", "where": {"category": "silk", "size": "M"}, "op": ">=", "value": 2.0, "within_days": 7})
    );
    let e = Rule::from_json(&json!({"did": "X", "where": {"a": [1]}})).expect_err("a list");
    assert_eq!(e.at, "rule.where.a");
    let e = Rule::from_text("did \"X\" where a = \"1\", a = \"2\"").expect_err("twice");
    assert!(e.reason.contains("twice"), "{e}");
    let e = Rule::from_text("did X").expect_err("unquoted");
    assert!(e.reason.contains("in quotes"), "{e}");

    let (engine, mut people) = shop();
    let key =
        match Rule::from_text("did \"Product Added\" where category = \"silk\"").expect("parses") {
            Rule::Event(e) => e.key,
            other => panic!("{other:?}"),
        };
    let mut activity = Activity::default();
    // Customer 3 (no orders) added silk on days 995 and 998.
    activity.set_all_of_event(key, [(3, vec![995, 998])].into_iter().collect());
    let mut segments = Segments::default();
    let defs = [def(
        1,
        "silk-carts",
        "did \"Product Added\" where category = \"silk\" >= 2 within 7 days",
    )];
    segments.define(&defs, &mut people, 100.0).expect("defines");
    let pass = Pass::new(&engine, &people, &activity, TODAY, TODAY * DAY_MS);
    assert_eq!(segments.evaluate_all(&pass).len(), 1, "customer 3 entered");
    // Day 995 leaves the 7-day window on day 1002.
    assert_eq!(segments.next_turn_day(), Some(1_002));
    let pass = Pass::new(&engine, &people, &activity, 1_002, 1_002 * DAY_MS);
    let mut out = Vec::new();
    for c in segments.take_due(1_002) {
        segments.evaluate(&pass, c, &mut out);
    }
    assert_eq!(
        out,
        vec![Transition {
            segment: 1,
            customer: 3,
            entered: false
        }]
    );
}

#[test]
fn trait_conditions_convert_both_ways_and_refuse_personal_data() {
    let text =
        "trait \"city\" = \"上海\" and trait \"vip_level\" >= 3 and trait \"newsletter\" = true";
    let rule = Rule::from_text(text).expect("parses");
    assert_eq!(rule.to_string(), text);
    assert_eq!(
        Rule::from_json(&rule.to_json()).expect("its JSON parses"),
        rule
    );
    let e = Rule::from_text("trait \"email\" = \"a@b.cn\"").expect_err("personal");
    assert!(e.reason.contains("personal data"), "{e}");
    let e = Rule::from_json(&json!({"trait": "city", "op": ">", "value": "A"}))
        .expect_err("ordered text");
    assert!(e.reason.contains("only numbers"), "{e}");

    let (engine, mut people) = shop();
    let mut activity = Activity::default();
    activity.set_all_of_trait(
        "vip_level".to_owned(),
        [
            (1, TraitValue::Number(4.0)),
            (2, TraitValue::Text("gold".to_owned())),
        ]
        .into_iter()
        .collect(),
    );
    let mut segments = Segments::default();
    segments
        .define(
            &[def(1, "vips", "trait \"vip_level\" >= 3")],
            &mut people,
            100.0,
        )
        .expect("defines");
    let pass = Pass::new(&engine, &people, &activity, TODAY, TODAY * DAY_MS);
    let entered: Vec<i64> = segments
        .evaluate_all(&pass)
        .iter()
        .map(|t| t.customer)
        .collect();
    assert_eq!(
        entered,
        vec![1],
        "text never compares as a number; unset matches nothing"
    );
}
