//! File imports from the fixtures a shop would really upload: what a user checks afterwards.

use guanxi_channels::import::{
    self, FileError, ImportFormat, ImportOptions, ImportRecord, RowError,
};
use guanxi_domain::{Currency, OrderInput, OrderStatus, ProfileInput, SourceId};
use proptest::prelude::*;
use std::path::Path;

fn options() -> ImportOptions {
    ImportOptions {
        source: SourceId(7),
        source_name: "shop".into(),
        region: Default::default(),
        default_currency: Currency::CNY,
        time_zone: guanxi_domain::ShopTimeZone::CHINA,
    }
}

struct Outcome {
    records: Vec<(u64, ImportRecord)>,
    errors: Vec<RowError>,
    bytes_read: u64,
}

fn parse_bytes(format: ImportFormat, bytes: Vec<u8>) -> Result<Outcome, FileError> {
    let mut records = import::open(format, Box::new(std::io::Cursor::new(bytes)), options())?;
    let (mut ok, mut errors) = (Vec::new(), Vec::new());
    for item in records.by_ref() {
        match item {
            Ok(record) => ok.push(record),
            Err(e) => errors.push(e),
        }
    }
    assert!(records.take_io_error().is_none());
    Ok(Outcome {
        records: ok,
        errors,
        bytes_read: records.bytes_read(),
    })
}

fn parse(format: ImportFormat, fixture: &str) -> Outcome {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(fixture);
    let bytes = std::fs::read(&path).expect("fixture exists");
    let len = bytes.len() as u64;
    let outcome = parse_bytes(format, bytes).expect("file opens");
    assert_eq!(outcome.bytes_read, len, "the whole file was read");
    outcome
}

fn orders(outcome: &Outcome) -> Vec<&OrderInput> {
    outcome
        .records
        .iter()
        .map(|(_, r)| match r {
            ImportRecord::Order(o) => o,
            ImportRecord::Profile(_) => panic!("expected orders"),
        })
        .collect()
}

fn order<'a>(outcome: &'a Outcome, id: &str) -> &'a OrderInput {
    orders(outcome)
        .into_iter()
        .find(|o| o.external_id == id)
        .expect("order imported")
}

fn identity_names(order: &OrderInput) -> Vec<String> {
    order
        .customer
        .identities
        .iter()
        .map(|k| format!("{}={}", k.kind().name(), k.value()))
        .collect()
}

fn rejected(outcome: &Outcome) -> Vec<u64> {
    outcome.errors.iter().map(|e| e.line).collect()
}

fn check_taobao(outcome: &Outcome) {
    assert_eq!(orders(outcome).len(), 6);
    assert_eq!(rejected(outcome), vec![5]);
    assert_eq!(
        outcome.errors[0].to_string(),
        r#"line 5: 买家实际支付金额: "abc" is not a decimal amount"#
    );
    let lines: Vec<u64> = outcome.records.iter().map(|(line, _)| *line).collect();
    assert_eq!(
        lines,
        vec![2, 3, 4, 6, 8, 9],
        "a two-line buyer message keeps later lines right"
    );

    let done = order(outcome, "3001234567890");
    assert_eq!(
        (done.status, done.total.minor()),
        (OrderStatus::Completed, 8800)
    );
    assert_eq!(
        identity_names(done),
        vec![
            "taobao_buyer=小明爱购物",
            "phone=+8613812345678",
            "email=xiaoming@163.com"
        ]
    );
    assert_eq!(done.customer.traits["name"], "王小明");
    assert_eq!(
        done.created_at, 1_790_820_000_000,
        "2026-10-01 10:00 in China is 02:00 UTC"
    );
    assert_eq!(
        (done.items[0].sku.as_str(), done.items[0].price.minor()),
        ("SC-01", 8800)
    );

    let closed = order(outcome, "3001234567891");
    assert_eq!(
        (closed.status, closed.total.minor()),
        (OrderStatus::Closed, 12000)
    );
    assert_eq!(
        identity_names(closed),
        vec!["external:shop=order:3001234567891"]
    );
    assert!(
        closed.customer.traits.is_empty(),
        "masked name and address are not stored"
    );
    let items: Vec<_> = closed
        .items
        .iter()
        .map(|i| (i.name.as_str(), i.sku.as_str(), i.quantity))
        .collect();
    assert_eq!(items, vec![("丝巾", "SC-02", 2), ("帽子", "HAT-01", 1)]);

    let refunded = order(outcome, "3001234567892");
    assert_eq!(refunded.status, OrderStatus::Refunded);
    assert_eq!(refunded.refunds[0].external_id, "taobao-refund");
    assert_eq!(refunded.refunds[0].amount.minor(), 19900);

    assert_eq!(order(outcome, "3001234567894").status, OrderStatus::Shipped);
    assert_eq!(order(outcome, "3001234567895").status, OrderStatus::Pending);
    let partial = order(outcome, "3001234567896");
    assert_eq!(
        (partial.status, partial.refunds[0].amount.minor()),
        (OrderStatus::PartiallyRefunded, 2000)
    );
}

