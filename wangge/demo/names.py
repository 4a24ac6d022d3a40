"""Names and numbers for the demo town's people and places, all fictional.

People get rural-Henan names (surnames weighted as in the county, given names
of their generation), valid but invented ID numbers (GB 11643) and mobile
numbers. Village and hamlet names are made up in the local style.
"""

from __future__ import annotations

import random
from datetime import date

from stdnum.cn import ric

TOWN_NAME = "德亭镇"
TOWN_CODE = "410325106000"
COUNTY_CODE = "410325"
COUNTY_NAME = "嵩县"
ADDRESS_PREFIX = "嵩县德亭镇"

# The 24 administrative villages (three of them named in the brief) and the
# resettlement community, with the ASCII slug used in demo usernames.
SEAT_VILLAGE = ("德亭村", "deting")
MINE_VILLAGE = ("庄科村", "zhuangke")
MODEL_VILLAGE = ("杨村", "yangcun")
OTHER_VILLAGES = [
    ("酒店村", "jiudian"),
    ("龙王庙村", "longwangmiao"),
    ("三合村", "sanhe"),
    ("大石岭村", "dashiling"),
    ("松树坡村", "songshupo"),
    ("黄水村", "huangshui"),
    ("前河村", "qianhe"),
    ("水磨村", "shuimo"),
    ("石门村", "shimen"),
    ("油路沟村", "youlugou"),
    ("马庄村", "mazhuang"),
    ("柏树村", "baishu"),
    ("王莽寨村", "wangmangzhai"),
    ("南坪村", "nanping"),
    ("北沟村", "beigou"),
    ("河东村", "hedong"),
    ("红花村", "honghua"),
    ("青山村", "qingshan"),
    ("枣园村", "zaoyuan"),
    ("上河村", "shanghe"),
    ("槐树坪村", "huaishuping"),
]
COMMUNITY = ("德福苑社区", "defuyuan")


def short_name(village: str) -> str:
    """庄科村 → 庄科 (as in 庄科矿区); a two-character name such as 杨村 stays whole."""
    return village[:-1] if len(village) > 2 and village[-1] in "村" else village


