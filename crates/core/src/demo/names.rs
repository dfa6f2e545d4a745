//! Invented names for the demo town: villages, people (surnames by their frequency, a few rare
//! characters), ID numbers with valid checksums (random sequence parts, never real people's)
//! and phone numbers.

use std::collections::HashSet;

use crate::places::idcard;
use crate::rng::Rng;

const VILLAGE_NAMES: &[&str] = &[
    "石鱼村",
    "太平村",
    "龙井村",
    "红岩村",
    "新华村",
    "金龙村",
    "双河村",
    "长岭村",
    "永安村",
    "桂花村",
    "白云村",
    "青龙村",
];
/// For districts bigger than one town: two syllables from here make further village names.
const VILLAGE_SYLLABLES: &[&str] = &[
    "安", "宝", "碑", "朝", "大", "东", "凤", "高", "观", "广", "合", "和", "虎", "花", "黄", "金",
    "进", "旧", "乐", "莲", "林", "柳", "龙", "马", "茅", "梅", "南", "平", "千", "清", "庆", "三",
    "沙", "山", "狮", "双", "水", "松", "塘", "天", "铁", "万", "文", "五", "西", "仙", "小", "新",
    "兴", "杨", "永", "玉", "元", "云", "长", "中", "竹",
];

/// Surnames with rough frequencies in rural western Chongqing; polyphonic surnames included on
/// purpose (曾 zeng, 单 shan, 解 xie, 仇 qiu, 区 ou, 查 zha, 翟 zhai, 朴 piao, 盖 ge, 缪 miao, 覃 qin).
const SURNAMES: &[(&str, u32)] = &[
    ("王", 60),
    ("李", 60),
    ("张", 55),
    ("刘", 50),
    ("陈", 50),
    ("杨", 40),
    ("黄", 25),
    ("周", 30),
    ("吴", 20),
    ("徐", 15),
    ("赵", 20),
    ("罗", 25),
    ("唐", 25),
    ("邓", 20),
    ("蒋", 18),
    ("谭", 18),
    ("何", 18),
    ("胡", 15),
    ("曾", 15),
    ("彭", 12),
    ("冉", 8),
    ("向", 8),
    ("甘", 6),
    ("余", 12),
    ("蒲", 6),
    ("秦", 6),
    ("喻", 5),
    ("代", 8),
    ("付", 8),
    ("龙", 6),
    ("舒", 5),
    ("廖", 8),
    ("肖", 10),
    ("郭", 10),
    ("林", 8),
    ("游", 5),
    ("蔡", 6),
    ("卢", 6),
    ("牟", 5),
    ("熊", 6),
    ("雷", 6),
    ("侯", 5),
    ("单", 3),
    ("解", 3),
    ("仇", 2),
    ("区", 2),
    ("查", 2),
    ("翟", 3),
    ("朴", 1),
    ("盖", 2),
    ("缪", 2),
    ("覃", 3),
];

/// Whole given names common among household heads born 1935–1995.
const GIVEN_NAMES: &[&str] = &[
    "建国", "建华", "国强", "秀英", "桂兰", "玉珍", "德明", "光荣", "志强", "永福", "世华", "昌友",
    "素珍", "淑芬", "明德", "文华", "长春", "少华", "桂芳", "春梅", "太平", "天云", "德贵", "正清",
    "中华", "泽民", "玉兰", "素芳", "家富", "世伦", "光明", "朝贵", "红英", "小平", "大勇", "仕成",
];
/// Single characters for the rest of the names.
const GIVEN_CHARS: &[&str] = &[
    "明", "华", "英", "兰", "芳", "德", "文", "光", "伟", "勇", "军", "平", "红", "琼", "淑", "素",
    "世", "昌", "福", "贵", "强", "林", "成", "国", "庆", "荣", "清", "云", "海", "泽", "凤", "仙",
    "珍", "全", "友", "富", "康", "春", "秋", "冬", "梅", "菊", "莲", "蓉", "容", "先", "绍", "宗",
    "祖", "远", "良", "志", "忠", "孝", "义", "礼", "长", "天", "玉", "金", "银", "秀", "丽", "敏",
    "静", "洪", "波", "涛",
];
/// Characters outside GB2312 that real registers contain; printing and search must cope with them.
const RARE_CHARS: &[&str] = &["堃", "犇", "喆", "赟", "昇", "珺", "玥", "䶮"];

const PHONE_PREFIXES: &[&str] = &[
    "133", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159", "177",
    "180", "181", "182", "183", "185", "187", "188", "189", "199",
];

/// `count` distinct village names: the twelve of the town first, then made-up two-syllable ones.
pub(crate) fn village_names(count: usize) -> Vec<String> {
    let n = VILLAGE_SYLLABLES.len();
    let mut seen = HashSet::new();
    let generated = (0..).map(|k: usize| {
        let a = (k / (n - 1)) % n;
        let b = k % (n - 1);
        let b = if b >= a { b + 1 } else { b };
        let round = k / (n * (n - 1));
        let suffix = if round == 0 {
            String::new()
        } else {
            (round + 1).to_string()
        };
        format!("{}{}{suffix}村", VILLAGE_SYLLABLES[a], VILLAGE_SYLLABLES[b])
    });
    VILLAGE_NAMES
        .iter()
        .map(|s| s.to_string())
        .chain(generated)
        .filter(|name| seen.insert(name.clone()))
        .take(count)
        .collect()
}

pub(crate) fn person_name(rng: &mut Rng) -> String {
    let mut name = rng.weighted(SURNAMES).to_string();
    let roll = rng.below(100);
    if roll < 40 {
        name.push_str(rng.pick(GIVEN_NAMES));
    } else {
        name.push_str(rng.pick(GIVEN_CHARS));
        if roll < 85 {
            name.push_str(rng.pick(GIVEN_CHARS));
        }
    }
    if rng.chance(0.012) {
        // Replace the last character with a rare one.
        name.pop();
        name.push_str(rng.pick(RARE_CHARS));
    }
    name
}

pub(crate) fn id_number(rng: &mut Rng, male: bool) -> String {
    let region = if rng.chance(0.6) { "500224" } else { "500151" };
    let year = 1935 + rng.below(61) as i64;
    let month = rng.range(1, 12);
    let day = rng.range(1, 28);
    let mut seq = rng.below(1000);
    if (seq % 2 == 1) != male {
        seq = (seq + 1) % 1000;
    }
    let body = format!("{region}{year:04}{month:02}{day:02}{seq:03}");
    let check = idcard::check_char(&body).expect("17 digits");
    format!("{body}{check}")
}

pub(crate) fn phone(rng: &mut Rng) -> String {
    format!("{}{:08}", rng.pick(PHONE_PREFIXES), rng.below(100_000_000))
}
