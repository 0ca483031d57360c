//! Identifier values as each platform writes them: mainland and overseas mobiles, e-mail
//! addresses, Taobao nicks, JD pins, Shopify ids and order numbers. Values that must not be
//! shared by two people embed a scrambled customer (or order) number, so they are unique
//! while looking random.

use crate::places::{MAINLAND_MOBILE_PREFIXES, PhonePlan};
use crate::sampling::{Scrambler, choose, digits};
use guanxi_domain::{DefaultRegion, IdentityKey, IdentityKind};
use rand::Rng;

/// Orders per customer are numbered below this, so (customer, order) fits one number.
pub(crate) const ORDERS_PER_CUSTOMER: u64 = 128;

/// An identifier as the channel wrote it and as the domain normalises it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Contact {
    pub raw: String,
    pub key: IdentityKey,
}

pub(crate) fn key(kind: IdentityKind, raw: &str) -> Option<IdentityKey> {
    IdentityKey::new(kind, raw, DefaultRegion::default()).ok()
}

/// The scramblers behind every unique number of one demo shop (they depend on the seed).
#[derive(Debug, Clone)]
pub(crate) struct Numbering {
    mobile: Scrambler,
    qq: Scrambler,
    email: Scrambler,
    nick: Scrambler,
    tb_nick: Scrambler,
    jd_pin: Scrambler,
    shopify_customer: Scrambler,
    tmall_order: Scrambler,
    jd_order: Scrambler,
    shopify_order: Scrambler,
    web_order: Scrambler,
}

impl Numbering {
    pub(crate) fn new(seed: u64, customers: usize) -> Self {
        let compact = 10u64.pow((customers.max(1000) as f64).log10().ceil() as u32 + 1);
        Self {
            mobile: Scrambler::new(100_000_000, seed, "mobile"),
            qq: Scrambler::new(900_000_000, seed, "qq"),
            email: Scrambler::new(compact, seed, "email"),
            nick: Scrambler::new(compact, seed, "nick"),
            tb_nick: Scrambler::new(10_000_000_000, seed, "tb"),
            jd_pin: Scrambler::new(1 << 52, seed, "jd"),
            shopify_customer: Scrambler::new(1_000_000_000_000, seed, "shopify-customer"),
            tmall_order: Scrambler::new(1_000_000_000_000, seed, "tmall-order"),
            jd_order: Scrambler::new(100_000_000_000, seed, "jd-order"),
            shopify_order: Scrambler::new(1_000_000_000_000, seed, "shopify-order"),
            web_order: Scrambler::new(1_000_000_000, seed, "web-order"),
        }
    }

    /// A mainland mobile (`13812345678`) whose last eight digits are unique per customer.
    pub(crate) fn mainland_mobile(&self, rng: &mut impl Rng, customer: u64) -> Option<Contact> {
        let tail = self.mobile.apply(customer);
        (0..8).find_map(|_| {
            let raw = format!("{}{tail:08}", choose(rng, MAINLAND_MOBILE_PREFIXES));
            key(IdentityKind::Phone, &raw).map(|key| Contact { raw, key })
        })
    }

    /// An overseas number written the international way (`+1 415-555-2671`).
    pub(crate) fn overseas_mobile(rng: &mut impl Rng, plan: PhonePlan) -> Option<Contact> {
        (0..8).find_map(|_| {
            let pattern = *choose(rng, plan.patterns);
            let national = fill_pattern(rng, pattern);
            let raw = format!("+{} {national}", plan.country_code);
            key(IdentityKind::Phone, &raw).map(|key| Contact { raw, key })
        })
    }

    pub(crate) fn qq_email(&self, customer: u64) -> Option<Contact> {
        let raw = format!("{}@qq.com", 100_000_000 + self.qq.apply(customer));
        contact(IdentityKind::Email, raw)
    }

    /// `local` followed by this customer's unique number at `domain`.
    pub(crate) fn email(&self, customer: u64, local: &str, domain: &str) -> Option<Contact> {
        let raw = format!("{local}{}@{domain}", self.email.apply(customer));
        contact(IdentityKind::Email, raw)
    }