_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (for 一组, 第十二网格)."""
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def _words(text: str) -> list[str]:
    return text.split()


# Surnames with weights: the national top 20 plus names common in western Henan.
SURNAMES = {
    "王": 9.0, "李": 8.0, "张": 7.5, "刘": 6.0, "陈": 3.5, "杨": 4.0, "赵": 3.0, "郭": 3.0,
    "孙": 2.0, "黄": 1.5, "周": 2.0, "吴": 1.5, "徐": 1.5, "马": 2.5, "朱": 1.5, "胡": 1.5,
    "高": 2.0, "宋": 2.0, "郑": 1.5, "闫": 2.5, "贾": 1.5, "夏": 1.0, "石": 1.5, "常": 1.2,
    "程": 1.0, "任": 1.0, "冯": 1.0, "韩": 1.0, "董": 1.0, "段": 1.0, "雷": 0.8, "焦": 0.8,
    "蔡": 0.6, "范": 0.8, "梁": 0.8, "潘": 0.5, "姚": 0.7, "翟": 0.6, "牛": 0.8, "申": 0.5,
    "付": 0.8, "邢": 0.5, "崔": 0.7, "袁": 0.7, "田": 0.8, "娄": 0.5, "柴": 0.5, "卢": 0.6,
}  # fmt: skip
_SURNAME_LIST = list(SURNAMES)
_SURNAME_WEIGHTS = list(SURNAMES.values())

# Given names by generation: people born before 1965, 1965–1989, 1990–2009, 2010 on.
_GIVEN = {
    ("male", 0): "建国 建军 国庆 国强 红军 卫东 春生 秋生 保国 振华 德胜 金山 玉明 福生 长林 "
    "铁柱 水生 满仓 根旺 新民 志刚 宝山 春来 天成 文斌 永福 庆余 占奎 发旺 金锁 拴柱 有才",
    ("female", 0): "秀英 桂兰 玉兰 桂芝 秀兰 凤英 淑珍 玉梅 春花 桂英 素珍 爱莲 翠花 秀云 月英 "
    "兰英 金凤 巧云 彩霞 玉珍 秀珍 凤兰 小梅 荣花 改焕 爱荣 菊香 麦香 银环 粉莲",
    ("male", 1): "海涛 建伟 国伟 志强 红伟 晓东 永刚 军伟 振宇 俊峰 鹏飞 少华 卫锋 亚伟 向阳 "
    "朝阳 松涛 战伟 红亮 新峰 留军 要武 保林 雪峰 利民 跃进 东升 海军 小龙 占伟 伟 强 磊 军 勇 涛",
    ("female", 1): "丽娟 艳丽 红霞 晓燕 玉红 海燕 丽华 春燕 彩云 亚楠 艳芳 小红 雪梅 慧敏 晓丽 "
    "俊芳 利娜 红梅 艳红 灵芝 素娟 会敏 淑娟 亚丽 丽 娟 艳 芳 霞 静",
    ("male", 2): "浩然 子豪 俊杰 一鸣 家豪 宇航 博文 天佑 志豪 明轩 浩宇 嘉豪 文博 佳乐 "
    "晨阳 鹏程 旭东 凯旋 梦龙 宇飞 智超 世杰 浩 鹏 博 宇",
    ("female", 2): "佳怡 欣怡 梦琪 雨涵 诗涵 可馨 思雨 梦瑶 婉清 佳琪 雅琪 紫怡 晨曦 "
    "梦洁 雪莹 静怡 文静 亚琳 梦圆 心怡 瑞雪 婷 倩 雪",
    ("male", 3): "子墨 沐宸 梓睿 浩轩 宸宇 奕辰 锦程 皓轩 星辰 一航 宇泽 俊熙 睿泽 "
    "梓豪 铭宇 思远 子轩 博涛 嘉佑 天宇",
    ("female", 3): "梓萱 一诺 依诺 欣妍 若汐 语桐 安琪 芷若 雨萱 诗琪 梦溪 可欣 "
    "思彤 子涵 沐瑶 语汐 佳宁 米朵 悦彤 欣然",
}
GIVEN_NAMES = {key: _words(value) for key, value in _GIVEN.items()}


def _era(birth_year: int) -> int:
    if birth_year < 1965:
        return 0
    if birth_year < 1990:
        return 1
    if birth_year < 2010:
        return 2
    return 3


def surname(rng: random.Random, avoid: str = "") -> str:
    """A surname drawn by weight, different from `avoid` (a spouse's is another family's)."""
    while True:
        name = rng.choices(_SURNAME_LIST, _SURNAME_WEIGHTS)[0]
        if name != avoid:
            return name


def given_name(rng: random.Random, gender: str, birth_year: int) -> str:
    """A given name typical of the person's generation (some from the one before)."""
    era = _era(birth_year)
    if era and rng.random() < 0.2:
        era -= 1
    return rng.choice(GIVEN_NAMES[(gender, era)])


# 自然村 names: family + 家 + landform, or a local feature + landform.
_LANDFORMS = list("沟坪凹岭湾坡洼庄河寨崖台园垛岔窑营门")
_FEATURES = _words(
    "石门 松树 柿树 核桃 枣树 柏树 杨树 桃花 竹园 槐树 椿树 龙王 马鞍 羊圈 牛心 红土 白土 "
    "黑石 青石 水磨 油坊 庙 铁炉 碾盘 寺 庵 老虎 鹰嘴 龙潭 泉水 干柴 葛条 栗子 漆树 桑树 "
    "杏树 梨树 瓦房 草房 磨石 河口 碾子 大石 小石 圪垯 柳树 皂角 庙湾 窑场 香椿 樱桃"
)
_DIRECTIONS = list("前后上下东西南北大小中")
# A few hamlets always exist, so docs and tests can point at them.
FIXED_HAMLETS = {"杨村": ["王家沟", "后凹"], "庄科村": ["石门坪"]}


