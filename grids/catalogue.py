"""The default grid service list (网格服务清单) and the default care tags, as data.

Where it is loaded, and why: the data migration ``0002_default_catalogue`` loads both into every database,
so a county starts with a list its grid workers can take orders from the first day; the county then edits
items and time limits in the admin. The demo loader calls ``load_defaults`` again, because browser tests
empty the tables between tests and a demo database must still have the list. Loading is idempotent: rows
are matched by name, and what a county changed is left alone.

The list has 8 categories, 23 subcategories and 94 items, the shape of the list in the seed's subdistrict;
the items are written by the project. Time limits are calendar hours or days from the moment of ordering.
"""

H, D = "hours", "days"

# (category, [(subcategory, [(item, time limit, unit), …]), …])
DEFAULT_CATALOGUE = [
    ("民政服务", [
        ("社会救助", [
            ("最低生活保障申请代办", 15, D), ("特困人员供养申请代办", 15, D), ("临时救助申请代办", 7, D),
            ("医疗救助申请代办", 10, D),
        ]),
        ("养老服务", [
            ("高龄津贴申领代办", 10, D), ("独居老人定期探访", 3, D), ("居家养老上门服务预约", 3, D),
            ("老年人助餐服务对接", 5, D), ("养老机构入住咨询", 3, D),
        ]),
        ("残疾人服务", [
            ("残疾人证办理代办", 15, D), ("残疾人两项补贴申请代办", 10, D), ("辅助器具申领代办", 15, D),
            ("残疾人就业帮扶对接", 7, D),
        ]),
    ]),
    ("社会保障", [
        ("社会保险", [
            ("城乡居民养老保险参保登记", 5, D), ("养老保险待遇领取资格认证", 3, D),
            ("城乡居民医保参保缴费代办", 5, D), ("异地就医备案代办", 3, D),
        ]),
        ("就业创业", [
            ("就业失业登记代办", 5, D), ("招聘岗位信息推送", 2, D), ("职业技能培训报名", 5, D),
            ("创业担保贷款申请指导", 7, D),
        ]),
        ("住房保障", [
            ("公租房申请代办", 15, D), ("农村危房改造申请代办", 15, D), ("住房公积金业务咨询", 2, D),
        ]),
    ]),
    ("卫生健康", [
        ("基本医疗", [
            ("家庭医生签约", 3, D), ("慢性病随访预约", 3, D), ("老年人免费体检预约", 5, D), ("上门送药代购", 24, H),
        ]),
        ("妇幼与计生", [
            ("生育登记代办", 3, D), ("独生子女父母奖励申请代办", 10, D), ("计划生育特殊家庭扶助申请", 10, D),
            ("孕产妇健康管理对接", 3, D),
        ]),
        ("公共卫生", [
            ("预防接种提醒与预约", 2, D), ("病媒生物消杀", 3, D), ("健康知识宣讲进家", 7, D),
        ]),
    ]),
    ("便民代办", [
        ("户籍证件", [
            ("居民身份证办理预约", 3, D), ("户口迁移政策咨询", 2, D), ("出生登记代办", 5, D), ("居住证办理代办", 7, D),
        ]),
        ("生活缴费", [
            ("水电费代缴", 24, H), ("燃气报装对接", 5, D), ("宽带报装对接", 5, D), ("老年人智能手机使用帮教", 3, D),
        ]),
        ("不动产与建房", [
            ("不动产登记咨询", 2, D), ("农村宅基地建房申请代办", 15, D), ("房屋租赁登记", 3, D),
        ]),
    ]),
    ("平安法治", [
        ("矛盾调解", [
            ("邻里纠纷调解", 7, D), ("家庭婚姻纠纷调解", 7, D), ("土地承包经营纠纷调解", 15, D),
            ("物业服务纠纷调解", 7, D), ("劳资纠纷调解", 10, D),
        ]),
        ("治安防范", [
            ("安全隐患排查上报", 24, H), ("防诈骗宣传上门", 3, D), ("出租房屋及流动人口登记", 3, D),
            ("重点人员走访关注", 3, D),
        ]),
        ("法律服务", [
            ("法律咨询", 3, D), ("法律援助申请代办", 7, D), ("人民调解协议司法确认代办", 15, D), ("公证业务咨询", 3, D),
        ]),
    ]),
    ("人居环境", [
        ("环境卫生", [
            ("生活垃圾清运", 24, H), ("乱堆乱放清理", 48, H), ("坑塘沟渠清理", 7, D), ("公共厕所保洁报修", 48, H),
        ]),
        ("市政设施", [
            ("路灯报修", 48, H), ("道路破损报修", 7, D), ("下水道疏通", 24, H), ("井盖缺失报修", 12, H),
        ]),
        ("园林绿化", [
            ("树木修剪", 7, D), ("绿地补植", 15, D), ("倒伏树木清理", 24, H),
        ]),
    ]),
    ("农业农村", [
        ("农业生产", [
            ("惠农补贴申报代办", 10, D), ("农技专家指导预约", 5, D), ("农资购买对接", 5, D), ("农机作业服务对接", 3, D),
        ]),
        ("农产品销售", [
            ("农产品销售对接", 7, D), ("电商代销服务", 7, D), ("农产品质量检测送检", 5, D),
        ]),
        ("集体事务", [
            ("土地流转咨询与对接", 7, D), ("集体收益分配查询", 3, D), ("村务公开查询", 3, D),
            ("三资管理问题反映", 7, D),
        ]),
    ]),
    ("党群服务", [
        ("党员服务", [
            ("组织关系转接代办", 7, D), ("党费缴纳咨询", 2, D), ("困难党员帮扶", 7, D), ("流动党员联系服务", 5, D),
            ("老党员上门送学", 7, D), ("入党申请咨询", 3, D),
        ]),
        ("志愿与关爱", [
            ("志愿服务需求对接", 3, D), ("留守儿童关爱帮扶", 5, D), ("四点半课堂报名", 3, D),
            ("邻里互助需求对接", 3, D), ("图书借阅送上门", 5, D), ("文明实践活动报名", 3, D),
            ("困境儿童关爱帮扶", 5, D),
        ]),
    ]),
]  # fmt: skip

