"""Response shapes of credit subjects (信用主体), for every API that shows a firm or a person.

Persons are masked unless the viewer is the person themself (or staff, audited): build the dict
with :func:`person_view` and dump it with :class:`PersonMaskedSchema`. Dumping a ``Person`` object
directly with that schema masks it, so a forgotten ``person_view`` call never leaks.
"""

from __future__ import annotations

from marshmallow import Schema, fields, pre_dump

from backend.common.crypto import mask_id_number, mask_name, mask_phone
from backend.subjects.models import Firm, Person

# GB 32100-2015 登记管理部门码 + 机构类别码 → the label shown to the public.
ENTITY_TYPE_LABELS = {
    "11": "机关", "12": "事业单位", "13": "中央编办直接管理机构编制的群众团体", "19": "其他（机构编制）",
    "21": "外国常驻新闻机构", "29": "其他（外交）",
    "31": "律师执业机构", "32": "公证处", "33": "基层法律服务所", "34": "司法鉴定机构", "35": "仲裁委员会",
    "39": "其他（司法行政）",
    "41": "外国在华文化中心", "49": "其他（文化）",
    "51": "社会团体", "52": "民办非企业单位", "53": "基金会", "59": "其他（民政）",
    "61": "外国旅游部门常驻代表机构", "62": "港澳台地区旅游部门常驻内地（大陆）代表机构", "69": "其他（旅游）",
    "71": "宗教活动场所", "72": "宗教院校", "79": "其他（宗教）",
    "81": "基层工会", "89": "其他（工会）",
    "91": "企业", "92": "个体工商户", "93": "农民专业合作社",
    "A1": "军队事业单位", "A9": "其他（军队）",
    "N1": "组级集体经济组织", "N2": "村级集体经济组织", "N3": "乡镇级集体经济组织", "N9": "其他（农业）",
    "Y1": "其他",
}

# GB/T 2260 province-level names (first two digits), and the Huai'an city codes we serve.
PROVINCE_NAMES = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区", "21": "辽宁省",
    "22": "吉林省", "23": "黑龙江省", "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省",
    "35": "福建省", "36": "江西省", "37": "山东省", "41": "河南省", "42": "湖北省", "43": "湖南省",
    "44": "广东省", "45": "广西壮族自治区", "46": "海南省", "50": "重庆市", "51": "四川省", "52": "贵州省",
    "53": "云南省", "54": "西藏自治区", "61": "陕西省", "62": "甘肃省", "63": "青海省",
    "64": "宁夏回族自治区", "65": "新疆维吾尔自治区", "71": "台湾省", "81": "香港特别行政区",
    "82": "澳门特别行政区",
}
LOCAL_REGION_NAMES = {
    "100000": "国家级",
    "320000": "江苏省",
    "320800": "江苏省淮安市",
    "320803": "江苏省淮安市淮安区",
    "320804": "江苏省淮安市淮阴区",
    "320812": "江苏省淮安市清江浦区",
    "320813": "江苏省淮安市洪泽区",
    "320826": "江苏省淮安市涟水县",
    "320830": "江苏省淮安市盱眙县",
    "320831": "江苏省淮安市金湖县",
    "320871": "江苏省淮安经济技术开发区",
}


def region_name(code: str | None) -> str | None:
    """The best name we know for a GB/T 2260 code: the district for Huai'an, else the province."""
    if not code:
        return None
    return LOCAL_REGION_NAMES.get(code) or PROVINCE_NAMES.get(code[:2])


def entity_type_label(entity_type: str | None) -> str | None:
    return ENTITY_TYPE_LABELS.get(entity_type or "")


# --- persons -------------------------------------------------------------------------------


def person_view(person: Person, unmasked: bool) -> dict:
    """A person as a plain dict, masked unless ``unmasked`` (the owner, or audited staff access).

    ``unmasked`` is the caller's decision; :func:`backend.subjects.services.view_person` makes it
    for you and writes the audit entry.
    """
    return {
        "id": person.id,
        "name": person.name if unmasked else mask_name(person.name),
        "id_number": person.id_number if unmasked else mask_id_number(person.id_number),
        "phone": person.phone if unmasked else mask_phone(person.phone),
        "gender": person.gender,
        "birth_year": person.birth_year,
        "region_code": person.region_code,
        "masked": not unmasked,
    }


class PersonMaskedSchema(Schema):
    """A person in a response: dump ``person_view(...)``; a bare ``Person`` is masked."""

    id = fields.Integer(metadata={"description": "主体编号"})
    name = fields.String(metadata={"description": "姓名（脱敏：张*）"})
    id_number = fields.String(metadata={"description": "身份证号码（脱敏：320803********123X）"})
    phone = fields.String(allow_none=True, metadata={"description": "手机号码（脱敏：138****5678）"})
    gender = fields.String(metadata={"description": "M 男 / F 女"})
    birth_year = fields.Integer()
    region_code = fields.String(metadata={"description": "户籍地区码（身份证前6位）"})
    masked = fields.Boolean(metadata={"description": "是否已脱敏"})

    @pre_dump
    def _mask_bare_person(self, obj, **kwargs):
        return person_view(obj, unmasked=False) if isinstance(obj, Person) else obj


# --- firms ---------------------------------------------------------------------------------


def firm_public_view(firm: Firm) -> dict:
    """The public registration basics (登记基本信息) of a firm: nothing that is not public."""
    rep = firm.legal_rep
    return {
        "uscc": firm.uscc,
        "name": firm.name,
        "entity_type": firm.entity_type,
        "entity_type_label": entity_type_label(firm.entity_type),
        "region_code": firm.region_code,
        "region_name": region_name(firm.region_code),
        "established_on": firm.established_on,
        "registered_capital": firm.registered_capital,
        "address": firm.address,
        "industry": firm.industry,
        "reg_status": firm.reg_status,
        "legal_rep_title": firm.legal_rep_title if rep is not None else None,
        "legal_rep_name": mask_name(rep.name) if rep is not None else None,
    }


class FirmPublicSchema(Schema):
    """``GET /public/v1/firms/{uscc}``: public registration basics; the legal rep's name masked."""

    uscc = fields.String(metadata={"description": "统一社会信用代码"})
    name = fields.String(metadata={"description": "主体名称"})
    entity_type = fields.String(metadata={"description": "代码前两位：91 企业、92 个体工商户、93 农民专业合作社…"})
    entity_type_label = fields.String(allow_none=True, metadata={"description": "主体类型"})
    region_code = fields.String(metadata={"description": "登记地行政区划码"})
    region_name = fields.String(allow_none=True)
    established_on = fields.Date(allow_none=True, metadata={"description": "成立日期"})
    registered_capital = fields.String(allow_none=True, metadata={"description": "注册资本"})
    address = fields.String(allow_none=True, metadata={"description": "住所"})
    industry = fields.String(allow_none=True, metadata={"description": "行业"})
    reg_status = fields.String(metadata={"description": "登记状态：存续、注销、吊销…"})
    legal_rep_title = fields.String(allow_none=True, metadata={"description": "法定代表人 / 负责人 / 经营者"})
    legal_rep_name = fields.String(allow_none=True, metadata={"description": "姓名（脱敏：张*）"})

    @pre_dump
    def _from_firm(self, obj, **kwargs):
        return firm_public_view(obj) if isinstance(obj, Firm) else obj
