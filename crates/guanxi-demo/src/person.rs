//! One demo customer as a real person: name, gender, birthday, home, contacts, the channels
//! they shop on (sharing phone and e-mail across them), and how often they buy.

use crate::calendar::{Calendar, DAY, HOUR, YEAR};
use crate::catalogue::CATEGORIES;
use crate::channels::{JD, SHOPIFY, TMALL, WEB};
use crate::contacts::{Contact, Numbering, key};
use crate::names::{
    ENGLISH_FEMALE, ENGLISH_MALE, ENGLISH_SURNAMES, FEMALE_GIVEN, MALE_GIVEN, SURNAMES,
};
use crate::places::{MAINLAND_CITIES, OVERSEAS_CITIES};
use crate::sampling::{choose, exponential, gamma, pick, pick_index, standard_normal};
use chrono::{Datelike, NaiveDate};
use guanxi_domain::{IdentityKey, IdentityKind, Millis};
use rand::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    Mainland,
    OverseasChinese,
    Foreign,
}

/// A channel a person shops on and when they first used it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Joined {
    pub channel: usize,
    pub at: Millis,
}

#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub index: u64,
    pub origin: Origin,
    pub name: String,
    pub first_name: String,
    pub last_name: String,
    pub gender: &'static str,
    pub birthday: Option<NaiveDate>,
    pub city: &'static str,
    pub province: Option<&'static str>,
    pub country: &'static str,
    pub phone: Option<Contact>,
    pub email: Option<Contact>,
    /// The primary channel first (joined at `arrival`), then the others in joining order.
    pub channels: Vec<Joined>,
    pub taobao_nick: Option<IdentityKey>,
    pub jd_pin: Option<IdentityKey>,
    pub shopify_customer: Option<IdentityKey>,
    pub web_user: Option<IdentityKey>,
    /// Category indices this person mostly buys from.
    pub favourites: Vec<usize>,
    pub arrival: Millis,
    /// Purchases per year on an ordinary day while active (Pareto/NBD's λ).
    pub rate_per_year: f64,
    /// When this person silently stops buying (Pareto/NBD's dropout).
    pub active_until: Millis,
    pub wholesale: bool,
    pub accepts_marketing: bool,
}

const PRIMARY: &[(usize, f64)] = &[(TMALL, 0.45), (JD, 0.20), (WEB, 0.23), (SHOPIFY, 0.12)];
/// Channel counts: most people use one, about 30% use two or three.
const CHANNEL_COUNTS: &[(usize, f64)] = &[(1, 0.70), (2, 0.24), (3, 0.06)];

fn extra_channel_weights(origin: Origin) -> [f64; 4] {
    // Indexed by channel: tmall, shopify, jd, web.
    match origin {
        Origin::Mainland => [0.45, 0.05, 0.30, 0.40],
        Origin::OverseasChinese => [0.35, 0.30, 0.05, 0.50],
        Origin::Foreign => [0.0, 1.0, 0.0, 1.0],
    }
}

const CHINESE_MAIL: &[(&str, f64)] = &[
    ("qq.com", 0.45),
    ("163.com", 0.22),
    ("126.com", 0.10),
    ("sina.com", 0.05),
    ("gmail.com", 0.08),
    ("outlook.com", 0.05),
    ("foxmail.com", 0.03),
    ("hotmail.com", 0.02),
];
const ABROAD_MAIL: &[(&str, f64)] = &[
    ("gmail.com", 0.50),
    ("outlook.com", 0.15),
    ("yahoo.com", 0.10),
    ("hotmail.com", 0.10),
    ("icloud.com", 0.15),
];

