//! The demo brand's catalogue: silk, tea and home goods, priced in fen, bestsellers first.

/// One product the demo shop sells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub sku: String,
    pub name: String,
    pub category: String,
    pub price_minor: i64,
}

/// Category slug, SKU prefix, share of first purchases, and the categories bought with it.
pub(crate) const CATEGORIES: &[(&str, &str, f64, &[&str])] = &[
    ("scarves", "SCF", 0.20, &["accessories", "gift-sets"]),
    ("sleepwear", "SLP", 0.12, &["accessories", "bedding"]),
    ("bedding", "BED", 0.05, &["sleepwear", "accessories"]),
    ("accessories", "ACC", 0.15, &["sleepwear", "scarves"]),
    ("tea", "TEA", 0.20, &["teaware", "fragrance"]),
    ("teaware", "WARE", 0.10, &["tea", "fragrance"]),
    ("fragrance", "FRG", 0.10, &["teaware", "accessories"]),
    ("gift-sets", "GFT", 0.08, &["tea", "scarves"]),
];

/// Chinese name, English name, price in yuan; per category, bestsellers first.
const PRODUCTS: &[&[(&str, &str, i64)]] = &[
    &[
        (
            "桑蚕丝方巾 90cm 青花",
            "Mulberry silk square scarf 90cm, blue-and-white",
            468,
        ),
        (
            "桑蚕丝方巾 90cm 牡丹",
            "Mulberry silk square scarf 90cm, peony",
            468,
        ),
        ("真丝小方巾 53cm 锦鲤", "Silk small square 53cm, koi", 228),
        ("真丝长巾 西湖", "Silk long scarf, West Lake", 358),
        (
            "桑蚕丝方巾 千里江山",
            "Silk square scarf, A Thousand Li of Rivers and Mountains",
            528,
        ),
        (
            "真丝小方巾 53cm 山茶",
            "Silk small square 53cm, camellia",
            228,
        ),
        ("真丝发带丝巾", "Silk twilly", 128),
        ("真丝印花围巾 敦煌", "Printed silk scarf, Dunhuang", 398),
        ("双面真丝大披肩", "Double-faced silk shawl", 898),
        ("香云纱围巾", "Xiangyunsha gambiered silk scarf", 698),
        (
            "苏绣真丝丝巾 兰花",
            "Suzhou-embroidered silk scarf, orchid",
            1288,
        ),
    ],
    &[
        ("真丝短袖睡衣套装", "Silk short-sleeve pyjama set", 898),
        ("真丝吊带睡裙", "Silk slip nightdress", 598),
        ("真丝长袖睡衣套装", "Silk long-sleeve pyjama set", 1188),
        ("真丝睡袍", "Silk robe", 998),
        (
            "真丝家居服 七分袖",
            "Silk loungewear, three-quarter sleeves",
            768,
        ),
        ("男士真丝睡衣套装", "Men's silk pyjama set", 1288),
        ("真丝睡裙 蕾丝边", "Silk nightdress with lace trim", 698),
        (
            "重磅真丝睡衣 22姆米",
            "Heavyweight 22-momme silk pyjamas",
            1588,
        ),
        ("亲子真丝睡衣 儿童款", "Kids' silk pyjamas", 498),
        ("情侣真丝睡衣礼盒", "Couple's silk pyjama gift set", 2388),
    ],
    &[
        ("蚕丝枕芯", "Silk-filled pillow", 398),
        ("真丝夏凉被", "Silk summer quilt", 998),
        (
            "真丝被 春秋款",
            "Silk-filled duvet, spring and autumn",
            1688,
        ),
        (
            "真丝四件套 1.5m 雾霾蓝",
            "Silk bedding set 1.5m, dusty blue",
            3288,
        ),
        ("真丝四件套 1.8m 米白", "Silk bedding set 1.8m, ivory", 3988),
        ("真丝被 冬被", "Silk-filled winter duvet", 2588),
        ("真丝床单", "Silk flat sheet", 1188),
        ("真丝被套", "Silk duvet cover", 1588),
        ("婴儿真丝盖毯", "Baby silk blanket", 598),
        ("真丝床笠", "Silk fitted sheet", 1088),
    ],
    &[
        ("真丝眼罩", "Silk sleep mask", 99),
        ("真丝枕套 单只", "Silk pillowcase, single", 198),
        ("真丝发圈 三只装", "Silk scrunchies, pack of 3", 69),
        ("真丝枕套 一对", "Silk pillowcases, pair", 368),
        ("真丝发带", "Silk headband", 89),
        ("真丝睡帽", "Silk sleep cap", 128),
        ("真丝手帕", "Silk handkerchief", 59),
        ("真丝领带", "Silk tie", 398),
        ("真丝口金包", "Silk clasp purse", 268),
        ("真丝团扇", "Silk round fan", 168),
        ("真丝书签礼盒", "Silk bookmark gift box", 49),
    ],
    &[
        (
            "明前西湖龙井 特级 100g",
            "Pre-Qingming West Lake Longjing, premium, 100g",
            688,
        ),
        ("茉莉花茶 150g", "Jasmine tea 150g", 128),
        ("正山小种 红茶 200g", "Lapsang Souchong black tea 200g", 198),
        ("雨前龙井 250g", "Pre-Grain-Rain Longjing 250g", 398),
        ("白毫银针 100g", "Silver Needle white tea 100g", 458),
        ("洞庭碧螺春 100g", "Dongting Biluochun 100g", 298),
        ("武夷岩茶 大红袍", "Wuyi Da Hong Pao rock tea", 528),
        ("安溪铁观音 250g", "Anxi Tieguanyin oolong 250g", 228),
        ("桂花乌龙 袋泡茶", "Osmanthus oolong tea bags", 59),
        (
            "云南普洱 熟茶饼 357g",
            "Yunnan Pu'er ripe tea cake 357g",
            268,
        ),
        ("福鼎白牡丹 饼茶", "Fuding White Peony tea cake", 358),
        ("滇红金芽", "Dianhong golden bud black tea", 258),
    ],
    &[
        ("白瓷盖碗", "White porcelain gaiwan", 128),
        ("龙泉青瓷茶杯", "Longquan celadon teacup", 168),
        ("旅行茶具套装", "Travel tea set", 298),
        ("青瓷公道杯", "Celadon fair cup", 98),
        ("宜兴紫砂壶 西施", "Yixing zisha teapot, Xishi", 888),
        ("汝窑开片品茗杯", "Ru-ware crackle tasting cup", 88),
        ("玻璃飘逸杯", "Glass tea infuser mug", 68),
        (
            "手绘青花茶具套装",
            "Hand-painted blue-and-white tea set",
            698,
        ),
        ("竹制茶盘", "Bamboo tea tray", 398),
        ("锡制茶叶罐", "Tin tea caddy", 198),
        ("茶道六君子", "Tea ceremony tool set", 158),
    ],
    &[
        ("桂花香薰蜡烛", "Osmanthus scented candle", 188),
        ("沉香线香", "Agarwood incense sticks", 168),
        ("无火香薰 藤条", "Reed diffuser", 228),
        ("白茶香薰蜡烛", "White tea scented candle", 188),
        ("真丝香囊", "Silk sachet", 68),
        ("檀香盘香", "Sandalwood coil incense", 98),
        ("茉莉精油", "Jasmine essential oil", 128),
        ("陶瓷香插", "Ceramic incense holder", 78),
        ("车载香薰", "Car diffuser", 88),
        ("新中式香炉", "Chinese-style incense burner", 298),
    ],
    &[
        (
            "真丝枕套眼罩礼盒",
            "Silk pillowcase and sleep mask gift set",
            398,
        ),
        ("春节丝巾礼盒", "Spring Festival scarf gift box", 598),
        (
            "新春茶礼 龙井配青瓷杯",
            "New Year tea gift, Longjing with celadon cups",
            798,
        ),
        ("中秋茶礼盒", "Mid-Autumn tea gift box", 498),
        ("丝巾香囊礼盒", "Scarf and sachet gift box", 458),
        ("母亲节真丝礼盒", "Mother's Day silk gift box", 698),
        ("商务茶礼 大红袍", "Business tea gift, Da Hong Pao", 1088),
        ("香薰茶礼组合", "Fragrance and tea gift set", 368),
        ("企业定制茶礼", "Corporate custom tea gift", 298),
        ("新婚真丝床品礼盒", "Wedding silk bedding gift set", 4988),
    ],
];

