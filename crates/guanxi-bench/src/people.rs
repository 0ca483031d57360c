//! Plausible Chinese shoppers, drawn from a seeded generator: every character here is in GBK,
//! and no value contains an ASCII comma, quote or line break (the Taobao writer relies on it).

use rand::Rng;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
];
const GIVEN: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "秀英", "霞", "平", "刚", "桂英", "婷", "晨", "欣怡", "子涵", "雨萱", "浩然", "梓萱", "思远",
    "佳琪",
];
const NICK_WORDS: &[&str] = &[
    "爱购物",
    "小可爱",
    "的猫",
    "喝茶",
    "丝丝",
    "阳光",
    "宝贝",
    "天天",
    "love",
    "shop",
    "happy",
];
const PLACES: &[(&str, &str, &[&str])] = &[
    (
        "浙江省",
        "杭州市",
        &["西湖区", "上城区", "拱墅区", "滨江区"],
    ),
    (
        "上海市",
        "上海市",
        &["浦东新区", "徐汇区", "静安区", "闵行区"],
    ),
    (
        "北京市",
        "北京市",
        &["朝阳区", "海淀区", "东城区", "丰台区"],
    ),
    (
        "广东省",
        "深圳市",
        &["南山区", "福田区", "宝安区", "龙岗区"],
    ),
    (
        "广东省",
        "广州市",
        &["天河区", "越秀区", "海珠区", "番禺区"],
    ),
    (
        "江苏省",
        "苏州市",
        &["姑苏区", "工业园区", "吴中区", "相城区"],
    ),
    (
        "四川省",
        "成都市",
        &["锦江区", "武侯区", "高新区", "青羊区"],
    ),
    (
        "湖北省",
        "武汉市",
        &["江汉区", "武昌区", "洪山区", "汉阳区"],
    ),
];
const ROADS: &[&str] = &[
    "文三路",
    "解放路",
    "人民路",
    "中山路",
    "建国路",
    "长江路",
    "世纪大道",
    "南京路",
    "和平街",
];

/// A person's name: surname and a one- or two-character given name.
pub fn name(rng: &mut impl Rng) -> String {
    let surname = SURNAMES[rng.gen_range(0..SURNAMES.len())];
    let given = GIVEN[rng.gen_range(0..GIVEN.len())];
    format!("{surname}{given}")
}

/// A mainland mobile number that is unique per `n` (< 10^8) and valid: 13x/15x/18x prefixes.
pub fn mobile(n: u64) -> String {
    const PREFIXES: &[&str] = &[
        "139", "138", "137", "136", "135", "150", "151", "158", "186", "188",
    ];
    let prefix = PREFIXES[(n / 100_000_000) as usize % PREFIXES.len()];
    format!("{prefix}{:08}", n % 100_000_000)
}

/// The way Taobao shows a phone it hides: `139****1234`.
pub fn masked_mobile(mobile: &str) -> String {
    let tail = mobile
        .get(mobile.len().saturating_sub(4)..)
        .unwrap_or_default();
    let head = mobile.get(..3).unwrap_or_default();
    format!("{head}****{tail}")
}

/// A Taobao member name unique per `n`: `tb123456_78` or a word with the number.
pub fn taobao_nick(rng: &mut impl Rng, n: u64) -> String {
    if rng.gen_bool(0.4) {
        format!("tb{:06}_{}", n, rng.gen_range(10..99))
    } else {
        let word = NICK_WORDS[rng.gen_range(0..NICK_WORDS.len())];
        format!("{}{word}{n}", SURNAMES[rng.gen_range(0..SURNAMES.len())])
    }
}

/// `浙江省 杭州市 西湖区 文三路123号` as the order report writes it.
pub fn address(rng: &mut impl Rng) -> String {
    let (province, city, districts) = PLACES[rng.gen_range(0..PLACES.len())];
    let district = districts[rng.gen_range(0..districts.len())];
    let road = ROADS[rng.gen_range(0..ROADS.len())];
    format!(
        "{province} {city} {district} {road}{}号",
        rng.gen_range(1..999)
    )
}

/// The city part of an address, for a `city` trait.
pub fn city(rng: &mut impl Rng) -> &'static str {
    PLACES[rng.gen_range(0..PLACES.len())].1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_are_unique_eleven_digits_and_mask_like_taobao() {
        assert_eq!(mobile(1), "13900000001");
        assert_ne!(mobile(1), mobile(100_000_001));
        assert_eq!(mobile(123_456_789).len(), 11);
        assert_eq!(masked_mobile("13912345678"), "139****5678");
    }
}
