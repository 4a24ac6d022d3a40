"""The demo's catalogue of categories and the 42 service items of the stations.

Towns edit their catalogue in the admin; `install_catalogue()` only adds what
is missing (by code), so it is safe to run again.
"""

from wangge.cases.choices import CategoryKind, FigureGroup, Priority

D = 420  # one working day, in working minutes (08:00–12:00, 14:30–17:30)

# code, name, figure group, default priority, department code, police relevant, children
PROBLEMS = [
    (
        "AQ",
        "安全隐患",
        FigureGroup.SAFETY,
        Priority.NORMAL,
        "yjb",
        False,
        [
            ("AQ01", "消防安全隐患", Priority.URGENT, "yjb"),
            ("AQ02", "矿山安全隐患", Priority.URGENT, "yjb"),
            ("AQ03", "道路交通安全隐患", Priority.NORMAL, "cjb"),
            ("AQ04", "防汛隐患", Priority.URGENT, "slz"),
            ("AQ05", "房屋安全隐患", Priority.NORMAL, "cjb"),
            ("AQ06", "地质灾害隐患", Priority.URGENT, "zrzys"),
        ],
    ),
    (
        "JF",
        "矛盾纠纷",
        FigureGroup.DISPUTE,
        Priority.NORMAL,
        "sfs",
        True,  # 警网融合: community police help settle disputes
        [
            ("JF01", "邻里纠纷", Priority.NORMAL, "sfs"),
            ("JF02", "土地山林纠纷", Priority.NORMAL, "zrzys"),
            ("JF03", "婚姻家庭纠纷", Priority.NORMAL, "sfs"),
            ("JF04", "劳资纠纷", Priority.NORMAL, "sbs"),
        ],
    ),
    (
        "MS",
        "民生诉求",
        FigureGroup.LIVELIHOOD,
        Priority.NORMAL,
        "zzzx",
        False,
        [
            ("MS01", "饮水问题", Priority.NORMAL, "slz"),
            ("MS02", "用电问题", Priority.NORMAL, "gds"),
            ("MS03", "道路出行", Priority.NORMAL, "cjb"),
            ("MS04", "环境卫生", Priority.NORMAL, "cjb"),
        ],
    ),
    (
        "ZA",
        "社会治安",
        FigureGroup.PUBLIC_ORDER,
        Priority.NORMAL,
        "pcs",
        True,
        [
            ("ZA01", "电信诈骗风险", Priority.URGENT, "pcs"),
            ("ZA02", "盗窃", Priority.NORMAL, "pcs"),
            ("ZA03", "治安隐患", Priority.NORMAL, "pcs"),
        ],
    ),
    (
        "HJ",
        "生态环境",
        FigureGroup.NONE,
        Priority.NORMAL,
        "hbs",
        False,
        [
            ("HJ01", "环境污染", Priority.NORMAL, "hbs"),
            ("HJ02", "乱砍滥伐", Priority.NORMAL, "lyz"),
            ("HJ03", "违法占地违建", Priority.NORMAL, "zrzys"),
        ],
    ),
    (
        "ZC",
        "政策咨询",
        FigureGroup.NONE,
        Priority.NORMAL,
        "mzb",
        False,
        [
            ("ZC01", "惠民政策咨询", Priority.NORMAL, "mzb"),
            ("ZC02", "社保医保政策咨询", Priority.NORMAL, "sbs"),
            ("ZC03", "农业政策咨询", Priority.NORMAL, "nyfw"),
        ],
    ),
    (
        "XF",
        "信访事项",
        FigureGroup.PETITION,
        Priority.NORMAL,
        "xfb",
        False,
        [
            ("XF01", "来信来访", Priority.NORMAL, "xfb"),
            ("XF02", "网上信访", Priority.NORMAL, "xfb"),
        ],
    ),
    (
        "TF",
        "突发事件",
        FigureGroup.EMERGENCY,
        Priority.EMERGENCY,
        "yjb",
        True,
        [
            ("TF01", "突发疾病", Priority.EMERGENCY, "wsy"),
            ("TF02", "火灾", Priority.EMERGENCY, "yjb"),
            ("TF03", "矿山险情", Priority.EMERGENCY, "yjb"),
            ("TF04", "正在发生的诈骗", Priority.EMERGENCY, "pcs"),
        ],
    ),
]