#[test]
fn taobao_gbk_export() {
    check_taobao(&parse(ImportFormat::Taobao, "taobao_orders_gbk.csv"));
}

#[test]
fn taobao_utf8_bom_export_reads_the_same() {
    let gbk = parse(ImportFormat::Taobao, "taobao_orders_gbk.csv");
    let utf8 = parse(ImportFormat::Taobao, "taobao_orders_utf8_bom.csv");
    check_taobao(&utf8);
    assert_eq!(gbk.records, utf8.records);
}

#[test]
fn jd_rows_group_into_orders_and_a_bad_item_rejects_its_order() {
    let outcome = parse(ImportFormat::Jd, "jd_orders.csv");
    assert_eq!(orders(&outcome).len(), 3);
    assert_eq!(rejected(&outcome), vec![5]);
    assert!(
        outcome.errors[0].reason.contains("订购数量")
            && outcome.errors[0].reason.contains("line 6")
    );
    let first = order(&outcome, "230001");
    assert_eq!(
        (first.status, first.total.minor(), first.items.len()),
        (OrderStatus::Paid, 16600, 2)
    );
    assert_eq!(
        identity_names(first),
        vec!["jd_buyer=jd_buyer_01", "phone=+8613812340001"]
    );
    assert_eq!(first.items[1].category.as_deref(), Some("手帕"));
    assert_eq!(order(&outcome, "230002").status, OrderStatus::Completed);
    assert_eq!(
        identity_names(order(&outcome, "230002")),
        vec!["external:shop=order:230002"]
    );
    assert_eq!(order(&outcome, "230004").status, OrderStatus::Cancelled);
}

#[test]
fn shopify_export_groups_line_items_and_maps_statuses() {
    let outcome = parse(ImportFormat::Shopify, "shopify_orders_export.csv");
    assert_eq!(rejected(&outcome), vec![7]);
    assert!(
        outcome.errors[0]
            .reason
            .starts_with("Created at: \"yesterday\"")
    );
    let statuses: Vec<_> = orders(&outcome)
        .iter()
        .map(|o| (o.external_id.as_str(), o.status))
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("5501", OrderStatus::Shipped),
            ("5502", OrderStatus::Refunded),
            ("5503", OrderStatus::Cancelled),
            ("5504", OrderStatus::PartiallyRefunded),
        ]
    );
    let first = order(&outcome, "5501");
    assert_eq!(
        (
            first.total.minor(),
            first.currency().code(),
            first.items.len()
        ),
        (12000, "USD", 2)
    );
    assert_eq!(
        identity_names(first),
        vec!["email=li.na@example.com", "phone=+15035550101"]
    );
    assert_eq!(order(&outcome, "5502").refunds[0].amount.minor(), 4000);
    assert!(!order(&outcome, "5503").customer.traits.contains_key("name"));
}

#[test]
fn orders_csv_reports_each_bad_order_once() {
    let outcome = parse(ImportFormat::OrdersCsv, "orders.csv");
    assert_eq!(orders(&outcome).len(), 3);
    assert_eq!(rejected(&outcome), vec![5, 6, 7]);
    let reasons: Vec<&str> = outcome.errors.iter().map(|e| e.reason.as_str()).collect();
    assert_eq!(
        reasons[0], "email: has no @",
        "the bad address itself is not echoed"
    );
    assert!(reasons[1].starts_with("status: \"lost\""));
    assert_eq!(
        reasons[2],
        "quantity: must be at least 1 (line 8 of this order)"
    );
    let first = order(&outcome, "o-1");
    assert_eq!((first.total.minor(), first.items.len()), (18800, 2));
    assert!(identity_names(first).contains(&"user_id:shop=u-1".to_owned()));
    assert_eq!(order(&outcome, "o-2").currency(), Currency::CNY);
    assert!(order(&outcome, "o-6").items.is_empty());
}

