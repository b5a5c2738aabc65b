"""Vocabulary of the demo district: names, places, firms, and credit-record templates.

Everything here is invented but shaped like the real thing: firm names follow 淮安区 + 字号 + 行业 +
组织形式, decision numbers follow each department's 文书号 style (淮区市监罚〔2026〕15号, the court's
（2024）苏0803执1234号), legal bases cite the laws such decisions cite. No entry names a real company
or person.
"""

from __future__ import annotations

from dataclasses import dataclass

HUAIAN_DISTRICT = "320803"  # 淮安区
# Region codes of neighbours in 淮安市 (GB/T 2260): residents of the district were often born there.
NEARBY_REGIONS = ("320804", "320812", "320813", "320826", "320830", "320831")

SURNAMES = (
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "朱", "马", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏",
)
GIVEN_CHARS = (
    "伟", "芳", "娜", "秀", "英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "兰", "霞", "平", "刚", "桂", "文", "辉", "建", "华", "玉", "红", "志", "国",
    "海", "春", "晨", "浩", "宇", "欣", "怡", "佳", "琳", "鹏", "飞", "凯", "婷", "雪", "梅", "龙",
)
MOBILE_PREFIXES = ("138", "139", "137", "158", "159", "187", "188", "151", "152", "182", "135", "136", "150", "189", "180", "133")

# Towns and streets (镇、街道) of 淮安区, and invented road names.
TOWNS = (
    "淮城街道", "河下街道", "平桥镇", "车桥镇", "施河镇", "钦工镇", "苏嘴镇", "博里镇", "流均镇",
    "顺河镇", "马甸镇", "南闸镇", "季桥镇", "石塘镇", "溪河镇", "林集镇",
)
ROADS = ("建设路", "人民路", "富民路", "兴业路", "幸福路", "工业园路", "运河路", "永安路", "新民路", "创业大道")

TRADE_NAMES = (
    "瑞丰", "恒达", "鑫源", "润泽", "嘉禾", "汇通", "盛和", "永顺", "华康", "益民", "锦程", "新淮",
    "运河", "丰年", "宏运", "聚福", "安泰", "德润", "禾润", "金穗", "长兴", "天和", "宜家", "万通",
    "诚达", "佳信", "百味", "鸿源", "富邦", "协力", "兴旺", "和顺",
)

# (行业 in the name, industry label, 领域 for the repair rules, registered capital range in 万元)
FIRM_INDUSTRIES = (
    ("食品", "食品制造业", "食品", (50, 800)),
    ("餐饮管理", "餐饮业", "食品", (10, 200)),
    ("医药连锁", "零售业", "药品", (100, 1000)),
    ("建筑工程", "建筑业", "安全生产", (500, 5000)),
    ("物流", "道路运输业", None, (100, 2000)),
    ("纺织", "纺织业", None, (200, 3000)),
    ("机械制造", "通用设备制造业", "特种设备", (300, 5000)),
    ("化工", "化学原料和化学制品制造业", "安全生产", (1000, 8000)),
    ("商贸", "批发业", None, (10, 500)),
    ("农业科技", "农业", None, (50, 1000)),
    ("电子科技", "计算机、通信和其他电子设备制造业", None, (100, 3000)),
    ("环保科技", "生态保护和环境治理业", None, (100, 2000)),
)
# 个体工商户 (entity type 92): "淮安区车桥镇老王小吃店"
SHOP_KINDS = (("小吃店", "餐饮业", "食品"), ("便利店", "零售业", None), ("理发店", "居民服务业", None),
              ("五金店", "零售业", None), ("药房", "零售业", "药品"), ("水产摊", "零售业", "食品"))
# 农民专业合作社 (entity type 93): "淮安区施河镇金穗稻米种植专业合作社"
COOP_KINDS = (("稻米种植", "农业"), ("蔬菜种植", "农业"), ("生猪养殖", "畜牧业"), ("水产养殖", "渔业"),
              ("苗木种植", "林业"))


@dataclass(frozen=True)
class RecordTemplate:
    """One kind of decision a department takes, with the words it uses.

    ``doc`` is the decision-number pattern (``{y}`` year, ``{n}`` serial). ``severities`` are the
    choices for negative kinds (empty: not applicable). ``subject`` is ``firm``, ``person`` or ``any``.
    """

    kind: str
    dept: str
    doc: str
    title: str
    summary: str
    legal_basis: str | None = None
    severities: tuple[str, ...] = ()
    domain: str | None = None
    amount: tuple[int, int] | None = None
    subject: str = "firm"
    result: str | None = None  # 检查结果 of an inspection (行政监督检查)