def hamlet_names(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    """`count` hamlet names not in `taken` (which is updated)."""
    names = []
    while len(names) < count:
        roll = rng.random()
        if roll < 0.4:
            name = surname(rng) + "家" + rng.choice(_LANDFORMS)
        elif roll < 0.85:
            name = rng.choice(_FEATURES) + rng.choice(_LANDFORMS)
        else:
            name = rng.choice(_DIRECTIONS) + rng.choice(_LANDFORMS)
        if name not in taken:
            taken.add(name)
            names.append(name)
    return names


# Where people's ID numbers were first issued: this county, mostly; spouses
# often come from the neighbouring counties of Luoyang.
HOME_REGION = "410325"
NEIGHBOUR_REGIONS = ["410322", "410323", "410324", "410326", "410327", "410328", "410329"]


def region(rng: random.Random, outsider_share: float) -> str:
    return rng.choice(NEIGHBOUR_REGIONS) if rng.random() < outsider_share else HOME_REGION


class IdNumbers:
    """Fictional but checksum-valid 18-digit ID numbers, unique within one generator."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def make(self, region_code: str, birth: date, gender: str) -> str:
        """An ID number whose birth date and sequence parity (odd = male) match."""
        parity = 1 if gender == "male" else 0
        while True:
            sequence = self.rng.randrange(0, 500) * 2 + parity
            if sequence == 0:
                continue
            body = f"{region_code}{birth:%Y%m%d}{sequence:03d}"
            if body not in self.used:
                self.used.add(body)
                return body + ric.calc_check_digit(body)


_MOBILE_PREFIXES = _words(
    "130 131 132 133 134 135 136 137 138 139 150 151 152 155 156 157 158 159 "
    "166 173 176 177 180 181 182 183 185 186 187 188 189 191 198 199"
)


def mobile(rng: random.Random) -> str:
    """An 11-digit mainland mobile number."""
    return rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def landline(rng: random.Random) -> str:
    """A Luoyang (0379) landline, for departments' duty phones."""
    return f"0379-6{rng.randrange(10**6):06d}"


# The 12 enterprises of the brief: (name, short name, industry, where it sits).
# The first seven get a special grid of their own; the rest sit in mine grids.
ENTERPRISES = [
    ("嵩县德亭金源矿业有限公司", "金源矿业", "金矿采选", "mine"),
    ("嵩县德亭柴胡中药材加工厂", "柴胡加工厂", "中药材加工", "seat"),
    ("嵩县鑫宇钼业有限公司", "鑫宇钼业", "钼矿采选", "mine"),
    ("嵩县金山新型建材有限公司", "金山建材", "新型建材", "seat"),
    ("嵩县金鼎选矿厂", "金鼎选矿厂", "金矿选矿", "mine"),
    ("嵩县德亭食用菌加工厂", "食用菌加工厂", "食用菌加工", "seat"),
    ("嵩县瑞丰铅锌选矿厂", "瑞丰选矿厂", "铅锌选矿", "mine"),
    ("洛阳豫钼矿业有限公司德亭分公司", "豫钼矿业", "钼矿采选", "mine"),
    ("嵩县宏达尾矿综合利用有限公司", "宏达尾矿", "尾矿综合利用", "mine"),
    ("嵩县恒泰石料厂", "恒泰石料厂", "建筑石料开采", "mine"),
    ("嵩县银河矿业有限公司", "银河矿业", "金矿采选", "mine"),
    ("嵩县龙腾矿山机械修配厂", "龙腾机修厂", "矿山机械修理", "mine"),
]
MINE_BELTS = {"mine_north": "熊耳山矿集区", "mine_south": "外方山矿集区"}
SCHOOLS = ["德亭镇中心学校", "德亭镇初级中学"]