DEFAULT_CARE_TAGS = [
    "独居老人", "空巢老人", "高龄老人", "残疾人", "低保户", "特困供养", "留守儿童", "困境儿童", "重病患者",
    "退役军人", "失业人员", "重点关注人员",
]  # fmt: skip


def load_defaults(category_model, subcategory_model, item_model, tag_model) -> tuple[int, int]:
    """Add whatever of the default list and tags is missing. Returns (items added, tags added).

    Takes the model classes so the data migration can pass its historical models.
    """
    categories = {c.name: c for c in category_model.objects.all()}
    new_categories = [
        category_model(name=name, order=i)
        for i, (name, _subs) in enumerate(DEFAULT_CATALOGUE, start=1)
        if name not in categories
    ]
    for category in category_model.objects.bulk_create(new_categories):
        categories[category.name] = category
    subcategories = {(s.category_id, s.name): s for s in subcategory_model.objects.all()}
    new_subcategories = [
        subcategory_model(category=categories[cat_name], name=sub_name, order=j)
        for cat_name, subs in DEFAULT_CATALOGUE
        for j, (sub_name, _items) in enumerate(subs, start=1)
        if (categories[cat_name].pk, sub_name) not in subcategories
    ]
    for sub in subcategory_model.objects.bulk_create(new_subcategories):
        subcategories[(sub.category_id, sub.name)] = sub
    existing_items = set(item_model.objects.values_list("subcategory_id", "name"))
    new_items = [
        item_model(subcategory=sub, name=name, order=k, time_limit=limit, time_unit=unit)
        for cat_name, subs in DEFAULT_CATALOGUE
        for sub_name, items in subs
        for sub in [subcategories[(categories[cat_name].pk, sub_name)]]
        for k, (name, limit, unit) in enumerate(items, start=1)
        if (sub.pk, name) not in existing_items
    ]
    item_model.objects.bulk_create(new_items)
    existing_tags = set(tag_model.objects.values_list("name", flat=True))
    new_tags = [tag_model(name=name, order=i) for i, name in enumerate(DEFAULT_CARE_TAGS, start=1)]
    tag_model.objects.bulk_create([t for t in new_tags if t.name not in existing_tags])
    return len(new_items), len([t for t in new_tags if t.name not in existing_tags])
