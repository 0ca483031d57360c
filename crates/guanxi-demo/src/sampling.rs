//! Random draws beyond what `rand` offers: per-customer seeds, gamma-distributed rates,
//! weighted picks, and scrambled numbers that are unique per customer yet look random.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// SplitMix64: a bijective 64-bit mixer, so distinct inputs give distinct outputs.
pub(crate) fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator of one customer: independent of every other customer, so generation can be
/// split into ranges and run in parallel with the same result.
pub(crate) fn customer_rng(seed: u64, index: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(splitmix64(splitmix64(seed).wrapping_add(index)))
}

/// A uniform draw in (0, 1], safe to take the logarithm of.
pub(crate) fn open_unit(rng: &mut impl Rng) -> f64 {
    1.0 - rng.gen_range(0.0..1.0)
}

pub(crate) fn standard_normal(rng: &mut impl Rng) -> f64 {
    let u1 = open_unit(rng);
    let u2: f64 = rng.gen_range(0.0..1.0);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Gamma(shape, scale) by Marsaglia and Tsang; shapes below 1 use the boost `U^(1/shape)`.
pub(crate) fn gamma(rng: &mut impl Rng, shape: f64, scale: f64) -> f64 {
    if shape < 1.0 {
        let boost = open_unit(rng).powf(1.0 / shape);
        return gamma(rng, shape + 1.0, scale) * boost;
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = standard_normal(rng);
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u = open_unit(rng);
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v * scale;
        }
    }
}

/// Waiting time of a Poisson process with this rate (events per unit).
pub(crate) fn exponential(rng: &mut impl Rng, rate: f64) -> f64 {
    -open_unit(rng).ln() / rate
}

/// Poisson count by inversion; fine for the small means used here.
pub(crate) fn poisson(rng: &mut impl Rng, mean: f64) -> usize {
    let limit = (-mean).exp();
    let mut product = open_unit(rng);
    let mut count = 0;
    while product > limit && count < 1000 {
        product *= open_unit(rng);
        count += 1;
    }
    count
}

/// An index drawn with probability proportional to its weight (the last index if all are 0).
pub(crate) fn pick_index(rng: &mut impl Rng, weights: impl Iterator<Item = f64> + Clone) -> usize {
    let total: f64 = weights.clone().sum();
    let mut target = rng.gen_range(0.0..1.0) * total;
    let mut last = 0;
    for (i, w) in weights.enumerate() {
        last = i;
        if target < w {
            return i;
        }
        target -= w;
    }
    last
}

/// An element of a non-empty table of `(value, weight)` rows.
pub(crate) fn pick<'a, T>(rng: &mut impl Rng, table: &'a [(T, f64)]) -> &'a T {
    let i = pick_index(rng, table.iter().map(|(_, w)| *w));
    &table[i].0
}

/// A uniformly chosen element of a non-empty slice.
pub(crate) fn choose<'a, T>(rng: &mut impl Rng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

/// `n` random decimal digits.
pub(crate) fn digits(rng: &mut impl Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect()
}

/// A bijection on `0..space` (an affine map with a multiplier coprime to `space`): distinct
/// customer or order numbers below `space` give distinct, random-looking numbers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scrambler {
    space: u64,
    multiplier: u64,
    offset: u64,
}

impl Scrambler {
    pub(crate) fn new(space: u64, seed: u64, salt: &str) -> Self {
        let salt = salt
            .bytes()
            .fold(splitmix64(seed), |h, b| splitmix64(h ^ u64::from(b)));
        let space = space.max(2);
        let mut multiplier = (splitmix64(salt) % space).max(space / 3) | 1;
        while gcd(multiplier, space) != 1 {
            multiplier += 2;
        }
        Self {
            space,
            multiplier,
            offset: splitmix64(salt ^ 0x5EED) % space,
        }
    }

    pub(crate) fn apply(&self, n: u64) -> u64 {
        let mixed = u128::from(n) * u128::from(self.multiplier) + u128::from(self.offset);
        (mixed % u128::from(self.space)) as u64
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn scrambler_is_a_bijection() {
        for space in [10u64, 1000, 1 << 12, 99_991] {
            let s = Scrambler::new(space, 42, "x");
            let seen: HashSet<u64> = (0..space).map(|n| s.apply(n)).collect();
            assert_eq!(seen.len() as u64, space);
            assert!(seen.iter().all(|v| *v < space));
        }
    }

    #[test]
    fn gamma_has_its_mean() {
        let mut rng = customer_rng(1, 2);
        for (shape, scale) in [(0.5, 4.0), (2.0, 1.5)] {
            let n = 20_000;
            let mean = (0..n).map(|_| gamma(&mut rng, shape, scale)).sum::<f64>() / n as f64;
            assert!((mean - shape * scale).abs() < 0.1 * shape * scale, "{mean}");
        }
    }
}
