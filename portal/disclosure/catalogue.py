"""The national disclosure catalogue, seeded from the official sources (found with the search
tool on 3 December 2026; each item records where it comes from). The Ministry's opinion sets the
kinds of information a school publishes of its own accord; the district bureaus' standard
catalogues for compulsory education (义务教育领域基层政务公开标准目录) give the columns 公开事项 ·
公开内容 · 公开依据 · 公开时限 · 公开主体 · 公开对象 and the usual time limit: 20 working days from
the day the information is formed or changed. A district adds its own items through the portal;
these national ones are never removed (DisclosureItem.remove)."""

from sqlalchemy import select

from portal.disclosure.models import (
    DisclosureAudience,
    DisclosureCategory,
    DisclosureItem,
    Publisher,
    SatisfiedBy,
)
from portal.extensions import db

MOE_OPINION = "《教育部关于推进中小学信息公开工作的意见》（教办〔2010〕15号）"
QINGPU = (
    "青浦区教育局义务教育领域基层政务公开标准目录（2023年）",
    "https://www.shqp.gov.cn/edu/eduzwgk/xxgk/sm/20230927/1140127.html",
)
XIANGAN = (
    "香山街道义务教育领域基层政务公开标准目录（厦门市翔安区，2024年）",
    "http://www.xiangan.gov.cn/mlxa/ztzl/jczw/zjsd/xsjd/202408/t20240809_1063200.htm",
)
SHIYANG = (
    "石羊镇义务教育领域基层政务公开标准目录（云南省大姚县，2023年）",
    "http://dayao.gov.cn/info/egovinfo/1007/overt_centent/dyx033-/2023-0913016.htm",
)
MINZHONG = (
    "民众镇义务教育领域基层政务公开标准目录（广东省中山市）",
    "http://m.fyjszy.com/mzz/mzmulu/content/post_1864545.html",
)
SUPERVISION_RULES = "《中小学校责任督学挂牌督导办法》（国务院教育督导委员会办公室，2013年）"
REGULATIONS = "《中华人民共和国政府信息公开条例》"
ENROLMENT_OPINION = "《教育部关于进一步做好小学升入初中免试就近入学工作的实施意见》"

