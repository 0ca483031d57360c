//! What goes in an order and what it costs: 1–4 lines chosen with the buyer's category
//! affinity, the season and cross-sell pairs, bestsellers more often; then shipping and
//! discounts. Always `total = Σ price × quantity + shipping − discount`, in fen.

use crate::calendar::{Calendar, date_of, is_promotion};
use crate::catalogue::{CATEGORIES, Catalogue, category_index};
use crate::channels::{SHOPIFY, WEB};
use crate::person::{Origin, Person};
use crate::sampling::{choose, pick, pick_index};
use guanxi_domain::Millis;
use rand::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Line {
    /// Index into the catalogue.
    pub product: usize,
    pub quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Basket {
    pub lines: Vec<Line>,
    pub subtotal: i64,
    pub shipping: i64,
    pub discount: i64,
    pub total: i64,
}

/// Yuan in fen.
pub(crate) const fn fen(yuan: i64) -> i64 {
    yuan * 100
}

const LINE_COUNTS: &[(usize, f64)] = &[(1, 0.58), (2, 0.27), (3, 0.10), (4, 0.05)];

/// A product of a category, bestsellers (listed first) more often: Zipf-like ranks.
fn product_of(rng: &mut impl Rng, catalogue: &Catalogue, category: usize) -> usize {
    let products = &catalogue.by_category[category];
    let i = pick_index(
        rng,
        (0..products.len()).map(|r| 1.0 / (r as f64 + 1.0).powf(1.1)),
    );
    products[i]
}

pub(crate) fn basket(
    rng: &mut impl Rng,
    catalogue: &Catalogue,
    person: &Person,
    channel: usize,
    at: Millis,
) -> Basket {
    let date = date_of(at);
    let promotion = is_promotion(date);
    let mut count = *pick(rng, LINE_COUNTS);
    if promotion && count < 4 && rng.gen_bool(0.3) {
        count += 1;
    }
    let mut lines: Vec<Line> = Vec::with_capacity(count);
    let mut previous: Option<usize> = None;
    for _ in 0..count {
        let category = match previous {
            Some(prev) if rng.gen_bool(0.4) => {
                category_index(choose::<&str>(rng, CATEGORIES[prev].3))
            }
            _ if rng.gen_bool(0.7) => {
                Calendar::seasonal_category(rng, date, person.favourites.iter().map(|c| (*c, 1.0)))
            }
            _ => Calendar::seasonal_category(
                rng,
                date,
                CATEGORIES.iter().enumerate().map(|(i, c)| (i, c.2)),
            ),
        };
        previous = Some(category);
        let product = product_of(rng, catalogue, category);
        let quantity = quantity(rng, person, CATEGORIES[category].0);
        match lines.iter_mut().find(|l| l.product == product) {
            Some(line) => line.quantity += 1,
            None => lines.push(Line { product, quantity }),
        }
    }
    let subtotal: i64 = lines
        .iter()
        .map(|l| catalogue.products[l.product].price_minor * l.quantity)
        .sum();
    let shipping = shipping(person, channel, subtotal);
    let discount = discount(rng, promotion, subtotal);
    Basket {
        lines,
        subtotal,
        shipping,
        discount,
        total: subtotal + shipping - discount,
    }
}

fn quantity(rng: &mut impl Rng, person: &Person, category: &str) -> i64 {
    if person.wholesale {
        return rng.gen_range(3..=12);
    }
    match category {
        "tea" if rng.gen_bool(0.2) => 2,
        "gift-sets" if rng.gen_bool(0.15) => rng.gen_range(2..=6),
        "accessories" if rng.gen_bool(0.1) => 2,
        _ => 1,
    }
}

/// Tmall and JD ship free (包邮); the website charges ¥12 under ¥199; the international
/// store charges ¥88 abroad under ¥800.
fn shipping(person: &Person, channel: usize, subtotal: i64) -> i64 {
    match channel {
        WEB if subtotal < fen(199) => fen(12),
        SHOPIFY if person.origin != Origin::Mainland && subtotal < fen(800) => fen(88),
        _ => 0,
    }
}

/// Festival 满减 (¥50 off every ¥300, up to ¥500) or, sometimes, a ¥20 coupon over ¥199.
fn discount(rng: &mut impl Rng, promotion: bool, subtotal: i64) -> i64 {
    if promotion {
        (subtotal / fen(300) * fen(50)).min(fen(500))
    } else if subtotal >= fen(199) && rng.gen_bool(0.12) {
        fen(20)
    } else {
        0
    }
}
