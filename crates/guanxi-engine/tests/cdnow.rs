//! The models reproduce the published CDNOW results (Fader, Hardie & Lee 2005): the BG/NBD
//! parameters and log-likelihood, the conditional expectation of the paper's worked example,
//! and the Gamma-Gamma spend parameters, from our own summary of the raw transactions.

use guanxi_engine::clv::{
    BgNbd, ClvModel, ClvOptions, GammaGamma, Purchase, RepeatSummary, histories,
};

const SAMPLE: &str = include_str!("data/cdnow/CDNOW_sample.txt");
const SUMMARY: &str = include_str!("data/cdnow/cdnow_customers_summary_with_transactions.csv");

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn day_number(yyyymmdd: &str) -> i64 {
    let n: i64 = yyyymmdd.parse().expect("a date");
    let (y, m, d) = (n / 10_000, n / 100 % 100, n % 100);
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn purchases() -> Vec<Purchase<u32>> {
    SAMPLE
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            Purchase {
                customer: f[1].parse().expect("sample id"),
                day: day_number(f[2]),
                amount: f[4].parse().expect("dollars"),
            }
        })
        .collect()
}

fn summaries() -> Vec<RepeatSummary> {
    histories(&purchases(), day_number("19970930"), None)
        .into_iter()
        .map(|h| h.summary)
        .collect()
}

fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
    (actual - expected).abs() <= tolerance
}

#[test]
fn our_summary_of_the_transactions_matches_the_published_one() {
    let ours = histories(&purchases(), day_number("19970930"), None);
    assert_eq!(ours.len(), 2_357);
    for (line, h) in SUMMARY.lines().skip(1).zip(&ours) {
        let f: Vec<f64> = line
            .split(',')
            .map(|v| v.parse().expect("number"))
            .collect();
        assert_eq!(f64::from(h.customer), f[0]);
        let s = h.summary;
        assert_eq!(f64::from(s.x), f[1], "x of {}", h.customer);
        assert!(
            close(s.t_x, f[2], 0.006),
            "t_x of {}: {} vs {}",
            h.customer,
            s.t_x,
            f[2]
        );
        assert!(close(s.t, f[3], 0.006), "T of {}", h.customer);
        assert!(
            close(s.zbar, f[4], 0.006),
            "zbar of {}: {} vs {}",
            h.customer,
            s.zbar,
            f[4]
        );
    }
}

#[test]
fn bg_nbd_reproduces_the_published_fit() {
    let fit = BgNbd::fit(&summaries()).expect("converges");
    let p = fit.params;
    assert!(close(p.r, 0.243, 0.0005), "{p:?}");
    assert!(close(p.alpha, 4.414, 0.0005), "{p:?}");
    assert!(close(p.a, 0.793, 0.0005), "{p:?}");
    assert!(close(p.b, 2.426, 0.0005), "{p:?}");
    assert!(
        close(fit.log_likelihood, -9582.4, 0.05),
        "{}",
        fit.log_likelihood
    );

    // The paper's worked example: x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in the
    // next 39 weeks.
    let example = RepeatSummary {
        x: 2,
        t_x: 30.43,
        t: 38.86,
        zbar: 0.0,
    };
    let expected = p.expected_purchases(&example, 39.0);
    assert!(close(expected, 1.226, 0.0005), "{expected}");
}

#[test]
fn gamma_gamma_reproduces_the_published_fit() {
    let fit = GammaGamma::fit(&summaries()).expect("converges");
    let p = fit.params;
    assert_eq!(fit.customers, 946, "the repeat buyers");
    assert!(close(p.p, 6.25, 0.005), "{p:?}");
    assert!(close(p.q, 3.74, 0.005), "{p:?}");
    assert!(close(p.gamma, 15.44, 0.005), "{p:?}");
}

#[test]
fn predictions_behave_as_a_customer_base_does() {
    let data = summaries();
    let model = ClvModel::fit(&data).expect("fits");
    let options = ClvOptions::default();
    let loyal = RepeatSummary {
        x: 10,
        t_x: 38.0,
        t: 38.86,
        zbar: 30.0,
    };
    let gone = RepeatSummary {
        x: 10,
        t_x: 5.0,
        t: 38.86,
        zbar: 30.0,
    };
    let (loyal, gone) = (
        model.predict(&loyal, options),
        model.predict(&gone, options),
    );
    assert!(
        loyal.p_alive > 0.9 && gone.p_alive < 0.1,
        "{loyal:?} {gone:?}"
    );
    assert!(loyal.clv > 10.0 * gone.clv, "{loyal:?} {gone:?}");
    assert!(loyal.expected_purchases_365_days > loyal.expected_purchases_90_days);
    assert!(close(loyal.churn_risk, 1.0 - loyal.p_alive, 1e-12));
    // Summed over the cohort, the expected purchases of the 39-week holdout come within 15% of
    // what the cohort did (1,653 expected, 1,882 made).
    let all = histories(
        &purchases(),
        day_number("19970930"),
        Some(day_number("19980630")),
    );
    let predicted: f64 = all
        .iter()
        .map(|h| model.purchases.params.expected_purchases(&h.summary, 39.0))
        .sum();
    let actual: u32 = all.iter().map(|h| h.holdout_purchases).sum();
    assert!(
        (predicted - f64::from(actual)).abs() / f64::from(actual) < 0.15,
        "predicted {predicted:.0}, actual {actual}"
    );
}
