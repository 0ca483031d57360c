//! RFM: recency (days since the last order), frequency (orders) and monetary value (spend), in
//! the two schemes operators use. Both are exact and reproducible: the same data gives the same
//! classes on every run and replica, ties included.
//!
//! - The eight classes Chinese operators use (重要价值客户 …): each dimension above or below the
//!   shop's average, or a threshold the shop sets.
//! - Quintile scores 1–5 per dimension (5 is best: most recent, most frequent, highest spend)
//!   and the named groups read off the recency × frequency grid (Champions, Loyal, At Risk, …).

use serde::Serialize;

/// One customer's RFM inputs. Customers without orders have no RFM.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RfmInput {
    pub recency_days: f64,
    pub frequency: u32,
    /// In minor units of the shop's currency.
    pub monetary: i64,
}

/// The line between high and low in each dimension: the shop's averages unless the shop sets
/// its own. Recency is high (good) below its threshold, frequency and monetary value above.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClassThresholds {
    pub recency_days: f64,
    pub frequency: f64,
    pub monetary: f64,
}

impl ClassThresholds {
    /// The shop's averages; `None` without customers.
    pub fn averages(inputs: &[RfmInput]) -> Option<Self> {
        if inputs.is_empty() {
            return None;
        }
        let n = inputs.len() as f64;
        let sum = |f: fn(&RfmInput) -> f64| inputs.iter().map(f).sum::<f64>() / n;
        Some(Self {
            recency_days: sum(|i| i.recency_days),
            frequency: sum(|i| f64::from(i.frequency)),
            monetary: sum(|i| i.monetary as f64),
        })
    }

    /// The class of one customer: recent if they ordered more recently than the threshold,
    /// frequent and valuable if above theirs.
    pub fn class_of(&self, input: &RfmInput) -> RfmClass {
        RfmClass::from_levels(
            input.recency_days < self.recency_days,
            f64::from(input.frequency) > self.frequency,
            input.monetary as f64 > self.monetary,
        )
    }
}

/// The eight classes, by (recent, frequent, valuable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RfmClass {
    /// 重要价值客户: recent, frequent, valuable.
    ImportantValue,
    /// 重要发展客户: recent and valuable, not yet frequent.
    ImportantDevelop,
    /// 重要保持客户: frequent and valuable, not recent.
    ImportantKeep,
    /// 重要挽留客户: valuable only.
    ImportantRetain,
    /// 一般价值客户: recent and frequent, low spend.
    GeneralValue,
    /// 一般发展客户: recent only.
    GeneralDevelop,
    /// 一般保持客户: frequent only.
    GeneralKeep,
    /// 一般挽留客户: none of the three.
    GeneralRetain,
}

impl RfmClass {
    pub const ALL: [RfmClass; 8] = [
        RfmClass::ImportantValue,
        RfmClass::ImportantDevelop,
        RfmClass::ImportantKeep,
        RfmClass::ImportantRetain,
        RfmClass::GeneralValue,
        RfmClass::GeneralDevelop,
        RfmClass::GeneralKeep,
        RfmClass::GeneralRetain,
    ];

    pub fn from_levels(recent: bool, frequent: bool, valuable: bool) -> Self {
        use RfmClass::*;
        match (valuable, recent, frequent) {
            (true, true, true) => ImportantValue,
            (true, true, false) => ImportantDevelop,
            (true, false, true) => ImportantKeep,
            (true, false, false) => ImportantRetain,
            (false, true, true) => GeneralValue,
            (false, true, false) => GeneralDevelop,
            (false, false, true) => GeneralKeep,
            (false, false, false) => GeneralRetain,
        }
    }

    /// `important_value`, …: the key in APIs and the catalogue.
    pub const fn key(self) -> &'static str {
        use RfmClass::*;
        match self {
            ImportantValue => "important_value",
            ImportantDevelop => "important_develop",
            ImportantKeep => "important_keep",
            ImportantRetain => "important_retain",
            GeneralValue => "general_value",
            GeneralDevelop => "general_develop",
            GeneralKeep => "general_keep",
            GeneralRetain => "general_retain",
        }
    }
}

/// Score cuts per dimension: a value above the k-th cut scores at least k + 2. Recency cuts
/// are in days and compared the other way (fewer days is better).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct QuintileCuts {
    pub recency_days: [f64; 4],
    pub frequency: [f64; 4],
    pub monetary: [f64; 4],
}

/// The top of each of the lower four fifths of `values`: the value at rank ⌈k·n/5⌉.
fn fifths(mut values: Vec<f64>) -> [f64; 4] {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    std::array::from_fn(|k| values[((k + 1) * n).div_ceil(5).max(1) - 1])
}

/// 1 + the number of cuts `value` is above: ties always share a score.
fn score(value: f64, cuts: &[f64; 4]) -> u8 {
    1 + cuts.iter().filter(|c| value > **c).count() as u8
}

impl QuintileCuts {
    /// The shop's own quintiles; `None` without customers.
    pub fn of(inputs: &[RfmInput]) -> Option<Self> {
        if inputs.is_empty() {
            return None;
        }
        // Recency is cut on negated days so that "above a cut" means "more recent".
        let recency = fifths(inputs.iter().map(|i| -i.recency_days).collect());
        Some(Self {
            recency_days: recency.map(|c| -c),
            frequency: fifths(inputs.iter().map(|i| f64::from(i.frequency)).collect()),
            monetary: fifths(inputs.iter().map(|i| i.monetary as f64).collect()),
        })
    }