T = RecordTemplate
RECORD_TEMPLATES: tuple[RecordTemplate, ...] = (
    # 行政许可
    T("admin_license", "XZSP", "淮区审批食许〔{y}〕{n}号", "食品经营许可证核发",
      "准予从事预包装食品销售、热食类食品制售，有效期五年。", "《中华人民共和国食品安全法》第三十五条",
      domain="食品"),
    T("admin_license", "XZSP", "淮区审批建许〔{y}〕{n}号", "建筑工程施工许可",
      "准予在淮安区施工，工程规模以许可证载明为准。", "《中华人民共和国建筑法》第七条"),
    T("admin_license", "JTYS", "淮区交运许〔{y}〕{n}号", "道路运输从业人员从业资格证核发",
      "准予从事道路货物运输驾驶员工作。", "《中华人民共和国道路运输条例》第二十二条", subject="person"),
    # 行政处罚
    T("admin_penalty", "SCJG", "淮区市监罚〔{y}〕{n}号", "销售不符合食品安全标准的食品",
      "当事人销售的散装糕点菌落总数超标，责令改正，没收违法所得并处罚款。",
      "《中华人民共和国食品安全法》第一百二十四条", ("general", "serious"), "食品", (5000, 100000)),
    T("admin_penalty", "SCJG", "淮区市监罚〔{y}〕{n}号", "未按规定公示商品价格",
      "当事人经营场所未明码标价，责令改正并处罚款。", "《中华人民共和国价格法》第四十二条",
      ("minor", "general"), None, (500, 5000)),
    T("admin_penalty", "SW", "淮区税罚〔{y}〕{n}号", "未按照规定期限办理纳税申报",
      "当事人未按期申报增值税，处以罚款。", "《中华人民共和国税收征收管理法》第六十二条",
      ("minor",), None, (200, 2000)),
    T("admin_penalty", "YJGL", "淮区应急罚〔{y}〕{n}号", "未按规定对从业人员进行安全生产教育和培训",
      "责令限期改正并处罚款。", "《中华人民共和国安全生产法》第九十七条", ("general",), "安全生产",
      (10000, 50000)),
    T("admin_penalty", "XF", "淮区消行罚决字〔{y}〕{n}号", "消防设施、器材未保持完好有效",
      "当事人厂房内灭火器失效、疏散指示标志损坏，责令改正并处罚款。", "《中华人民共和国消防法》第六十条",
      ("general",), "消防", (5000, 50000)),
    T("admin_penalty", "STHJ", "淮区环罚〔{y}〕{n}号", "超过大气污染物排放标准排放大气污染物",
      "在线监测数据显示颗粒物排放超标，责令改正并处罚款。", "《中华人民共和国大气污染防治法》第九十九条",
      ("serious",), None, (100000, 500000)),
    T("admin_penalty", "CGJ", "淮区城管罚〔{y}〕{n}号", "擅自占用城市道路经营",
      "当事人在人行道上摆摊经营，责令改正并处罚款。", "《城市道路管理条例》第四十二条", ("minor",), None,
      (50, 500), subject="person"),
    T("admin_penalty", "JTYS", "淮区交运罚〔{y}〕{n}号", "未取得道路运输经营许可擅自从事道路运输经营",
      "当事人驾驶私家车非法营运，责令停止经营并处罚款。", "《中华人民共和国道路运输条例》第六十三条",
      ("general",), None, (5000, 20000), subject="person"),
    # 行政强制
    T("admin_coercion", "SCJG", "淮区市监强〔{y}〕{n}号", "查封、扣押涉嫌不符合食品安全标准的食品",
      "对涉嫌超范围使用食品添加剂的成品实施扣押。", "《中华人民共和国食品安全法》第一百一十条",
      ("general",), "食品"),
    T("admin_coercion", "SW", "淮区税强〔{y}〕{n}号", "税收强制执行：扣缴存款",
      "当事人逾期未缴纳税款，经催告仍未缴纳，从其存款中扣缴。", "《中华人民共和国税收征收管理法》第四十条",
      ("general", "serious"), None, (10000, 300000)),
    # 行政确认
    T("admin_confirmation", "RSJ", "淮区人社伤认〔{y}〕{n}号", "工伤认定",
      "职工在工作时间和工作场所内因工作原因受到事故伤害，认定为工伤。", "《工伤保险条例》第十四条"),
    T("admin_confirmation", "XZSP", "淮区审批确〔{y}〕{n}号", "食品小作坊登记",
      "准予登记为食品小作坊，生产品种：糕点。", "《江苏省食品小作坊和食品摊贩管理条例》第十条", domain="食品",
      subject="person"),
    # 行政征收
    T("admin_levy", "SW", "淮区税征〔{y}〕{n}号", "城镇土地使用税征收",
      "依法核定并征收城镇土地使用税。", "《中华人民共和国城镇土地使用税暂行条例》第三条", amount=(5000, 200000)),
    # 行政给付
    T("admin_payment", "RSJ", "淮区人社给〔{y}〕{n}号", "发放一次性创业补贴",
      "符合首次创业条件，发放一次性创业补贴。", "《江苏省就业促进条例》第二十五条", amount=(5000, 10000),
      subject="any"),
    T("admin_payment", "NYNC", "淮区农给〔{y}〕{n}号", "发放耕地地力保护补贴",
      "按承包耕地面积发放耕地地力保护补贴。", "《财政部 农业农村部关于全面推开农业“三项补贴”改革工作的通知》",
      amount=(300, 3000), subject="person"),
    # 行政裁决
    T("admin_adjudication", "ZRZY", "淮区自然资裁〔{y}〕{n}号", "土地权属争议行政裁决",
      "申请人与被申请人宅基地界址争议，依法作出裁决。", "《中华人民共和国土地管理法》第十四条", subject="any"),
    # 行政补偿
    T("admin_compensation", "ZRZY", "淮区自然资补〔{y}〕{n}号", "集体土地征收补偿",
      "因道路建设征收集体土地，依法给予补偿。", "《中华人民共和国土地管理法》第四十八条",
      amount=(20000, 300000), subject="any"),
    T("admin_compensation", "NYNC", "淮区农补〔{y}〕{n}号", "重大动物疫病强制扑杀补偿",
      "对依法强制扑杀的生猪给予补偿。", "《中华人民共和国动物防疫法》第六十三条", amount=(2000, 50000),
      subject="any"),
    # 行政奖励
    T("admin_reward", "SCJG", "淮区市监奖〔{y}〕{n}号", "淮安区“守合同重信用”企业",
      "连续两年合同履约良好，公示为守合同重信用企业。", "《江苏省“守合同重信用”企业公示办法》"),
    T("admin_reward", "SW", "淮区税奖〔{y}〕{n}号", "纳税信用A级纳税人",
      "年度纳税信用评价为A级。", "《纳税信用管理办法》第二十条"),
    T("admin_reward", "GA", "淮区公奖〔{y}〕{n}号", "见义勇为表彰",
      "在运河救起落水儿童，予以表彰奖励。", "《江苏省奖励和保护见义勇为人员条例》第九条", amount=(2000, 10000),
      subject="person"),
    # 行政监督检查 (双随机、一公开)
    T("admin_inspection", "SCJG", "淮区市监检〔{y}〕{n}号", "食品安全监督检查（双随机抽查）",
      "检查结果：未发现问题。", "《中华人民共和国食品安全法》第一百一十条", domain="食品",
      result="未发现问题"),
    T("admin_inspection", "YJGL", "淮区应急检〔{y}〕{n}号", "安全生产监督检查",
      "检查结果：发现问题，已责令限期整改。", "《中华人民共和国安全生产法》第六十五条", ("minor",),
      "安全生产", result="发现问题，已责令限期整改"),
    # 失信被执行人, 虚假诉讼失信人 (court case numbers)
    T("judgment_defaulter", "FY", "（{y}）苏0803执{n}号", "失信被执行人：有履行能力而拒不履行生效法律文书确定义务",
      "被执行人未履行生效判决确定的给付义务，纳入失信被执行人名单。",
      "《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条", ("serious",), None, (20000, 800000),
      subject="any"),
    T("false_litigant", "FY", "（{y}）苏0803民初{n}号", "虚假诉讼失信人",
      "当事人与他人恶意串通，虚构债务提起诉讼，依法予以罚款并纳入虚假诉讼失信人名单。",
      "《中华人民共和国民事诉讼法》第一百一十五条", ("serious",), None, (10000, 100000), subject="any"),
    # 违背信用承诺
    T("commitment_breach", "XZSP", "淮区审批诺〔{y}〕{n}号", "违背告知承诺：未在承诺期限内补齐许可材料",
      "当事人以告知承诺方式取得许可，逾期未补齐承诺材料，撤销许可。",
      "《江苏省社会信用条例》第二十九条", ("general",)),
    T("commitment_breach", "RSJ", "淮区人社诺〔{y}〕{n}号", "违背信用承诺：虚报创业补贴申请条件",
      "经核查不符合承诺的补贴条件，追回补贴。", "《江苏省社会信用条例》第二十九条", ("general",), None,
      (5000, 10000), subject="person"),
    # 表彰荣誉
    T("honour", "FGW", "淮区发改信〔{y}〕{n}号", "淮安区诚信经营示范单位",
      "经推荐、公示，评为年度诚信经营示范单位。", "《淮安市淮安区守信激励办法》"),
    T("honour", "FGW", "淮区发改信〔{y}〕{n}号", "淮安区诚信市民",
      "经推荐、公示，评为年度诚信市民。", "《淮安市淮安区守信激励办法》", subject="person"),
)


