//! How long an SMS is, as carriers bill it: GSM 7-bit text fits 160 characters in one message
//! and 153 in each part of a longer one; anything else (Chinese) is sent as UCS-2, 70 and 67.

/// Characters of the GSM 03.38 basic set (one septet each).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// Characters of the extension table, sent as an escape and a septet (two each).
const GSM_EXTENDED: &str = "^{}\\[~]|€\u{c}";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsEncoding {
    Gsm7,
    Ucs2,
}

/// What a text costs to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsLength {
    pub encoding: SmsEncoding,
    /// Units as the carrier counts them: septets for GSM, UTF-16 code units for UCS-2.
    pub units: usize,
    /// Messages billed.
    pub segments: usize,
}

impl SmsLength {
    pub fn of(text: &str) -> Self {
        let gsm_units = text.chars().try_fold(0usize, |units, c| {
            if GSM_BASIC.contains(c) {
                Some(units + 1)
            } else if GSM_EXTENDED.contains(c) {
                Some(units + 2)
            } else {
                None
            }
        });
        let (encoding, units, single, part) = match gsm_units {
            Some(units) => (SmsEncoding::Gsm7, units, 160, 153),
            None => (SmsEncoding::Ucs2, text.encode_utf16().count(), 70, 67),
        };
        let segments = if units <= single {
            1
        } else {
            units.div_ceil(part)
        };
        Self {
            encoding,
            units,
            segments,
        }
    }
}

/// Whether an inbound SMS asks to stop marketing: the "回T退订" convention of Chinese carriers
/// (T, TD, N, 退订) and STOP / UNSUBSCRIBE elsewhere, in any case and spacing.
pub fn is_opt_out(reply: &str) -> bool {
    let word = reply.trim().to_uppercase();
    matches!(
        word.as_str(),
        "T" | "TD" | "N" | "退订" | "退" | "STOP" | "UNSUBSCRIBE" | "STOPALL" | "CANCEL" | "QUIT"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_text_fits_160_and_splits_by_153() {
        assert_eq!(SmsLength::of(&"a".repeat(160)).segments, 1);
        let long = SmsLength::of(&"a".repeat(161));
        assert_eq!(
            (long.encoding, long.units, long.segments),
            (SmsEncoding::Gsm7, 161, 2)
        );
        assert_eq!(SmsLength::of(&"a".repeat(306)).segments, 2);
        assert_eq!(SmsLength::of(&"a".repeat(307)).segments, 3);
    }

    #[test]
    fn extension_characters_count_twice() {
        let euro = SmsLength::of("€10 {now}");
        assert_eq!((euro.encoding, euro.units), (SmsEncoding::Gsm7, 12));
    }

    #[test]
    fn chinese_text_fits_70_and_splits_by_67() {
        let short = SmsLength::of("【关系】您的订单已发货，回T退订");
        assert_eq!(
            (short.encoding, short.units, short.segments),
            (SmsEncoding::Ucs2, 16, 1)
        );
        assert_eq!(SmsLength::of(&"好".repeat(70)).segments, 1);
        assert_eq!(SmsLength::of(&"好".repeat(71)).segments, 2);
        assert_eq!(SmsLength::of(&"好".repeat(135)).segments, 3);
        // One emoji is two UTF-16 units.
        assert_eq!(SmsLength::of("🎁").units, 2);
    }

    #[test]
    fn opt_out_replies_are_recognised() {
        for reply in ["T", " t ", "TD", "退订", "Stop", "unsubscribe"] {
            assert!(is_opt_out(reply), "{reply}");
        }
        for reply in ["", "谢谢", "TT", "stop it"] {
            assert!(!is_opt_out(reply), "{reply}");
        }
    }
}
