//! What website visitors do, as Segment e-commerce spec calls: anonymous browsing, sign-up
//! or log-in (`identify` with e-mail, name and phone), Product Viewed / Added, Cart Viewed,
//! Checkout Started, Order Completed, Order Refunded — and carts left behind.

use crate::DemoRecord;
use crate::calendar::{DAY, YEAR};
use crate::catalogue::Product;
use crate::channels::{WEB, insert_place};
use crate::orders::{Fate, PlannedOrder};
use crate::person::Person;
use crate::sampling::{choose, gamma, pick_index, poisson};
use crate::shop::Shop;
use guanxi_domain::{EventInput, EventKind, EventProperties, IdentityKey, IdentityKind, Millis};
use rand::Rng;
use serde_json::{Map, Value, json};

const SITE: &str = "https://www.sujin-silk.example";
const REFERRERS: &[&str] = &[
    "",
    "https://www.baidu.com/",
    "https://www.xiaohongshu.com/",
    "https://mp.weixin.qq.com/",
    "https://www.douyin.com/",
    "https://www.google.com/",
];
const MAX_BROWSE_SESSIONS: usize = 25;

enum Visit<'a> {
    Browse,
    Purchase(&'a PlannedOrder),
}

struct Session<'a> {
    start: Millis,
    device: usize,
    visit: Visit<'a>,
}

/// Writes events for one person with unique, deterministic message ids.
struct Emitter<'a> {
    shop: &'a Shop,
    person: &'a Person,
    count: u64,
    out: Vec<(Millis, DemoRecord)>,
}

impl Emitter<'_> {
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        rng: &mut impl Rng,
        at: Millis,
        kind: EventKind,
        name: Option<&str>,
        identities: Vec<IdentityKey>,
        traits: Map<String, Value>,
        properties: Value,
    ) {
        if at >= self.shop.calendar.end {
            return;
        }
        self.count += 1;
        let event = EventInput {
            source: self.shop.sources[WEB],
            message_id: format!(
                "demo-{}-{}-{}",
                self.shop.seed, self.person.index, self.count
            ),
            kind,
            name: name.map(str::to_owned),
            identities,
            force_link: false,
            traits,
            properties: EventProperties::new(kind, &properties),
            timestamp: at,
            received_at: at + rng.gen_range(30..1500),
        };
        self.out.push((at, DemoRecord::Event(event)));
    }
}

fn yuan(minor: i64) -> f64 {
    minor as f64 / 100.0
}

fn product_json(p: &Product, quantity: i64) -> Value {
    json!({
        "product_id": p.sku, "sku": p.sku, "name": p.name, "category": p.category,
        "price": yuan(p.price_minor), "quantity": quantity, "currency": "CNY",
        "url": format!("{SITE}/products/{}", p.sku.to_lowercase()),
    })
}