pub(crate) fn sample_person(
    rng: &mut impl Rng,
    index: u64,
    arrival: Millis,
    calendar: &Calendar,
    numbering: &Numbering,
) -> Person {
    let primary = *pick(rng, PRIMARY);
    let origin = match primary {
        SHOPIFY => *pick(
            rng,
            &[
                (Origin::Foreign, 0.45),
                (Origin::OverseasChinese, 0.40),
                (Origin::Mainland, 0.15),
            ],
        ),
        WEB => *pick(
            rng,
            &[
                (Origin::Mainland, 0.90),
                (Origin::OverseasChinese, 0.05),
                (Origin::Foreign, 0.05),
            ],
        ),
        _ => Origin::Mainland,
    };
    let female = rng.gen_bool(if origin == Origin::Foreign {
        0.65
    } else {
        0.70
    });
    let (name, first_name, last_name, handle) = if origin == Origin::Foreign {
        let first = *choose(rng, if female { ENGLISH_FEMALE } else { ENGLISH_MALE });
        let last = *choose(rng, ENGLISH_SURNAMES);
        let handle = match rng.gen_range(0..3) {
            0 => format!("{first}.{last}"),
            1 => format!("{first}{last}"),
            _ => format!("{}{last}", &first[..1]),
        };
        let handle: String = handle
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
            .collect();
        (
            format!("{first} {last}"),
            first.to_owned(),
            last.to_owned(),
            handle.to_lowercase(),
        )
    } else {
        let (surname, surname_py, _) = SURNAMES[pick_index(rng, SURNAMES.iter().map(|s| s.2))];
        let (given, given_py) = *choose(rng, if female { FEMALE_GIVEN } else { MALE_GIVEN });
        let handle = match rng.gen_range(0..3) {
            0 => format!("{surname_py}{given_py}"),
            1 => format!("{surname_py}_{given_py}"),
            _ => format!("{given_py}.{surname_py}"),
        };
        (
            format!("{surname}{given}"),
            given.to_owned(),
            surname.to_owned(),
            handle,
        )
    };
    let (city, province, country, plan) = if origin == Origin::Mainland {
        let (city, province, _) =
            MAINLAND_CITIES[pick_index(rng, MAINLAND_CITIES.iter().map(|c| c.2))];
        (city, Some(province), "CN", None)
    } else {
        let (city, country, _, plan) =
            OVERSEAS_CITIES[pick_index(rng, OVERSEAS_CITIES.iter().map(|c| c.2))];
        (city, None, country, Some(plan))
    };

    let channels = sample_channels(rng, primary, origin, arrival, calendar);
    let on = |c: usize| channels.iter().any(|j| j.channel == c);

    let phone = match (origin, plan) {
        (Origin::Mainland, _) => numbering.mainland_mobile(rng, index),
        (Origin::OverseasChinese, Some(plan)) => match rng.gen_range(0..20) {
            0..=9 => numbering.mainland_mobile(rng, index),
            10..=18 => Numbering::overseas_mobile(rng, plan),
            _ => None,
        },
        (_, Some(plan)) if rng.gen_bool(0.6) => Numbering::overseas_mobile(rng, plan),
        _ => None,
    };
    let wants_email = if on(SHOPIFY) || origin != Origin::Mainland {
        1.0
    } else if on(WEB) {
        0.75
    } else {
        0.35
    };
    let email = if rng.gen_bool(wants_email) {
        let domain = *pick(
            rng,
            if origin == Origin::Mainland {
                CHINESE_MAIL
            } else {
                ABROAD_MAIL
            },
        );
        if domain == "qq.com" {
            numbering.qq_email(index)
        } else {
            numbering.email(index, &handle, domain)
        }
    } else {
        None
    };
    let pinyin: String = handle.chars().filter(char::is_ascii_alphanumeric).collect();
    let taobao_nick = on(TMALL)
        .then(|| {
            key(
                IdentityKind::TaobaoBuyer,
                &numbering.taobao_nick(rng, index, &pinyin),
            )
        })
        .flatten();
    let jd_pin = on(JD)
        .then(|| {
            key(
                IdentityKind::JdBuyer,
                &numbering.jd_pin(rng, index, &pinyin),
            )
        })
        .flatten();
    let shopify_customer = on(SHOPIFY)
        .then(|| {
            key(
                IdentityKind::ShopifyCustomer,
                &numbering.shopify_customer(index),
            )
        })
        .flatten();
    let web_user = on(WEB)
        .then(|| {
            key(
                IdentityKind::UserId {
                    source: "web".into(),
                },
                &(100_000 + index).to_string(),
            )
        })
        .flatten();

    let favourites_count = if rng.gen_bool(0.5) { 1 } else { 2 };
    let mut favourites: Vec<usize> = Vec::new();
    while favourites.len() < favourites_count {
        let c = pick_index(rng, CATEGORIES.iter().map(|c| c.2));
        if !favourites.contains(&c) {
            favourites.push(c);
        }
    }
    let birthday = rng
        .gen_bool(0.6)
        .then(|| birthday(rng, calendar.end))
        .flatten();
    let rate_per_year = gamma(rng, 0.4, 8.5);
    let dropout_per_year = gamma(rng, 1.0, 0.7).max(1e-3);
    let wholesale = on(SHOPIFY) && rng.gen_bool(0.03);
    let lifetime = (exponential(rng, dropout_per_year) * YEAR as f64).min(10.0 * YEAR as f64);
    Person {
        index,
        origin,
        name,
        first_name,
        last_name,
        gender: if female { "female" } else { "male" },
        birthday,
        city,
        province,
        country,
        phone,
        email,
        channels,
        taobao_nick,
        jd_pin,
        shopify_customer,
        web_user,
        favourites,
        arrival,
        rate_per_year,
        active_until: arrival + lifetime as i64,
        wholesale,
        accepts_marketing: rng.gen_bool(0.55),
    }
}

fn sample_channels(
    rng: &mut impl Rng,
    primary: usize,
    origin: Origin,
    arrival: Millis,
    calendar: &Calendar,
) -> Vec<Joined> {
    let mut channels = vec![Joined {
        channel: primary,
        at: arrival,
    }];
    let wanted = *pick(rng, CHANNEL_COUNTS);
    let weights = extra_channel_weights(origin);
    while channels.len() < wanted {
        let free: Vec<usize> = (0..4)
            .filter(|c| weights[*c] > 0.0 && channels.iter().all(|j| j.channel != *c))
            .collect();
        if free.is_empty() {
            break;
        }
        let channel = free[pick_index(rng, free.iter().map(|c| weights[*c]))];
        let mut at = arrival + HOUR + Calendar::delay(rng, 90 * DAY);
        if at >= calendar.end - HOUR {
            at = calendar.instant_between(rng, arrival + 1, calendar.end - 1);
        }
        channels.push(Joined { channel, at });
    }
    channels[1..].sort_by_key(|j| j.at);
    channels
}

fn birthday(rng: &mut impl Rng, end: Millis) -> Option<NaiveDate> {
    let age = (34.0 + 9.0 * standard_normal(rng)).clamp(18.0, 68.0) as i32;
    let year = crate::calendar::date_of(end).year() - age;
    NaiveDate::from_yo_opt(year, rng.gen_range(1..=365))
}
