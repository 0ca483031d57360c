//! The Gaussian hypergeometric function ₂F₁(a, b; c; z) for 0 ≤ z < 1, by its power series, as
//! the BG/NBD conditional expectation needs it (z = t / (α + T + t)).

/// Enough terms for z up to 0.999 at double precision.
const MAX_TERMS: usize = 100_000;

pub(crate) fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    debug_assert!((0.0..1.0).contains(&z), "the series converges for |z| < 1");
    let mut term = 1.0;
    let mut sum = 1.0;
    for n in 0..MAX_TERMS {
        let n = n as f64;
        term *= (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
        sum += term;
        if term.abs() <= sum.abs() * 1e-16 {
            break;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_closed_forms() {
        // ₂F₁(1, 1; 2; z) = −ln(1 − z) / z
        let z = 0.47;
        assert!((hyp2f1(1.0, 1.0, 2.0, z) - (-(1.0f64 - z).ln() / z)).abs() < 1e-13);
        // ₂F₁(a, b; b; z) = (1 − z)^−a
        assert!((hyp2f1(2.5, 3.0, 3.0, 0.9) - 0.1f64.powf(-2.5)).abs() < 1e-9);
    }
}
