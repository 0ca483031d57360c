use guanxi_demo::{CHANNELS, DemoConfig, DemoRecord, customers, generate, generate_range};
use guanxi_domain::SourceId;

pub fn sources() -> [SourceId; 4] {
    [SourceId(11), SourceId(12), SourceId(13), SourceId(14)]
}

pub fn config(customers: usize) -> DemoConfig {
    DemoConfig {
        customers,
        ..DemoConfig::default()
    }
}

fn first_debug(config: &DemoConfig, n: usize) -> Vec<String> {
    generate(config, sources())
        .take(n)
        .map(|r| format!("{r:?}"))
        .collect()
}

#[test]
fn same_seed_same_records() {
    let a = first_debug(&config(500), 1_000);
    assert_eq!(a.len(), 1_000);
    assert_eq!(a, first_debug(&config(500), 1_000));
}

#[test]
fn another_seed_another_shop() {
    let other = DemoConfig {
        seed: 7,
        ..config(500)
    };
    let a = first_debug(&config(500), 1_000);
    let b = first_debug(&other, 1_000);
    assert!(a.iter().zip(&b).filter(|(x, y)| x != y).count() > 900);
}

#[test]
fn ranges_split_the_same_stream() {
    let c = config(300);
    let whole: Vec<DemoRecord> = generate(&c, sources()).collect();
    let mut split: Vec<DemoRecord> = generate_range(&c, sources(), 0..120).collect();
    split.extend(generate_range(&c, sources(), 120..300));
    assert_eq!(whole, split);
}

#[test]
fn a_million_customers_stream_lazily() {
    // Nothing is generated up front: the first records of a million-customer shop come at once,
    // and the last customer can be generated on its own (constant memory per customer).
    let c = config(1_000_000);
    assert_eq!(generate(&c, sources()).take(2_000).count(), 2_000);
    let last: Vec<Vec<DemoRecord>> = customers(&c, sources(), 999_990..1_000_000).collect();
    assert_eq!(last.len(), 10);
    assert!(last.iter().all(|r| r.len() < 2_000));
}

#[test]
fn records_are_in_time_order_per_customer_and_customers_by_arrival() {
    let c = config(2_000);
    let end = c.end.timestamp_millis();
    let start = end - 730 * 86_400_000;
    let mut previous_first = i64::MIN;
    for records in customers(&c, sources(), 0..2_000) {
        let times: Vec<i64> = records.iter().map(DemoRecord::at).collect();
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "time order within a customer"
        );
        assert!(
            times.iter().all(|t| (start..end).contains(t)),
            "within two years before end"
        );
        let first = times.first().copied().unwrap_or(previous_first);
        assert!(
            first >= previous_first,
            "customers come in order of arrival"
        );
        previous_first = first;
    }
    assert_eq!(
        CHANNELS.map(|c| c.kind),
        ["taobao", "shopify", "jd", "segment"]
    );
}