#[test]
fn customers_csv_makes_profiles() {
    let outcome = parse(ImportFormat::CustomersCsv, "customers.csv");
    let profiles: Vec<&ProfileInput> = outcome
        .records
        .iter()
        .map(|(_, r)| match r {
            ImportRecord::Profile(p) => p,
            ImportRecord::Order(_) => panic!("expected profiles"),
        })
        .collect();
    assert_eq!(profiles.len(), 2);
    assert_eq!(rejected(&outcome), vec![3, 5, 6]);
    assert!(outcome.errors[0].reason.starts_with("no identity"));
    assert_eq!(
        outcome.errors[2].reason,
        "birthday: is not a date (YYYY-MM-DD)"
    );
    let wang = profiles[0];
    assert_eq!(wang.tags, vec!["vip", "silk lover"]);
    assert_eq!(wang.traits["birthday"], "1990-05-01");
    assert_eq!(wang.identities.len(), 4);
    assert_eq!(
        profiles[1].identities.len(),
        1,
        "the masked phone is dropped, the unionid kept"
    );
}

#[test]
fn whole_file_problems() {
    let err = |format, bytes: &[u8]| {
        parse_bytes(format, bytes.to_vec())
            .err()
            .map(|e| e.to_string())
    };
    assert_eq!(
        err(ImportFormat::Taobao, b""),
        Some("the file is empty".into())
    );
    assert!(
        err(ImportFormat::Taobao, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
            .is_some_and(|e| e.contains("NUL"))
    );
    let header = "订单编号,订单状态\n1,交易成功\n";
    assert_eq!(
        err(ImportFormat::Taobao, header.as_bytes()),
        Some("the taobao file lacks required columns: 买家实际支付金额, 订单创建时间".into())
    );
    let outcome = parse_bytes(
        ImportFormat::OrdersCsv,
        b"external_id,status,total,created_at\n".to_vec(),
    );
    assert!(outcome.is_ok_and(|o| o.records.is_empty() && o.errors.is_empty()));
}

#[test]
fn a_read_failure_mid_file_ends_the_import_and_says_so() {
    struct Broken(std::io::Cursor<Vec<u8>>);
    impl std::io::Read for Broken {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match self.0.read(buf)? {
                0 => Err(std::io::Error::other("disk gone")),
                n => Ok(n),
            }
        }
    }
    let mut text = String::from("external_id,status,total,created_at\n");
    for i in 0..2000 {
        text.push_str(&format!("o-{i},paid,1.00,2026-10-01\n"));
    }
    let reader = Broken(std::io::Cursor::new(text.into_bytes()));
    let mut records =
        import::open(ImportFormat::OrdersCsv, Box::new(reader), options()).expect("opens");
    let items: Vec<_> = records.by_ref().collect();
    assert!(
        items
            .last()
            .is_some_and(|i| i.as_ref().is_err_and(|e| e.reason.contains("disk gone")))
    );
    assert!(items.len() > 1000, "rows before the failure were imported");
    assert!(records.take_io_error().is_some());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Whatever blank lines and two-line cells come before it, a bad row is reported on its line.
    #[test]
    fn rejected_rows_keep_their_line(rows in proptest::collection::vec((0u8..3, any::<bool>()), 1..30)) {
        let mut text = String::from("external_id,status,total,created_at,name\n");
        let mut line = 2u64;
        let mut expected = Vec::new();
        for (i, (kind, bad)) in rows.iter().enumerate() {
            match kind {
                0 => { text.push_str("\r\n"); line += 1; continue; }
                1 => text.push_str(&format!("o-{i},paid,{},2026-10-01,\"two\nlines\"\n", if *bad { "x" } else { "1.00" })),
                _ => text.push_str(&format!("o-{i},paid,{},2026-10-01,one\n", if *bad { "x" } else { "1.00" })),
            }
            if *bad { expected.push(line); }
            line += if *kind == 1 { 2 } else { 1 };
        }
        let outcome = parse_bytes(ImportFormat::OrdersCsv, text.into_bytes()).expect("opens");
        prop_assert_eq!(rejected(&outcome), expected);
    }
}