def templates_for(kind: str, subject: str) -> list[RecordTemplate]:
    """Templates of ``kind`` usable for a ``firm`` or ``person`` subject."""
    return [t for t in RECORD_TEMPLATES if t.kind == kind and t.subject in (subject, "any")]


def decision_number(template: RecordTemplate, year: int, serial: int) -> str:
    return template.doc.format(y=year, n=serial)


# List entries (红名单 / 重点关注 / 严重失信 / 禁入): (list type, department, decision pattern, reason,
# legal basis, ban domain, years listed or None for open-ended).
LIST_TEMPLATES = {
    "red": ("FGW", "淮区发改信〔{y}〕{n}号", "年度守信激励对象（红名单）：纳税信用A级且连续三年无失信记录。",
            "《淮安市淮安区守信激励办法》", None, 2),
    "watch": ("SCJG", "淮区市监异〔{y}〕{n}号", "列入经营异常名录：未按规定期限公示年度报告。",
              "《市场主体登记管理条例》第三十五条", None, 3),
    "serious": ("SCJG", "淮区市监严〔{y}〕{n}号", "列入严重违法失信名单：因食品安全违法行为受到较重行政处罚。",
                "《市场监督管理严重违法失信名单管理办法》第九条", None, 3),
    "ban": ("SCJG", "淮区市监禁〔{y}〕{n}号", "食品生产经营行业禁入：被吊销许可证后五年内不得申请食品生产经营许可。",
            "《中华人民共和国食品安全法》第一百三十五条", "食品药品", 5),
}


