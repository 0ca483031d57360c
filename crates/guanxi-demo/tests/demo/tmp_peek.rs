#[test]
fn peek() {
    let c = crate::stream::config(10_000);
    for records in guanxi_demo::customers(&c, crate::stream::sources(), 4321..4324) {
        for r in records.iter().take(14) {
            eprintln!("{r:?}\n");
        }
        eprintln!("-----");
    }
    let t = std::time::Instant::now();
    let big = crate::stream::config(200_000);
    let n = guanxi_demo::generate(&big, crate::stream::sources()).count();
    eprintln!("200k customers: {n} records in {:?}", t.elapsed());
}