fn anonymous_id(rng: &mut impl Rng) -> String {
    let bits: u128 = rng.gen_range(0..u128::MAX);
    let bits = (bits & !(0xF << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    let hex = format!("{bits:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The website events of one person, or none if they never use the website.
pub(crate) fn web_events(
    rng: &mut impl Rng,
    person: &Person,
    orders: &[PlannedOrder],
    shop: &Shop,
) -> Vec<(Millis, DemoRecord)> {
    let Some(joined) = person.channels.iter().find(|j| j.channel == WEB) else {
        return Vec::new();
    };
    let end = shop.calendar.end;
    let devices = if rng.gen_bool(0.4) { 2 } else { 1 };
    let anonymous: Vec<IdentityKey> = (0..devices)
        .filter_map(|_| {
            IdentityKey::new(
                IdentityKind::AnonymousId,
                &anonymous_id(rng),
                Default::default(),
            )
            .ok()
        })
        .collect();
    let mut sessions: Vec<Session> = orders
        .iter()
        .filter(|o| o.channel == WEB)
        .map(|o| Session {
            start: o.at - rng.gen_range(3 * 60_000..15 * 60_000),
            device: 0,
            visit: Visit::Purchase(o),
        })
        .collect();
    let until = person.active_until.saturating_add(90 * DAY).min(end);
    let years = (until - joined.at).max(0) as f64 / YEAR as f64;
    let browse_rate = gamma(rng, 1.2, 4.0);
    let extra = poisson(rng, browse_rate * years).min(MAX_BROWSE_SESSIONS);
    let first_purchase = sessions.first().map(|s| s.start);
    if first_purchase.is_none_or(|t| t > joined.at + 30 * 60_000) {
        sessions.push(Session {
            start: joined.at,
            device: 0,
            visit: Visit::Browse,
        });
    }
    for _ in 0..extra {
        let start = shop.calendar.instant_between(rng, joined.at, until);
        sessions.push(Session {
            start,
            device: 0,
            visit: Visit::Browse,
        });
    }
    sessions.sort_by_key(|s| s.start);
    for s in sessions.iter_mut().skip(1) {
        if anonymous.len() > 1 && rng.gen_bool(0.35) {
            s.device = 1;
        }
    }
    // Buyers sign up at their first checkout; some browsers sign up for the newsletter.
    // People who already buy elsewhere mostly come to the site from a campaign and log in.
    let known_elsewhere = person.channels[0].channel != WEB;
    let signs_up_browsing =
        first_purchase.is_none() && rng.gen_bool(if known_elsewhere { 0.9 } else { 0.6 });
    let mut emitter = Emitter {
        shop,
        person,
        count: 0,
        out: Vec::new(),
    };
    let mut registered = false;
    let mut logged_in = vec![false; anonymous.len()];
    for session in &sessions {
        let Some(anon) = anonymous.get(session.device).or(anonymous.first()).cloned() else {
            break;
        };
        let device = session.device.min(logged_in.len() - 1);
        let mut t = session.start;
        let mut step = |rng: &mut dyn rand::RngCore| {
            t += rng.gen_range(8_000..90_000);
            t
        };
        let identities = |logged: bool| -> Vec<IdentityKey> {
            let mut ids: Vec<IdentityKey> = if logged {
                person.web_user.iter().cloned().collect()
            } else {
                Vec::new()
            };
            ids.push(anon.clone());
            ids
        };
        if registered && !logged_in[device] {
            logged_in[device] = true;
            let at = step(rng);
            identify(&mut emitter, rng, at, &identities(true));
        }
        let landing = match session.visit {
            Visit::Browse => *choose(rng, &["Home", "Category", "Product"]),
            Visit::Purchase(_) => *choose(rng, &["Home", "Product"]),
        };
        let path = match landing {
            "Home" => "/".to_owned(),
            "Category" => format!(
                "/collections/{}",
                crate::catalogue::CATEGORIES[person.favourites[0]].0
            ),
            _ => "/products".to_owned(),
        };
        let page = json!({"title": format!("{landing} | 素锦 Sujin"), "path": path, "url": format!("{SITE}{path}"), "referrer": choose(rng, REFERRERS)});
        let at = step(rng);
        emitter.emit(
            rng,
            at,
            EventKind::Page,
            Some(landing),
            identities(logged_in[device]),
            Map::new(),
            page,
        );
        match session.visit {
            Visit::Browse => {
                let views = rng.gen_range(1..=4);
                let mut seen = Vec::new();
                for _ in 0..views {
                    let category = person.favourites[rng.gen_range(0..person.favourites.len())];
                    let list = &shop.catalogue.by_category[category];
                    let product = &shop.catalogue.products
                        [list[pick_index(rng, (0..list.len()).map(|r| 1.0 / (r as f64 + 1.0)))]];
                    let at = step(rng);
                    emitter.emit(
                        rng,
                        at,
                        EventKind::Track,
                        Some("Product Viewed"),
                        identities(logged_in[device]),
                        Map::new(),
                        product_json(product, 1),
                    );
                    seen.push(product);
                }
                if signs_up_browsing
                    && !registered
                    && rng.gen_bool(if known_elsewhere { 0.95 } else { 0.7 })
                {
                    registered = true;
                    logged_in[device] = true;
                    let at = step(rng);
                    identify(&mut emitter, rng, at, &identities(true));
                }
                if rng.gen_bool(0.3) {
                    let product = *choose(rng, &seen);
                    let at = step(rng);
                    emitter.emit(
                        rng,
                        at,
                        EventKind::Track,
                        Some("Product Added"),
                        identities(logged_in[device]),
                        Map::new(),
                        product_json(product, 1),
                    );
                    if rng.gen_bool(0.6) {
                        let at = step(rng);
                        let cart = json!({"cart_id": format!("cart-{}-{}", person.index, emitter.count), "products": [product_json(product, 1)]});
                        emitter.emit(
                            rng,
                            at,
                            EventKind::Track,
                            Some("Cart Viewed"),
                            identities(logged_in[device]),
                            Map::new(),
                            cart,
                        );
                    }
                }
            }
            Visit::Purchase(order) => {
                let products: Vec<Value> = order
                    .basket
                    .lines
                    .iter()
                    .map(|l| product_json(&shop.catalogue.products[l.product], l.quantity))
                    .collect();
                for p in &products {
                    let at = step(rng);
                    emitter.emit(
                        rng,
                        at,
                        EventKind::Track,
                        Some("Product Viewed"),
                        identities(logged_in[device]),
                        Map::new(),
                        p.clone(),
                    );
                    let at = step(rng);
                    emitter.emit(
                        rng,
                        at,
                        EventKind::Track,
                        Some("Product Added"),
                        identities(logged_in[device]),
                        Map::new(),
                        p.clone(),
                    );
                }
                let at = step(rng);
                let cart = json!({"cart_id": format!("cart-{}-{}", person.index, emitter.count), "products": products});
                emitter.emit(
                    rng,
                    at,
                    EventKind::Track,
                    Some("Cart Viewed"),
                    identities(logged_in[device]),
                    Map::new(),
                    cart,
                );
                if !logged_in[device] {
                    registered = true;
                    logged_in[device] = true;
                    let at = step(rng);
                    identify(&mut emitter, rng, at, &identities(true));
                }
                let b = &order.basket;
                let money = json!({
                    "order_id": order.external_id, "total": yuan(b.total), "revenue": yuan(b.total - b.shipping),
                    "shipping": yuan(b.shipping), "discount": yuan(b.discount), "currency": "CNY", "products": products,
                });
                let at = step(rng).min(order.at - 1);
                emitter.emit(
                    rng,
                    at,
                    EventKind::Track,
                    Some("Checkout Started"),
                    identities(true),
                    Map::new(),
                    money.clone(),
                );
                if let Fate::Paid { refund } = &order.fate {
                    emitter.emit(
                        rng,
                        order.at,
                        EventKind::Track,
                        Some("Order Completed"),
                        identities(true),
                        Map::new(),
                        money,
                    );
                    if let Some(r) = refund {
                        let props = json!({"order_id": order.external_id, "total": yuan(r.amount), "currency": "CNY", "reason": r.reason});
                        emitter.emit(
                            rng,
                            r.at,
                            EventKind::Track,
                            Some("Order Refunded"),
                            identities(true),
                            Map::new(),
                            props,
                        );
                    }
                }
            }
        }
    }
    emitter.out
}

/// `identify` on sign-up or log-in: the user id, contacts as identities and traits.
fn identify(emitter: &mut Emitter, rng: &mut impl Rng, at: Millis, ids: &[IdentityKey]) {
    let person = emitter.person;
    let mut traits = Map::new();
    traits.insert("name".into(), json!(person.name));
    let mut identities: Vec<IdentityKey> = ids.iter().take(1).cloned().collect();
    if let Some(email) = &person.email {
        traits.insert("email".into(), json!(email.raw));
        identities.push(email.key.clone());
    }
    if let Some(phone) = &person.phone {
        traits.insert("phone".into(), json!(phone.raw));
        identities.push(phone.key.clone());
    }
    traits.insert("gender".into(), json!(person.gender));
    if let Some(birthday) = person.birthday {
        traits.insert(
            "birthday".into(),
            json!(birthday.format("%Y-%m-%d").to_string()),
        );
    }
    insert_place(&mut traits, person);
    identities.extend(ids.iter().skip(1).cloned());
    emitter.emit(
        rng,
        at,
        EventKind::Identify,
        None,
        identities,
        traits,
        Value::Object(Map::new()),
    );
}
