//! Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"): a customer's purchases vary around
//! their own mean value ν, which varies across customers as Gamma(q, γ); each purchase is
//! Gamma(p, ν). Fitted on customers with repeat purchases, from their mean repeat value.

use super::bg_nbd::Fit;
use super::optimize::{FitError, minimize_positive};
use super::summary::RepeatSummary;
use libm::lgamma;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GammaGamma {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
}

/// Fewer repeat buyers than this and the spend model is not fitted.
const MIN_REPEAT_BUYERS: usize = 2;

/// Repeat buyers as the fit reads them: the repeat counts that occur, and per buyer the index
/// of theirs with ln zbar, so a likelihood evaluation takes one logarithm per buyer.
struct Prepared {
    xs: Vec<u32>,
    /// (index into `xs`, zbar, ln zbar)
    buyers: Vec<(usize, f64, f64)>,
}

impl Prepared {
    fn new(buyers: &[(u32, f64)]) -> Self {
        let mut xs: Vec<u32> = buyers.iter().map(|(x, _)| *x).collect();
        xs.sort_unstable();
        xs.dedup();
        let buyers = buyers
            .iter()
            .map(|(x, z)| (xs.binary_search(x).unwrap_or_default(), *z, z.ln()))
            .collect();
        Self { xs, buyers }
    }

    fn log_likelihood(&self, m: &GammaGamma) -> f64 {
        let GammaGamma { p, q, gamma } = *m;
        let per_x: Vec<f64> = self
            .xs
            .iter()
            .map(|x| {
                let x = f64::from(*x);
                lgamma(p * x + q) - lgamma(p * x) - lgamma(q) + q * gamma.ln() + p * x * x.ln()
            })
            .collect();
        self.buyers
            .iter()
            .map(|(at, zbar, ln_zbar)| {
                let x = f64::from(self.xs[*at]);
                per_x[*at] + (p * x - 1.0) * ln_zbar - (p * x + q) * (gamma + x * zbar).ln()
            })
            .sum()
    }
}

impl GammaGamma {
    /// Maximum-likelihood parameters from the customers with repeat purchases of some value.
    pub fn fit(data: &[RepeatSummary]) -> Result<Fit<GammaGamma>, FitError> {
        let buyers: Vec<(u32, f64)> = data
            .iter()
            .filter(|s| s.x > 0 && s.zbar > 0.0)
            .map(|s| (s.x, s.zbar))
            .collect();
        if buyers.len() < MIN_REPEAT_BUYERS {
            return Err(FitError::TooLittleData {
                model: "Gamma-Gamma",
                reason: format!("{} customers with repeat purchases", buyers.len()),
            });
        }
        // Fitted on values in units of their mean, which keeps γ near 1 whatever the currency
        // (fen or yuan): γ scales with the unit, p and q do not, and the log-likelihood of the
        // values themselves is that of the scaled ones less n·ln(unit).
        let unit = buyers.iter().map(|(_, z)| z).sum::<f64>() / buyers.len() as f64;
        let scaled: Vec<(u32, f64)> = buyers.iter().map(|(x, z)| (*x, z / unit)).collect();
        let prepared = Prepared::new(&scaled);
        let negative = |v: &[f64]| {
            -prepared.log_likelihood(&GammaGamma {
                p: v[0],
                q: v[1],
                gamma: v[2],
            })
        };
        let min = minimize_positive("Gamma-Gamma", negative, &[1.0, 1.0, 1.0])?;
        Ok(Fit {
            params: GammaGamma {
                p: min.params[0],
                q: min.params[1],
                gamma: min.params[2] * unit,
            },
            log_likelihood: -min.value - buyers.len() as f64 * unit.ln(),
            customers: buyers.len(),
            iterations: min.iterations,
        })
    }

    /// The expected value of this customer's future purchases: their own mean, shrunk towards
    /// the shop's by how little history it rests on. Without repeats, the shop's mean.
    pub fn expected_spend(&self, s: &RepeatSummary) -> f64 {
        let Self { p, q, gamma } = *self;
        let x = f64::from(s.x);
        (p * (gamma + x * s.zbar)) / (p * x + q - 1.0)
    }
}
