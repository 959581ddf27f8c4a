"""Demo charters: two adopted versions of a realistic school charter (学校章程) for a school.

Version 1 was adopted in 2021. Version 2 (2025) amends four articles (the school's goals after
Chongqing's Education Modernization 2035, the leadership system, the school affairs committee,
how fees are published) and adds one (publishing and consulting through this portal), which
renumbers the articles after it, as real amendments do.
"""

from datetime import date, time

from portal import clock
from portal.charters import services
from portal.charters.structure import chinese_numeral
from portal.schools.models import School, SchoolType

STAGE = {
    SchoolType.PRIMARY: ("小学", "实施六年制义务教育"),
    SchoolType.JUNIOR: ("初级中学", "实施三年制初中义务教育"),
    SchoolType.SENIOR: ("普通高级中学", "实施普通高中教育"),
    SchoolType.VOCATIONAL: ("中等职业学校", "实施中等职业教育"),
    SchoolType.SPECIAL: ("特殊教育学校", "实施特殊教育"),
}

VERSION_1 = (
    date(2021, 6, 25),
    date(2021, 9, 1),
    "学校首部章程，经第五届教职工代表大会第二次会议审议通过，报主管部门核准。",
)
VERSION_2 = (
    date(2025, 3, 28),
    date(2025, 4, 1),
    "依据中小学校党组织领导的校长负责制和《重庆教育现代化2035》修订：完善领导体制、办学目标、校务委员会议事规则和收费公示方式，新增通过学校治理门户公开信息和征求意见的条款。",
)

# The articles that version 2 replaces, and the one it adds after the parents' committee.
GOAL_V1 = "**第七条** 学校的办学目标是：建设管理规范、质量优良、特色鲜明、人民满意的现代化学校。"
GOAL_V2 = (
    "**第七条** 学校的办学目标是：对标《重庆教育现代化2035》，"
    "建设治理规范、质量优良、特色鲜明、开放包容、人民满意的现代化学校。"
)
LEADERSHIP_V1 = "**第八条** 学校实行校长负责制。校长是学校的法定代表人，全面负责学校的教育教学和行政管理工作。"
LEADERSHIP_V2 = (
    "**第八条** 学校实行中国共产党基层组织领导的校长负责制。学校党组织把方向、管大局、作决策、保落实，"
    "校长是学校的法定代表人，在学校党组织领导下全面负责学校的教育教学和行政管理工作。"
)
COMMITTEE_V1 = (
    "**第十条** 学校设立校务委员会，由校长、副校长、教职工代表和家长代表组成，审议学校发展规划、年度工作计划、"
    "重要规章制度和涉及师生切身利益的重大事项。校务委员会每学期至少召开一次会议。"
)
COMMITTEE_V2 = (
    "**第十条** 学校设立校务委员会，由校长、副校长、教职工代表、家长代表和社区代表组成，"
    "审议学校发展规划、年度工作计划、重要规章制度和涉及师生切身利益的重大事项。"
    "校务委员会每学期至少召开两次会议，会议纪要经审定后在学校治理门户公开。"
)
PORTAL_ARTICLE = (
    "**第十五条** 学校通过重庆市学校治理与参与门户公开章程、会议纪要和校务决定；涉及学生和家长切身利益的重大事项，"
    "在作出决定前公开征求意见，征求意见期一般不少于十五日，并公开意见采纳情况及理由。"
)


def _fees(number: str, version: int) -> str:
    published = "在校园公示栏公示" if version == 1 else "在校园公示栏和学校治理门户同时公示"
    return (
        f"**第{number}条** 学校经费主要来源于财政拨款。学校严格执行国家和重庆市收费政策，"
        f"收费项目、标准和依据{published}，接受家长和社会监督，不得擅自设立收费项目。"
    )