# 信用承诺 (commitments): (subject: "firm"/"person", index, type, department, document no, matter,
# content, signed on, valid until, kept on or None while active).
COMMITMENT_TEMPLATES = (
    ("firm", 0, "disclosure", "FGW", "淮区信诺〔2025〕18号", "守法诚信经营承诺（主动公示）",
     "本企业承诺依法诚信经营，所提交信息真实有效，自觉接受政府、行业和社会监督；如有违背，自愿接受约束和惩戒，并依法承担责任。",
     "2025-03-01", "2026-02-28", "2026-03-02"),
    ("firm", 0, "certification", "XZSP", "淮区审批诺〔2026〕231号", "食品经营许可证明事项告知承诺",
     "本企业承诺已符合食品经营许可规定的条件、标准和要求，相关证明材料真实有效；愿意承担不实承诺的法律责任。",
     "2026-09-10", "2027-09-09", None),
    ("firm", 20, "industry", "SCJG", "淮区餐协诺〔2026〕5号", "餐饮行业自律承诺",
     "本店承诺遵守餐饮行业自律公约：明码标价、不使用过期原料、落实食品安全主体责任。",
     "2026-06-01", "2027-05-31", None),
    ("firm", 7, "repair", "SCJG", "淮区修复诺〔2026〕12号", "信用修复承诺书",
     "本企业已补报年度报告并纠正失信行为，承诺今后按期公示年度报告；如再次失信，自愿接受从重惩戒。",
     "2026-08-01", "2027-07-31", None),
    ("firm", 3, "approval", "XZSP", "淮区投诺〔2025〕44号", "企业投资项目信用承诺（审批替代）",
     "本企业承诺项目开工前取得全部法定手续，严格按承诺内容建设运营，接受事中事后监管。",
     "2025-05-12", "2026-05-11", "2026-05-12"),
    ("person", 0, "certification", "RSJ", "淮区人社诺〔2026〕77号", "就业困难人员认定证明事项告知承诺",
     "本人承诺所报家庭及就业情况真实；如有不实，愿意退还所享受的补贴并承担相应责任。",
     "2026-10-08", "2027-10-07", None),
)


