use guanxi_domain::{Currency, DefaultRegion};

/// Shop-wide settings the use cases need; built from the binary's config.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Region assumed for phone numbers written without a country code.
    pub region: DefaultRegion,
    /// The shop's currency: spend is summed in it.
    pub currency: Currency,
    /// Offset of the shop's time zone, for exports that write local times (Asia/Shanghai: 8).
    pub utc_offset_hours: i32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            region: DefaultRegion::default(),
            currency: Currency::CNY,
            utc_offset_hours: 8,
        }
    }
}