# group code, group name, department code, items (code, name, promised working minutes)
SERVICES = [
    (
        "BM1",
        "证件户籍",
        "pcs",
        [
            ("BM101", "身份证办理", 7 * D),
            ("BM102", "身份证补领换领", 7 * D),
            ("BM103", "户口迁移", 5 * D),
            ("BM104", "出生登记", 3 * D),
            ("BM105", "居住证办理", 5 * D),
            ("BM106", "无犯罪记录证明", 2 * D),
        ],
    ),
    (
        "BM2",
        "社保医保就业",
        "sbs",
        [
            ("BM201", "城乡居民养老保险参保", 3 * D),
            ("BM202", "养老金领取资格认证", 1 * D),
            ("BM203", "城乡居民医保参保缴费", 2 * D),
            ("BM204", "异地就医备案", 1 * D),
            ("BM205", "医疗费用报销", 10 * D),
            ("BM206", "社保卡办理", 5 * D),
            ("BM207", "就业登记与就业信息", 2 * D),
            ("BM208", "职业技能培训报名", 3 * D),
        ],
    ),
    (
        "BM3",
        "民政救助",
        "mzb",
        [
            ("BM301", "低保申请", 15 * D),
            ("BM302", "特困供养申请", 15 * D),
            ("BM303", "临时救助", 5 * D),
            ("BM304", "残疾人证办理", 10 * D),
            ("BM305", "残疾人两项补贴", 10 * D),
            ("BM306", "高龄津贴", 10 * D),
            ("BM307", "婚姻登记预约", 2 * D),
            ("BM308", "殡葬惠民政策", 3 * D),
        ],
    ),
    (
        "BM4",
        "农业农技",
        "nyfw",
        [
            ("BM401", "农技咨询", 1 * D),
            ("BM402", "中药材种植技术培训", 5 * D),
            ("BM403", "耕地地力保护补贴", 10 * D),
            ("BM404", "农机购置补贴", 10 * D),
            ("BM405", "动物防疫", 2 * D),
            ("BM406", "土地承包经营权事务", 10 * D),
        ],
    ),
    (
        "BM5",
        "健康医疗",
        "wsy",
        [
            ("BM501", "家庭医生签约", 2 * D),
            ("BM502", "健康体检预约", 3 * D),
            ("BM503", "预防接种预约", 2 * D),
            ("BM504", "孕产妇健康管理", 2 * D),
        ],
    ),
    (
        "BM6",
        "便民代办",
        "zzzx",
        [
            ("BM601", "水电费代缴", 1 * D),
            ("BM602", "用电报装", 5 * D),
            ("BM603", "建房审批咨询", 3 * D),
            ("BM604", "法律援助", 5 * D),
            ("BM605", "人民调解申请", 5 * D),
            ("BM606", "邮件快递代收代寄", 1 * D),
            ("BM607", "电商代购代销", 2 * D),
            ("BM608", "助老上门服务", 2 * D),
            ("BM609", "老年助餐", 1 * D),
            ("BM610", "心理咨询", 3 * D),
        ],
    ),
]


def install_catalogue(category_model=None) -> int:
    """Add the missing categories and service items. Returns how many were created."""
    if category_model is None:
        from wangge.cases.models import Category as category_model
    created = 0
    sort = 0
    for code, name, group, priority, department, police, children in PROBLEMS:
        sort += 1
        parent, new = category_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "figure_group": group,
                "default_priority": priority,
                "default_department_code": department,
                "police_relevant": police,
                "sort": sort,
            },
        )
        created += new
        for child_code, child_name, child_priority, child_department in children:
            sort += 1
            _, new = category_model.objects.get_or_create(
                code=child_code,
                defaults={
                    "parent": parent,
                    "name": child_name,
                    "figure_group": group,
                    "default_priority": child_priority,
                    "default_department_code": child_department,
                    "police_relevant": police,
                    "sort": sort,
                },
            )
            created += new
    for code, name, department, items in SERVICES:
        sort += 1
        parent, new = category_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": CategoryKind.SERVICE,
                "default_priority": Priority.SERVICE,
                "default_department_code": department,
                "sort": sort,
            },
        )
        created += new
        for item_code, item_name, minutes in items:
            sort += 1
            _, new = category_model.objects.get_or_create(
                code=item_code,
                defaults={
                    "parent": parent,
                    "name": item_name,
                    "kind": CategoryKind.SERVICE,
                    "default_priority": Priority.SERVICE,
                    "default_department_code": department,
                    "promised_minutes": minutes,
                    "sort": sort,
                },
            )
            created += new
    return created


SERVICE_ITEM_COUNT = sum(len(items) for *_, items in SERVICES)