    /// A Taobao nick: `tb` and ten digits as new accounts get, pinyin, or a playful phrase.
    pub(crate) fn taobao_nick(&self, rng: &mut impl Rng, customer: u64, pinyin: &str) -> String {
        let n = self.nick.apply(customer);
        match rng.gen_range(0..10) {
            0..=3 => format!("tb{:010}", self.tb_nick.apply(customer)),
            4..=6 => format!("{pinyin}{n}"),
            _ => format!(
                "{}{}{n}",
                choose(rng, crate::names::NICK_ADJECTIVES),
                choose(rng, crate::names::NICK_NOUNS)
            ),
        }
    }

    /// A JD pin: `jd_` and hex as JD assigns them, or pinyin with a number.
    pub(crate) fn jd_pin(&self, rng: &mut impl Rng, customer: u64, pinyin: &str) -> String {
        if rng.gen_bool(0.6) {
            format!("jd_{:013x}", self.jd_pin.apply(customer))
        } else {
            format!("{pinyin}_{}", self.nick.apply(customer))
        }
    }

    pub(crate) fn shopify_customer(&self, customer: u64) -> String {
        format!("7{:012}", self.shopify_customer.apply(customer))
    }

    /// The external id of a customer's `seq`th order on a channel, in that channel's format:
    /// Taobao 19 digits, JD 12 digits, Shopify 13-digit ids, the website `W` + date + number.
    pub(crate) fn order_id(
        &self,
        rng: &mut impl Rng,
        channel: usize,
        customer: u64,
        seq: u64,
        date: chrono::NaiveDate,
    ) -> String {
        let n = customer * ORDERS_PER_CUSTOMER + seq;
        match channel {
            crate::channels::TMALL => format!(
                "{}{:012}{}",
                rng.gen_range(2..=4),
                self.tmall_order.apply(n),
                digits(rng, 6)
            ),
            crate::channels::JD => format!("2{:011}", self.jd_order.apply(n)),
            crate::channels::SHOPIFY => format!("5{:012}", self.shopify_order.apply(n)),
            _ => format!("W{}{:09}", date.format("%Y%m%d"), self.web_order.apply(n)),
        }
    }
}

fn contact(kind: IdentityKind, raw: String) -> Option<Contact> {
    key(kind, &raw).map(|key| Contact { raw, key })
}

/// Fills `#` with any digit and `[ab]`/`[a-b]` with one of the listed digits.
fn fill_pattern(rng: &mut impl Rng, pattern: &str) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '#' => out.push(char::from(b'0' + rng.gen_range(0..10u8))),
            '[' => {
                let class: String = chars.by_ref().take_while(|c| *c != ']').collect();
                let options: Vec<char> = expand_class(&class);
                if !options.is_empty() {
                    out.push(*choose(rng, &options));
                }
            }
            other => out.push(other),
        }
    }
    out
}

fn expand_class(class: &str) -> Vec<char> {
    let chars: Vec<char> = class.chars().collect();
    let mut options = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if i + 2 < chars.len() && chars[i + 1] == '-' {
            options.extend(chars[i]..=chars[i + 2]);
            i += 3;
        } else {
            options.push(chars[i]);
            i += 1;
        }
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::places::OVERSEAS_CITIES;
    use crate::sampling::customer_rng;

    #[test]
    fn every_generated_phone_parses() {
        let numbering = Numbering::new(42, 10_000);
        let mut rng = customer_rng(42, 0);
        for customer in 0..2_000 {
            assert!(numbering.mainland_mobile(&mut rng, customer).is_some());
        }
        for (city, _, _, plan) in OVERSEAS_CITIES {
            let ok = (0..200)
                .filter(|_| Numbering::overseas_mobile(&mut rng, *plan).is_some())
                .count();
            assert_eq!(ok, 200, "{city}");
        }
    }

    #[test]
    fn order_ids_have_each_channels_shape() {
        let numbering = Numbering::new(42, 10_000);
        let mut rng = customer_rng(42, 0);
        let date = chrono::NaiveDate::from_ymd_opt(2026, 6, 18).unwrap_or_default();
        let id = |rng: &mut _, channel| numbering.order_id(rng, channel, 7, 3, date);
        assert_eq!(id(&mut rng, crate::channels::TMALL).len(), 19);
        assert_eq!(id(&mut rng, crate::channels::JD).len(), 12);
        assert_eq!(id(&mut rng, crate::channels::SHOPIFY).len(), 13);
        assert!(id(&mut rng, crate::channels::WEB).starts_with("W20260618"));
    }
}