/// Every product, grouped by category in `CATEGORIES` order, bestsellers first in each.
pub fn catalogue() -> Vec<Product> {
    CATEGORIES
        .iter()
        .zip(PRODUCTS)
        .flat_map(|((category, prefix, _, _), products)| {
            products
                .iter()
                .enumerate()
                .map(move |(i, (zh, en, yuan))| Product {
                    sku: format!("{prefix}-{:02}", i + 1),
                    name: format!("{zh} {en}"),
                    category: (*category).to_owned(),
                    price_minor: yuan * 100,
                })
        })
        .collect()
}

/// The catalogue with its products indexed by category, built once per generator.
#[derive(Debug, Clone)]
pub(crate) struct Catalogue {
    pub products: Vec<Product>,
    /// Indices into `products` per category, in `CATEGORIES` order.
    pub by_category: Vec<Vec<usize>>,
}

impl Catalogue {
    pub(crate) fn new() -> Self {
        let products = catalogue();
        let by_category = CATEGORIES
            .iter()
            .map(|(slug, ..)| {
                products
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.category == *slug)
                    .map(|(i, _)| i)
                    .collect()
            })
            .collect();
        Self {
            products,
            by_category,
        }
    }
}

pub(crate) fn category_index(slug: &str) -> usize {
    CATEGORIES
        .iter()
        .position(|(s, ..)| *s == slug)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn catalogue_is_a_real_assortment() {
        let products = catalogue();
        assert!((60..=120).contains(&products.len()), "{}", products.len());
        let skus: HashSet<&str> = products.iter().map(|p| p.sku.as_str()).collect();
        assert_eq!(skus.len(), products.len(), "SKUs are unique");
        let categories: HashSet<&str> = products.iter().map(|p| p.category.as_str()).collect();
        assert_eq!(categories.len(), 8);
        assert!(
            products
                .iter()
                .all(|p| p.price_minor >= 49_00 && p.price_minor % 100 == 0)
        );
    }
}