# Each item: the catalogue's columns; `source` is (document title, address or "").
NATIONAL_ITEMS = [
    dict(
        code="basic-profile",
        category=DisclosureCategory.BASIC,
        title_zh="学校基本情况",
        title_en="School profile",
        content_zh="办学性质、办学地点、办学规模、办学基本条件、联系方式",
        content_en="Type of school, address, size, facilities, contact details",
        basis=f"{REGULATIONS}{MOE_OPINION}",
        source=SHIYANG,
    ),
    dict(
        code="basic-organisation",
        category=DisclosureCategory.BASIC,
        title_zh="机构设置与职能",
        title_en="Leadership and departments",
        content_zh="学校领导班子成员及分工、内设机构及职能",
        content_en="The school's leaders and their duties, its departments and what they do",
        basis=MOE_OPINION,
        source=(MOE_OPINION, ""),
    ),
    dict(
        code="basic-plan",
        category=DisclosureCategory.BASIC,
        title_zh="发展规划与年度工作计划",
        title_en="Development plan and yearly work plan",
        content_zh="学校发展规划、年度工作计划及其执行情况",
        content_en="The school's development plan, this year's work plan and how it is going",
        basis=MOE_OPINION,
        source=(MOE_OPINION, ""),
    ),
    dict(
        code="admissions-policy",
        category=DisclosureCategory.ADMISSIONS,
        title_zh="招生政策",
        title_en="Admissions policy",
        content_zh="招生工作实施方案；随迁子女入学办法",
        content_en="How admissions work this year; admission of children of families who moved here",
        basis=f"{REGULATIONS}{ENROLMENT_OPINION}{MOE_OPINION}",
        source=XIANGAN,
    ),
    dict(
        code="admissions-plan",
        category=DisclosureCategory.ADMISSIONS,
        title_zh="招生计划",
        title_en="Admissions plan",
        content_zh="本年度招生计划",
        content_en="How many pupils the school admits this year, in which grades",
        basis=f"{REGULATIONS}{ENROLMENT_OPINION}{MOE_OPINION}",
        source=MINZHONG,
    ),
    dict(
        code="admissions-catchment",
        category=DisclosureCategory.ADMISSIONS,
        title_zh="招生范围",
        title_en="Catchment area",
        content_zh="招生范围、学区划分详细情况",
        content_en="The catchment area and how it is drawn, in detail",
        basis=f"{REGULATIONS}{ENROLMENT_OPINION}{MOE_OPINION}",
        source=XIANGAN,
    ),
    dict(
        code="admissions-status-rules",
        category=DisclosureCategory.ADMISSIONS,
        title_zh="学籍管理与评价奖励办法",
        title_en="Pupil records, assessment and awards",
        content_zh="学籍管理规定、学生评价及奖励办法",
        content_en="The rules for pupils' records, how pupils are assessed and rewarded",
        basis=MOE_OPINION,
        audience=DisclosureAudience.PARENTS,
        source=(MOE_OPINION, ""),
    ),
    dict(
        code="finance-fees",
        category=DisclosureCategory.FINANCE,
        title_zh="收费项目及标准",
        title_en="Fees and their basis",
        content_zh="收费的类别、项目、标准、依据、范围、审批机关和监督电话",
        content_en="What is charged, how much, on what basis, who approved it, and the number to complain to",
        basis=f"{REGULATIONS}{MOE_OPINION}",
        source=SHIYANG,
    ),
    dict(
        code="finance-budget",
        category=DisclosureCategory.FINANCE,
        title_zh="年度经费预决算",
        title_en="Annual budget and accounts",
        content_zh="年度经费预决算信息；学校资产和捐赠物资的管理和使用",
        content_en="The year's budget and final accounts; how the school's assets and donations are managed and used",
        basis=f"{REGULATIONS}{MOE_OPINION}",
        source=SHIYANG,
    ),
    dict(
        code="finance-rules",
        category=DisclosureCategory.FINANCE,
        title_zh="财务管理及监督办法",
        title_en="Financial rules and oversight",
        content_zh="财务管理及监督办法；大宗物资采购、基建维修的招标结果和执行情况",
        content_en=(
            "How the school's money is managed and checked; tenders for large purchases and building work, "
            "and their results"
        ),
        basis=f"{REGULATIONS}{MOE_OPINION}",
        source=SHIYANG,
    ),
    dict(
        code="finance-aid",
        category=DisclosureCategory.FINANCE,
        title_zh="学生资助",
        title_en="Financial aid for pupils",
        content_zh="资助政策、申请条件、审批程序及结果（如“两免一补”）",
        content_en=(
            "Aid available, who may apply, how it is decided, and the results "
            "(for example the “two exemptions, one subsidy”)"
        ),
        basis=f"{REGULATIONS}{MOE_OPINION}",
        audience=DisclosureAudience.PARENTS,
        source=SHIYANG,
    ),
    dict(
        code="governance-charter",
        category=DisclosureCategory.GOVERNANCE,
        title_zh="学校章程",
        title_en="The school's charter",
        content_zh="现行学校章程全文",
        content_en="The full text of the charter in force",
        basis=MOE_OPINION,
        satisfied_by=SatisfiedBy.CHARTER,
        source=(MOE_OPINION, ""),
    ),
    dict(
        code="governance-decisions",
        category=DisclosureCategory.GOVERNANCE,
        title_zh="重大事项决策",
        title_en="Major decisions",
        content_zh="涉及师生员工切身利益的重大事项及其决定",
        content_en="Decisions on matters that affect pupils and staff directly",
        basis=MOE_OPINION,
        satisfied_by=SatisfiedBy.DECISION,
        source=(MOE_OPINION, ""),
    ),
    dict(
        code="governance-minutes",
        category=DisclosureCategory.GOVERNANCE,
        title_zh="校务委员会与教代会会议纪要",
        title_en="Minutes of the board and the staff congress",
        content_zh="校务委员会、教职工代表大会等听取意见的会议纪要",
        content_en="Approved minutes of the meetings where the school heard its community",
        basis=MOE_OPINION,
        satisfied_by=SatisfiedBy.MINUTES,
        source=(MOE_OPINION, ""),
    ),
    dict(
        code="governance-consultation",
        category=DisclosureCategory.GOVERNANCE,
        title_zh="征求意见及采纳情况",
        title_en="Consultations and what was done",
        content_zh="公开征求意见的结果及采纳情况",
        content_en="What a consultation heard and what the school changed because of it",
        basis=MOE_OPINION,
        satisfied_by=SatisfiedBy.OUTCOME,
        source=(MOE_OPINION, ""),
    ),
    dict(
        code="safety-emergency",
        category=DisclosureCategory.SAFETY,
        title_zh="安全管理与应急预案",
        title_en="Safety rules and emergency plans",
        content_zh="学生住宿、就餐和活动的安全管理；自然灾害、传染病等突发事件的应急预案和处置",
        content_en=(
            "Safety in boarding, meals and activities; plans for natural disasters, epidemics and other emergencies"
        ),
        basis=f"{REGULATIONS}{MOE_OPINION}",
        source=(MOE_OPINION, ""),
    ),
    dict(
        code="safety-supervisor",
        category=DisclosureCategory.SAFETY,
        title_zh="责任督学挂牌督导",
        title_en="The responsible supervisor",
        content_zh="责任督学姓名、照片、联系方式和督导事项（挂牌公示）",
        content_en="The responsible supervisor's name, photo, contact and duties (posted at the school gate)",
        basis=SUPERVISION_RULES,
        source=(SUPERVISION_RULES, ""),
    ),
    dict(
        code="safety-supervision-report",
        category=DisclosureCategory.SAFETY,
        title_zh="督导评估报告",
        title_en="Supervision and evaluation reports",
        content_zh="督导评估结果及整改情况",
        content_en="What the supervisors found and what the school did about it",
        basis=f"{REGULATIONS}{SUPERVISION_RULES}",
        publisher=Publisher.BUREAU,
        source=QINGPU,
    ),
]


def seed_national_catalogue() -> list[DisclosureItem]:
    """Add the national items that are missing (by code); safe to run again. Flushes."""
    known = set(db.session.scalars(select(DisclosureItem.code)))
    added = []
    for position, row in enumerate(NATIONAL_ITEMS):
        if row["code"] in known:
            continue
        details = dict(row)
        source_title, source_url = details.pop("source")
        item = DisclosureItem(position=position, source_title=source_title, source_url=source_url, **details)
        db.session.add(item)
        added.append(item)
    db.session.flush()
    return added
