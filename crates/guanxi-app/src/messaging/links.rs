//! Signed links in messages: the open pixel, click redirects and the unsubscribe page. A token
//! names the delivery (and the target of a click) and carries an HMAC under a key derived from
//! the database's index key, so nobody can forge one for another delivery or another address.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};

/// The key purpose links are signed under.
pub const LINK_KEY_PURPOSE: &str = "message-links";

/// Bytes of the MAC kept in a token: 128 bits.
const MAC_BYTES: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    Open { delivery: i64 },
    Click { delivery: i64, url: String },
    Unsubscribe { delivery: i64 },
}

impl Link {
    pub fn delivery(&self) -> i64 {
        match self {
            Self::Open { delivery }
            | Self::Click { delivery, .. }
            | Self::Unsubscribe { delivery } => *delivery,
        }
    }

    fn payload(&self) -> String {
        match self {
            Self::Open { delivery } => format!("o:{delivery}"),
            Self::Click { delivery, url } => format!("c:{delivery}:{url}"),
            Self::Unsubscribe { delivery } => format!("u:{delivery}"),
        }
    }

    fn from_payload(payload: &str) -> Option<Self> {
        let (kind, rest) = payload.split_once(':')?;
        match kind {
            "o" => Some(Self::Open {
                delivery: rest.parse().ok()?,
            }),
            "u" => Some(Self::Unsubscribe {
                delivery: rest.parse().ok()?,
            }),
            "c" => {
                let (id, url) = rest.split_once(':')?;
                Some(Self::Click {
                    delivery: id.parse().ok()?,
                    url: url.to_owned(),
                })
            }
            _ => None,
        }
    }

    /// The token for this link.
    pub fn sign(&self, key: &[u8; 32]) -> String {
        let payload = self.payload();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload.as_bytes()),
            URL_SAFE_NO_PAD.encode(mac(key, payload.as_bytes()))
        )
    }

    /// The link a token names, if it was signed with `key`.
    pub fn verify(token: &str, key: &[u8; 32]) -> Option<Self> {
        let (payload, tag) = token.split_once('.')?;
        let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        if tag.len() != MAC_BYTES {
            return None;
        }
        let mut check = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).ok()?;
        check.update(&payload);
        // Constant time: `verify_truncated_left` compares without an early exit.
        check.verify_truncated_left(&tag).ok()?;
        Self::from_payload(std::str::from_utf8(&payload).ok()?)
    }
}

fn mac(key: &[u8; 32], payload: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(payload);
    mac.finalize().into_bytes()[..MAC_BYTES].to_vec()
}

/// Rewrites every `href="http…"` of an HTML body to go through a signed click link.
pub fn track_clicks(html: &str, base: &str, delivery: i64, key: &[u8; 32]) -> String {
    let mut out = String::with_capacity(html.len() + 256);
    let mut rest = html;
    while let Some(at) = rest.find("href=\"") {
        let (before, after) = rest.split_at(at + 6);
        out.push_str(before);
        let end = after.find('"').unwrap_or(after.len());
        let target = &after[..end];
        if target.starts_with("http://") || target.starts_with("https://") {
            let unescaped = target.replace("&amp;", "&");
            let token = Link::Click {
                delivery,
                url: unescaped,
            }
            .sign(key);
            out.push_str(&format!("{base}/m/c/{token}"));
        } else {
            out.push_str(target);
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    #[test]
    fn tokens_verify_and_forgeries_do_not() {
        for link in [
            Link::Open { delivery: 42 },
            Link::Unsubscribe { delivery: 7 },
            Link::Click {
                delivery: 9,
                url: "https://shop.example/a?b=1:2".into(),
            },
        ] {
            let token = link.sign(&KEY);
            assert_eq!(Link::verify(&token, &KEY), Some(link.clone()));
            assert_eq!(Link::verify(&token, &[8; 32]), None, "another key");
        }
        let token = Link::Unsubscribe { delivery: 7 }.sign(&KEY);
        let (_, tag) = token.split_once('.').expect("two parts");
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode("u:8"));
        assert_eq!(Link::verify(&forged, &KEY), None, "another delivery");
        assert_eq!(Link::verify("garbage", &KEY), None);
    }

    #[test]
    fn links_in_html_go_through_the_click_redirect() {
        let html =
            r#"<a href="https://shop.example/p?x=1&amp;y=2">buy</a> <a href="mailto:a">m</a>"#;
        let out = track_clicks(html, "https://crm.example", 5, &KEY);
        assert!(out.contains(r#"href="https://crm.example/m/c/"#), "{out}");
        assert!(out.contains(r#"href="mailto:a""#));
        let token = out
            .split("/m/c/")
            .nth(1)
            .and_then(|t| t.split('"').next())
            .expect("token");
        assert_eq!(
            Link::verify(token, &KEY),
            Some(Link::Click {
                delivery: 5,
                url: "https://shop.example/p?x=1&y=2".into()
            })
        );
    }
}