# 信用承诺事项清单 of 淮安区 departments (demo): (department, 事项编码, 事项名称, type, subject kinds,
# refuse 严重失信/禁入, term in months, template). Templates use the placeholders of
# backend/commitments/letters.py. Modelled on published 告知承诺 and 信用承诺书 forms; not official texts.
_FIRM_HEAD = "本单位{主体名称}（统一社会信用代码：{主体代码}，法定代表人：{法定代表人}）"
_PERSON_HEAD = "本人{主体名称}（公民身份号码：{主体代码}）"
_TAIL = ("如有违背，自愿接受{实施部门}依法依规作出的处理，同意将违诺信息记入信用档案并向社会公开。"
         "承诺期限至{承诺期限}。\n承诺日期：{签署日期}")
CATALOGUE = (
    ("XZSP", "XZSP-GZ-001", "食品经营许可告知承诺", "certification", "firm、sole_trader", True, 12,
     _FIRM_HEAD + "申请{审批事项}（受理编号：{审批文号}），郑重承诺：已经知晓告知的全部内容，已符合食品经营许可规定的"
     "条件、标准和要求，所提交材料真实、有效；愿意承担不实承诺的法律责任。" + _TAIL),
    ("XZSP", "XZSP-SP-002", "企业投资项目信用承诺（审批替代）", "approval", "firm", True, 24,
     _FIRM_HEAD + "就投资项目{审批事项}（项目代码：{审批文号}）郑重承诺：开工前依法取得全部法定手续，严格按照承诺内容"
     "开展建设和运营，主动接受事中事后监管。" + _TAIL),
    ("SCJG", "SCJG-GS-001", "守法诚信经营承诺（主动公示）", "disclosure", "firm、sole_trader", False, 12,
     _FIRM_HEAD + "郑重承诺：依法诚信经营，所公示信息真实准确，按期报送年度报告，自觉接受政府、行业和社会监督。" + _TAIL),
    ("SCJG", "SCJG-ZL-002", "餐饮行业自律承诺", "industry", "firm、sole_trader", False, 12,
     _FIRM_HEAD + "郑重承诺：遵守淮安区餐饮行业自律公约，明码标价，不使用过期变质原料，落实食品安全主体责任。" + _TAIL),
    ("SCJG", "SCJG-XF-003", "信用修复承诺（市场监管领域）", "repair", "firm、sole_trader", False, 12,
     _FIRM_HEAD + "郑重承诺：已纠正失信行为、履行法定义务，今后严格遵守市场监督管理法律法规；如再次失信，"
     "自愿接受从重惩戒。" + _TAIL),
    ("FGW", "FGW-XF-001", "信用修复承诺书", "repair", "person、firm、sole_trader", False, 12,
     "{主体名称}（代码：{主体代码}）郑重承诺：已按要求纠正失信行为并履行相关义务，所提交的信用修复材料真实有效。" + _TAIL),
    ("RSJ", "RSJ-GZ-001", "就业困难人员认定证明事项告知承诺", "certification", "person", True, 12,
     _PERSON_HEAD + "申请{审批事项}（受理编号：{审批文号}），郑重承诺：所报家庭及就业情况真实；如有不实，"
     "愿意退还所享受的补贴并承担相应法律责任。" + _TAIL),
    ("ZJJ", "ZJJ-ZL-001", "建筑业企业行业自律承诺", "industry", "firm", True, 24,
     _FIRM_HEAD + "郑重承诺：遵守建筑市场秩序，不转包、违法分包，按时足额支付农民工工资，落实安全生产主体责任。" + _TAIL),
    ("WJW", "WJW-GS-001", "医疗机构依法执业承诺（主动公示）", "disclosure", "firm", False, 12,
     _FIRM_HEAD + "郑重承诺：依法执业，规范收费，保障医疗质量与安全，主动公开服务信息。" + _TAIL),
    ("SW", "SW-GS-001", "纳税信用承诺（主动公示）", "disclosure", "firm、sole_trader", False, 12,
     _FIRM_HEAD + "郑重承诺：依法办理涉税事项，按期如实申报缴纳税款，不虚开发票。" + _TAIL),
)
INTEGRITY_NOTICE = (
    "诚信提示",
    "诚实守信是中华民族的传统美德。您签署的信用承诺将记入信用档案；主动公示型、行业自律型、信用修复型承诺将在"
    "“信用淮安区”网站公示。请如实承诺、自觉履约。违背承诺的，将记入违背信用承诺信息，列为重点监管对象；"
    "情节严重的，依法依规实施联合惩戒。",
)