def charter_text(school: School, version: int) -> str:
    """The text of version 1 or 2 of `school`'s charter."""
    kind, stage = STAGE.get(school.type, STAGE[SchoolType.PRIMARY])
    authority = school.authority.name_zh
    address = school.address or "（地址）"
    # Version 2 inserts an article after the fourteenth: every later article moves up by one.
    n = (lambda k: k) if version == 1 else (lambda k: k + 1 if k >= 15 else k)

    def label(k: int) -> str:
        return chinese_numeral(n(k))

    chapters = [
        f"# {school.name_zh}章程",
        "# 第一章 总则",
        f"**第一条** 为全面贯彻党的教育方针，落实立德树人根本任务，规范{school.name_zh}（以下简称“学校”）的办学行为，"
        "保障学校、教职工和学生的合法权益，依据《中华人民共和国教育法》《中华人民共和国义务教育法》《中华人民共和国未成年人保护法》"
        "《中华人民共和国教师法》等法律法规，结合学校实际，制定本章程。",
        f"**第二条** 学校中文名称为{school.name_zh}，英文名称为 {school.name_en}。",
        f"**第三条** 学校地址：{address}。",
        f"**第四条** 学校是由政府举办的全日制公办{kind}，{stage}，具有事业单位法人资格，"
        f"业务上接受{authority}的管理和指导。",
        "# 第二章 办学宗旨与目标",
        "**第五条** 学校坚持社会主义办学方向，坚持教育为人民服务，促进学生德智体美劳全面发展。",
        "**第六条** 学校的培养目标是：培养有理想、有本领、有担当，身心健康、乐于学习、善于合作的新时代好少年。",
        GOAL_V1 if version == 1 else GOAL_V2,
        "# 第三章 组织机构与管理",
        LEADERSHIP_V1 if version == 1 else LEADERSHIP_V2,
        "**第九条** 校长依法行使下列职权：\n\n1. 主持学校日常工作，组织实施学校发展规划和年度工作计划；\n"
        "2. 决定学校内部机构设置，按规定聘任和解聘教职工；\n3. 管理和使用学校经费与资产；\n"
        "4. 维护学校、教职工和学生的合法权益。",
        COMMITTEE_V1 if version == 1 else COMMITTEE_V2,
        "**第十一条** 学校实行教职工代表大会制度。教职工代表大会是教职工依法参与学校民主管理和监督的基本形式，"
        "每学年至少召开一次，审议学校章程修订、发展规划、绩效工资分配方案等重要事项。",
        "**第十二条** 学校设立德育处、教务处、总务处和安全办公室等内部机构，各司其职，分工协作。",
        "# 第四章 家长委员会与社会参与",
        "**第十三条** 学校建立校级、年级和班级三级家长委员会。"
        "家长委员会委员由家长民主推选产生，任期一般为一学年，可以连选连任。",
        "**第十四条** 家长委员会参与学校管理，对学校工作提出意见和建议，参与监督学校食堂、收费、校服采购等事项，"
        "协助学校开展家庭教育指导。",
        *([PORTAL_ARTICLE] if version == 2 else []),
        f"**第{label(15)}条** 学校加强与社区、公共文化机构和企事业单位的合作，"
        "在保障安全的前提下向社区有序开放体育场地设施。",
        "# 第五章 学生",
        f"**第{label(16)}条** 学校按照就近入学的原则招收适龄学生，依法建立和管理学生学籍，不举行任何形式的入学考试。",
        f"**第{label(17)}条** 学生享有参加教育教学活动、公正评价、获得奖励和资助、对学校工作提出意见和申诉等权利。",
        f"**第{label(18)}条** 学生应当遵守法律法规和《中小学生守则》，"
        "尊敬师长，团结同学，努力学习，积极参加劳动和体育锻炼。",
        f"**第{label(19)}条** 学校建立学生欺凌防控和心理健康教育工作机制，"
        "对表现突出的学生给予表彰，对犯有错误的学生以教育为主。",
        "# 第六章 教职工",
        f"**第{label(20)}条** 学校实行教职工聘用制度和岗位管理制度，按照国家规定的标准配备教职工。",
        f"**第{label(21)}条** 教职工享有法律法规规定的权利，履行教书育人、关爱学生、为人师表等义务，参与学校民主管理。",
        f"**第{label(22)}条** 学校把师德师风作为教职工考核的首要标准，建立教职工培训和专业发展制度。",
        "# 第七章 经费、资产与后勤",
        _fees(label(23), version),
        f"**第{label(24)}条** 学校依法管理和使用国有资产，建立资产登记、使用和处置制度，防止国有资产流失。",
        f"**第{label(25)}条** 学校食堂坚持公益性，落实食品安全校长负责制和陪餐制度，食谱和大宗食材来源每周公示，"
        "家长委员会代表可以参与食堂监督。",
        f"**第{label(26)}条** 学校建立安全管理制度和应急预案，定期开展安全教育和应急演练，保障师生人身和财产安全。",
        "# 第八章 附则",
        f"**第{label(27)}条** 本章程经学校教职工代表大会审议通过，报{authority}核准后施行。"
        "章程的修订程序与制定程序相同。",
        f"**第{label(28)}条** 本章程由学校校务委员会负责解释。学校其他规章制度与本章程不一致的，以本章程为准。",
    ]
    return "\n\n".join(chapters) + "\n"


def seed_charter(school: School) -> None:
    """Give `school` the two adopted demo versions. Does nothing if it has any version already,
    so the demo command can run again. Goes through the services, so the audit log shows it."""
    if services.versions_of(school):
        return
    for version, (adopted_on, effective_on, note) in ((1, VERSION_1), (2, VERSION_2)):
        draft = services.start_draft(None, school, from_template=False)
        services.edit_draft(None, draft, body=charter_text(school, version), change_note=note)
        # On the portal's clock, the day it was adopted: the log leaf says that day, like the page.
        with clock.set_to(clock.local_to_utc(adopted_on, time(10, 0))):
            services.adopt_version(None, draft, adopted_on=adopted_on, effective_on=effective_on)
