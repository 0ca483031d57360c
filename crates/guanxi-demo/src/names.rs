//! Names people really have: common Chinese surnames (weighted by frequency) and given names
//! with their pinyin, English names for the international store, and Taobao-style nicknames.

/// Surname, its pinyin, and its share of the population in per cent.
pub(crate) const SURNAMES: &[(&str, &str, f64)] = &[
    ("王", "wang", 7.1), ("李", "li", 7.0), ("张", "zhang", 6.7), ("刘", "liu", 5.4),
    ("陈", "chen", 4.5), ("杨", "yang", 3.1), ("黄", "huang", 2.2), ("赵", "zhao", 2.0),
    ("吴", "wu", 2.0), ("周", "zhou", 1.9), ("徐", "xu", 1.3), ("孙", "sun", 1.2),
    ("马", "ma", 1.1), ("朱", "zhu", 1.1), ("胡", "hu", 1.0), ("郭", "guo", 1.0),
    ("何", "he", 0.9), ("林", "lin", 0.8), ("高", "gao", 0.8), ("罗", "luo", 0.7),
    ("郑", "zheng", 0.7), ("梁", "liang", 0.7), ("谢", "xie", 0.6), ("宋", "song", 0.5),
    ("唐", "tang", 0.5), ("许", "xu", 0.5), ("韩", "han", 0.4), ("冯", "feng", 0.4),
    ("邓", "deng", 0.4), ("曹", "cao", 0.4), ("彭", "peng", 0.4), ("曾", "zeng", 0.4),
    ("肖", "xiao", 0.4), ("田", "tian", 0.3), ("董", "dong", 0.3), ("袁", "yuan", 0.3),
    ("潘", "pan", 0.3), ("蒋", "jiang", 0.3), ("蔡", "cai", 0.3), ("余", "yu", 0.3),
    ("杜", "du", 0.3), ("叶", "ye", 0.3), ("程", "cheng", 0.3), ("苏", "su", 0.3),
    ("魏", "wei", 0.3), ("吕", "lv", 0.3), ("丁", "ding", 0.3), ("沈", "shen", 0.3),
    ("姚", "yao", 0.2), ("卢", "lu", 0.2), ("姜", "jiang", 0.2), ("崔", "cui", 0.2),
    ("钟", "zhong", 0.2), ("谭", "tan", 0.2), ("陆", "lu", 0.2), ("汪", "wang", 0.2),
    ("范", "fan", 0.2), ("金", "jin", 0.2), ("石", "shi", 0.2), ("廖", "liao", 0.2),
    ("贾", "jia", 0.2), ("夏", "xia", 0.2), ("方", "fang", 0.2), ("白", "bai", 0.2),
    ("邹", "zou", 0.2), ("孟", "meng", 0.2), ("熊", "xiong", 0.2), ("秦", "qin", 0.2),
    ("江", "jiang", 0.2), ("顾", "gu", 0.1), ("欧阳", "ouyang", 0.05), ("司马", "sima", 0.02),
];

pub(crate) const FEMALE_GIVEN: &[(&str, &str)] = &[
    ("婷", "ting"), ("静", "jing"), ("敏", "min"), ("丽", "li"), ("娟", "juan"), ("艳", "yan"),
    ("芳", "fang"), ("燕", "yan"), ("玲", "ling"), ("雪", "xue"), ("慧", "hui"), ("颖", "ying"),
    ("琳", "lin"), ("倩", "qian"), ("欣怡", "xinyi"), ("诗涵", "shihan"), ("梓涵", "zihan"),
    ("雨桐", "yutong"), ("可馨", "kexin"), ("思琪", "siqi"), ("晓燕", "xiaoyan"),
    ("丹丹", "dandan"), ("佳怡", "jiayi"), ("婉清", "wanqing"), ("雅琴", "yaqin"),
    ("秀英", "xiuying"), ("桂英", "guiying"), ("海燕", "haiyan"), ("梦瑶", "mengyao"),
    ("晓雯", "xiaowen"), ("若曦", "ruoxi"), ("嘉欣", "jiaxin"), ("文静", "wenjing"),
    ("美玲", "meiling"), ("玉兰", "yulan"), ("书瑶", "shuyao"), ("紫萱", "zixuan"),
    ("心怡", "xinyi"), ("晓琳", "xiaolin"), ("佳琪", "jiaqi"),
];

pub(crate) const MALE_GIVEN: &[(&str, &str)] = &[
    ("伟", "wei"), ("磊", "lei"), ("军", "jun"), ("勇", "yong"), ("杰", "jie"), ("涛", "tao"),
    ("强", "qiang"), ("明", "ming"), ("超", "chao"), ("斌", "bin"), ("鹏", "peng"),
    ("浩然", "haoran"), ("子轩", "zixuan"), ("宇航", "yuhang"), ("俊杰", "junjie"),
    ("志强", "zhiqiang"), ("建华", "jianhua"), ("文博", "wenbo"), ("晨阳", "chenyang"),
    ("一鸣", "yiming"), ("嘉豪", "jiahao"), ("思远", "siyuan"), ("天宇", "tianyu"),
    ("明辉", "minghui"), ("国强", "guoqiang"), ("建国", "jianguo"), ("海涛", "haitao"),
    ("志明", "zhiming"), ("博文", "bowen"), ("昊天", "haotian"), ("子豪", "zihao"),
    ("宇轩", "yuxuan"), ("振宇", "zhenyu"), ("家乐", "jiale"),
];

pub(crate) const ENGLISH_FEMALE: &[&str] = &[
    "Emily", "Olivia", "Sarah", "Jessica", "Emma", "Sophie", "Grace", "Chloe", "Hannah",
    "Laura", "Amelia", "Charlotte", "Isabella", "Mia", "Lucy", "Rachel", "Megan", "Natalie",
    "Anna", "Julia",
];

pub(crate) const ENGLISH_MALE: &[&str] = &[
    "Michael", "David", "James", "Daniel", "Thomas", "Matthew", "Andrew", "Ryan", "William",
    "Benjamin", "Christopher", "Alexander", "Jack", "Oliver", "Samuel", "Lucas", "Ethan",
    "Nathan",
];

pub(crate) const ENGLISH_SURNAMES: &[&str] = &[
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Taylor",
    "Anderson", "Thomas", "Moore", "Martin", "Lee", "Walker", "Clarke", "Harris", "Robinson",
    "Wright", "Thompson", "White", "Hall", "Young", "King", "Scott", "Green", "Baker", "Adams",
    "Nguyen", "Tan", "Wong", "Chan", "O'Brien", "Murphy", "Campbell", "Mitchell",
];

/// Halves of the playful Chinese nicknames Taobao buyers choose (爱喝茶的猫).
pub(crate) const NICK_ADJECTIVES: &[&str] = &[
    "爱喝茶的", "喜欢丝绸的", "安静的", "快乐的", "小小", "阳光", "奔跑的", "温柔的",
    "慢生活的", "爱旅行的", "晒太阳的", "不吃香菜的",
];

pub(crate) const NICK_NOUNS: &[&str] = &[
    "猫", "兔子", "小鱼", "桃子", "橙子", "小熊", "云朵", "星星", "茉莉", "月亮", "柚子",
    "布丁",
];
