//! Where customers live: mainland cities weighted by online spending, and the overseas cities
//! the international store ships to, with the phone plan their numbers follow.

/// City, province, weight.
pub(crate) const MAINLAND_CITIES: &[(&str, &str, f64)] = &[
    ("上海", "上海", 10.0),
    ("北京", "北京", 9.0),
    ("杭州", "浙江", 7.0),
    ("深圳", "广东", 7.0),
    ("广州", "广东", 6.0),
    ("成都", "四川", 6.0),
    ("南京", "江苏", 5.0),
    ("苏州", "江苏", 5.0),
    ("武汉", "湖北", 4.0),
    ("重庆", "重庆", 4.0),
    ("西安", "陕西", 3.5),
    ("天津", "天津", 3.0),
    ("长沙", "湖南", 3.0),
    ("宁波", "浙江", 3.0),
    ("青岛", "山东", 2.5),
    ("厦门", "福建", 2.5),
    ("郑州", "河南", 2.5),
    ("合肥", "安徽", 2.0),
    ("无锡", "江苏", 2.0),
    ("福州", "福建", 2.0),
    ("昆明", "云南", 2.0),
    ("大连", "辽宁", 1.5),
    ("济南", "山东", 1.5),
    ("沈阳", "辽宁", 1.5),
    ("东莞", "广东", 1.5),
    ("佛山", "广东", 1.5),
    ("温州", "浙江", 1.5),
    ("南昌", "江西", 1.0),
    ("贵阳", "贵州", 1.0),
    ("南宁", "广西", 1.0),
    ("哈尔滨", "黑龙江", 1.0),
    ("石家庄", "河北", 1.0),
    ("太原", "山西", 0.8),
    ("兰州", "甘肃", 0.6),
    ("海口", "海南", 0.6),
    ("乌鲁木齐", "新疆", 0.4),
    ("呼和浩特", "内蒙古", 0.4),
    ("拉萨", "西藏", 0.1),
];

/// How numbers are written in a country: the country code and national-number patterns
/// (`#` is any digit, `[ab]` one of the listed digits).
#[derive(Debug, Clone, Copy)]
pub(crate) struct PhonePlan {
    pub country_code: &'static str,
    pub patterns: &'static [&'static str],
}

pub(crate) const US: PhonePlan = PhonePlan {
    country_code: "1",
    patterns: &[
        "212[2-9]##-####",
        "415[2-9]##-####",
        "213[2-9]##-####",
        "206[2-9]##-####",
        "646[2-9]##-####",
        "917[2-9]##-####",
        "650[2-9]##-####",
    ],
};
pub(crate) const CA: PhonePlan = PhonePlan {
    country_code: "1",
    patterns: &["604[2-9]##-####", "416[2-9]##-####", "778[2-9]##-####"],
};
pub(crate) const GB: PhonePlan = PhonePlan {
    country_code: "44",
    patterns: &["77[1-7]# ######"],
};
pub(crate) const AU: PhonePlan = PhonePlan {
    country_code: "61",
    patterns: &["4[0-3]# ### ###"],
};
pub(crate) const SG: PhonePlan = PhonePlan {
    country_code: "65",
    patterns: &["9[0-4]## ####", "8[1-8]## ####"],
};
pub(crate) const HK: PhonePlan = PhonePlan {
    country_code: "852",
    patterns: &["9[0-8]## ####", "6[1-9]## ####"],
};

/// Overseas city, ISO country, weight, phone plan.
pub(crate) const OVERSEAS_CITIES: &[(&str, &str, f64, PhonePlan)] = &[
    ("Singapore", "SG", 4.0, SG),
    ("Hong Kong", "HK", 3.0, HK),
    ("Sydney", "AU", 3.0, AU),
    ("Melbourne", "AU", 2.0, AU),
    ("Vancouver", "CA", 3.0, CA),
    ("Toronto", "CA", 3.0, CA),
    ("New York", "US", 3.0, US),
    ("San Francisco", "US", 2.5, US),
    ("Los Angeles", "US", 2.5, US),
    ("Seattle", "US", 1.5, US),
    ("London", "GB", 3.0, GB),
];

/// Three-digit mobile prefixes in service on the mainland.
pub(crate) const MAINLAND_MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "147", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "166", "175", "176", "177", "178", "180", "181",
    "182", "183", "185", "186", "187", "188", "189", "191", "193", "195", "198", "199",
];