    pub fn scores_of(&self, input: &RfmInput) -> RfmScores {
        RfmScores {
            r: score(-input.recency_days, &self.recency_days.map(|c| -c)),
            f: score(f64::from(input.frequency), &self.frequency),
            m: score(input.monetary as f64, &self.monetary),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct RfmScores {
    pub r: u8,
    pub f: u8,
    pub m: u8,
}

/// The named groups of the recency × frequency grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RfmGroup {
    Champions,
    LoyalCustomers,
    PotentialLoyalists,
    NewCustomers,
    Promising,
    NeedAttention,
    AboutToSleep,
    AtRisk,
    CantLoseThem,
    Hibernating,
    Lost,
}

impl RfmScores {
    /// The group by recency (rows) and frequency (columns):
    ///
    /// | R \ F | 1 | 2 | 3 | 4 | 5 |
    /// |---|---|---|---|---|---|
    /// | 5 | new | potential | potential | champions | champions |
    /// | 4 | promising | potential | potential | loyal | loyal |
    /// | 3 | about to sleep | about to sleep | need attention | loyal | loyal |
    /// | 2 | hibernating | hibernating | at risk | at risk | can't lose |
    /// | 1 | lost | lost | at risk | at risk | can't lose |
    pub fn group(&self) -> RfmGroup {
        use RfmGroup::*;
        match (self.r, self.f) {
            (5, 1) => NewCustomers,
            (4, 1) => Promising,
            (4..=5, 2..=3) => PotentialLoyalists,
            (5, 4..=5) => Champions,
            (3..=4, 4..=5) => LoyalCustomers,
            (3, 3) => NeedAttention,
            (3, _) => AboutToSleep,
            (_, 5) => CantLoseThem,
            (_, 3) | (_, 4) => AtRisk,
            (2, _) => Hibernating,
            _ => Lost,
        }
    }
}

impl RfmGroup {
    pub const ALL: [RfmGroup; 11] = [
        RfmGroup::Champions,
        RfmGroup::LoyalCustomers,
        RfmGroup::PotentialLoyalists,
        RfmGroup::NewCustomers,
        RfmGroup::Promising,
        RfmGroup::NeedAttention,
        RfmGroup::AboutToSleep,
        RfmGroup::AtRisk,
        RfmGroup::CantLoseThem,
        RfmGroup::Hibernating,
        RfmGroup::Lost,
    ];

    pub const fn key(self) -> &'static str {
        use RfmGroup::*;
        match self {
            Champions => "champions",
            LoyalCustomers => "loyal_customers",
            PotentialLoyalists => "potential_loyalists",
            NewCustomers => "new_customers",
            Promising => "promising",
            NeedAttention => "need_attention",
            AboutToSleep => "about_to_sleep",
            AtRisk => "at_risk",
            CantLoseThem => "cant_lose_them",
            Hibernating => "hibernating",
            Lost => "lost",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(recency_days: f64, frequency: u32, monetary: i64) -> RfmInput {
        RfmInput {
            recency_days,
            frequency,
            monetary,
        }
    }

    #[test]
    fn eight_classes_split_each_dimension_at_the_average() {
        let shop = [
            input(10.0, 5, 50_000),
            input(200.0, 1, 8_000),
            input(15.0, 1, 60_000),
            input(300.0, 6, 40_000),
        ];
        let averages = ClassThresholds::averages(&shop).expect("customers");
        assert_eq!(averages.recency_days, 131.25);
        assert_eq!(averages.frequency, 3.25);
        assert_eq!(averages.monetary, 39_500.0);
        let classes: Vec<RfmClass> = shop.iter().map(|i| averages.class_of(i)).collect();
        assert_eq!(
            classes,
            [
                RfmClass::ImportantValue,
                RfmClass::GeneralRetain,
                RfmClass::ImportantDevelop,
                RfmClass::ImportantKeep,
            ]
        );
    }

    #[test]
    fn quintiles_are_balanced_and_ties_share_a_score() {
        let shop: Vec<RfmInput> = (1..=10)
            .map(|i| input(f64::from(i), 1, i64::from(i) * 100))
            .collect();
        let cuts = QuintileCuts::of(&shop).expect("customers");
        let scores: Vec<RfmScores> = shop.iter().map(|i| cuts.scores_of(i)).collect();
        let m: Vec<u8> = scores.iter().map(|s| s.m).collect();
        assert_eq!(m, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        let r: Vec<u8> = scores.iter().map(|s| s.r).collect();
        assert_eq!(
            r,
            [5, 5, 4, 4, 3, 3, 2, 2, 1, 1],
            "fewest days is most recent"
        );
        assert!(
            scores.iter().all(|s| s.f == 1),
            "everyone ordered once: one score"
        );
    }

    #[test]
    fn the_grid_names_every_cell() {
        let group = |r, f| RfmScores { r, f, m: 3 }.group();
        assert_eq!(group(5, 5), RfmGroup::Champions);
        assert_eq!(group(5, 1), RfmGroup::NewCustomers);
        assert_eq!(group(3, 4), RfmGroup::LoyalCustomers);
        assert_eq!(group(1, 5), RfmGroup::CantLoseThem);
        assert_eq!(group(2, 3), RfmGroup::AtRisk);
        assert_eq!(group(2, 1), RfmGroup::Hibernating);
        assert_eq!(group(1, 1), RfmGroup::Lost);
        assert_eq!(group(3, 2), RfmGroup::AboutToSleep);
        let named: std::collections::BTreeSet<RfmGroup> = (1..=5)
            .flat_map(|r| (1..=5).map(move |f| group(r, f)))
            .collect();
        assert_eq!(named.len(), 11, "every group has cells");
    }
}
