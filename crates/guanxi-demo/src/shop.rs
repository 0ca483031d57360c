//! Everything shared by all customers of one demo shop, built once per generator: the
//! calendar, the catalogue, the numbering, and the sources the caller registered.

use crate::DemoConfig;
use crate::calendar::Calendar;
use crate::catalogue::Catalogue;
use crate::contacts::Numbering;
use guanxi_domain::SourceId;

#[derive(Debug, Clone)]
pub(crate) struct Shop {
    pub seed: u64,
    pub customers: usize,
    pub sources: [SourceId; 4],
    pub calendar: Calendar,
    pub catalogue: Catalogue,
    pub numbering: Numbering,
}

impl Shop {
    pub(crate) fn new(config: &DemoConfig, sources: [SourceId; 4]) -> Self {
        Self {
            seed: config.seed,
            customers: config.customers.max(1),
            sources,
            calendar: Calendar::new(config.end.timestamp_millis()),
            catalogue: Catalogue::new(),
            numbering: Numbering::new(config.seed, config.customers),
        }
    }
}
