"""Demo decisions for `flask portal seed-demo`.

Every school publishes one decision of its school board's meeting of about 75 days ago (the one
portal.meetings.demo records; its minutes record the votes on the year's work plan and on the
canteen, so the decision is one of those two). The first school — the one the demo accounts
belong to — has a fuller history: a spring board meeting about 250 days ago that took three
decisions (parents eating with the pupils, the school day's timetable, and an amendment to the
charter, which the decision adopts as version 3), a decision of the autumn meeting that
supersedes the spring one on the canteen, and one draft on school uniforms for the management
page. Everything goes through the services, so the decisions are numbered, rendered, signed,
archived and audited as done by the system (no actor). Publishing takes ~0.3 s a decision.
"""

import random
from datetime import date, time, timedelta

from sqlalchemy import func, select

from portal import clock
from portal.charters import services as charters
from portal.charters.demo import COMMITTEE_V2
from portal.decisions import services
from portal.decisions.models import Decision
from portal.extensions import db
from portal.meetings.demo import past_meeting, school_year
from portal.meetings.models import BodyKind, GoverningBody, Meeting, Position
from portal.schools.models import School

SPRING_MEETING_DAYS_AGO = 250
PUBLISHED_DAYS_AFTER_MEETING = 2  # the decision is signed off and issued two days after the vote

# Version 3 of the first school's charter: the article on the school board says how its decisions are issued.
COMMITTEE_V3 = COMMITTEE_V2.replace(
    "会议纪要经审定后在学校治理门户公开。",
    "会议纪要经审定后在学校治理门户公开。校务委员会的决定经出席委员过半数同意方为通过，"
    "以校务委员会决定的形式统一编号印发，并在学校治理门户公开，任何人均可核验其真实性。",
)
CHARTER_V3_NOTE = "修订第十条：明确校务委员会决定的表决规则，决定统一编号印发并在学校治理门户公开、可供核验。"


def _cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# The PDF's preamble names the meeting, the members present and "作出如下决定：", so the texts
# begin with what was decided.


def canteen_supervision_text(effective: date) -> str:
    return f"""一、建立家长陪餐制度。每学期组织家长代表陪餐不少于一次，每次不少于4人，陪餐家长由家长委员会在各年级推荐。

二、陪餐家长可以查看食堂后厨、食材验收、晨检和留样记录，并填写《家长陪餐意见表》。

三、总务处每学期汇总陪餐意见和整改情况，在校务委员会会议上通报，并书面答复家长委员会。

本决定自{_cn(effective)}起施行，由总务处负责组织实施。
"""


def canteen_management_text(effective: date) -> str:
    return f"""为进一步落实食品安全校长负责制，回应家长对学生午餐的意见和建议，现就加强学校食堂膳食管理决定如下。

## 一、公开食谱和食材来源

自{effective.year}年{effective.month}月起，每月在学校治理门户和校园公示栏公布带量食谱和主要食材来源。食材统一由区教育委员会招标确定的配送企业供应，严格执行晨检、留样和索证索票制度。

## 二、家长陪餐

每学期组织家长陪餐不少于两次，每次不少于4名家长代表，陪餐家长由家长委员会推荐。陪餐意见和整改情况在校务委员会会议上通报。

## 三、组织实施

总务处负责组织实施，每月检查食堂运行情况；家长委员会负责监督，发现问题可以直接向校长或校务委员会反映。
"""


def timetable_text(effective: date) -> str:
    return f"""为保障学生充足睡眠，落实义务教育学校作息时间管理的有关要求，结合家长问卷调查结果，\
自{_cn(effective)}起调整学生在校作息时间：

一、上午第一节课开始时间由8:00调整为8:20，学生到校时间不早于7:50。

二、午餐后安排不少于30分钟的午间休息，低年级学生在教室伏案休息，由值班教师看护。

三、下午放学时间为15:40，参加课后服务的学生离校时间不晚于17:30。

四、严格控制家庭作业总量，一、二年级不布置书面家庭作业，三至六年级书面作业平均完成时间不超过60分钟。

各年级组和班主任应在施行前告知全体家长；总务处相应调整门卫值守和放学护导安排。
"""


def charter_amendment_text(school: School) -> str:
    return f"""一、通过《{school.name_zh}章程》修正案，对第十条作如下修改：

> 在“会议纪要经审定后在学校治理门户公开。”之后增加：“校务委员会的决定经出席委员过半数同意方为通过，\
以校务委员会决定的形式统一编号印发，并在学校治理门户公开，任何人均可核验其真实性。”

二、修改后的章程全文在学校治理门户公布。校长办公室负责报{school.authority.name_zh}备案，并组织教职工和家长委员会学习。
"""


def work_plan_text() -> str:
    return """一、原则通过《2026学年度学校工作计划》，由校长办公室根据会议意见修改后，印发全体教职工和家长委员会。

二、本学年重点推进课后服务提质、劳动教育课程和作业总量控制三项工作，每周安排劳动教育课不少于1课时，课程安排在学期初公布。

三、将放学时段校门口交通安全列入工作重点，会同属地派出所和交巡警设立护学岗，家长志愿者可以报名参加。

德育处、教务处和总务处按照职责分工抓好落实，每学期末向校务委员会报告执行情况。
"""


WORK_PLAN_TITLE = "关于印发2026学年度学校工作计划的决定"
CANTEEN_TITLE = "关于加强学校食堂膳食管理的决定"
UNIFORM_DRAFT_TITLE = "关于学生校服采购方案的决定"
UNIFORM_DRAFT_TEXT = """一、校服采购采取公开招标方式，家长自愿购买，学校不得强制或变相强制。

二、校服为夏装、秋装、冬装各一套，单套限价不高于上一年度，冬装选用可机洗面料。

三、招标前组织家长代表查看面料样品，招标文件写明质量抽检要求，中标结果在学校治理门户公示。

四、对家庭经济困难学生免费提供一套校服，所需经费从学校公用经费中列支。
"""


def seed_decisions(school: School, *, full_history: bool = False) -> None:
    """Published decisions for `school` (see the module docstring); with `full_history`, the first
    school's fuller history and a draft. Does nothing if the school has any decision already, or
    no school board with a past meeting, so the demo command can run again."""
    if db.session.scalar(select(func.count()).select_from(Decision).where(Decision.school_id == school.id)):
        return
    board = db.session.scalar(
        select(GoverningBody)
        .where(GoverningBody.school_id == school.id, GoverningBody.kind == BodyKind.SCHOOL_BOARD)
        .order_by(GoverningBody.id)
        .limit(1)
    )
    autumn = board and db.session.scalar(
        select(Meeting)
        .where(Meeting.body_id == board.id, Meeting.starts_at <= clock.local_to_utc(clock.today(), time(0, 0)))
        .order_by(Meeting.starts_at.desc())
        .limit(1)
    )
    if autumn is None or services.present_count(autumn) == 0:
        return
    autumn_day = clock.local_date(autumn.starts_at)
    present = services.present_count(autumn)
    autumn_effective = _first_of_next_month(autumn_day)
    if not full_history:
        # The autumn meeting's minutes record both votes: the work plan unanimously, the canteen with one abstention.
        if random.Random(school.slug).random() < 0.5:
            _publish(school, autumn, title=WORK_PLAN_TITLE, body=work_plan_text(), votes=(present, 0, 0))
        else:
            _publish(
                school, autumn,
                title=CANTEEN_TITLE,
                body=canteen_management_text(autumn_effective),
                votes=(present - 1, 0, 1),
                effective_on=autumn_effective,
            )  # fmt: skip
        return

    spring = _spring_meeting(school, board, clock.today() - timedelta(days=SPRING_MEETING_DAYS_AGO))
    spring_day = clock.local_date(spring.starts_at)
    spring_present = services.present_count(spring)
    spring_effective = spring_day + timedelta(days=9)
    canteen = _publish(
        school, spring,
        title="关于建立家长陪餐制度的决定",
        body=canteen_supervision_text(spring_effective),
        votes=(spring_present, 0, 0),
        effective_on=spring_effective,
    )  # fmt: skip
    _publish(
        school, spring,
        title="关于调整学生在校作息时间的决定",
        body=timetable_text(spring_effective),
        votes=(spring_present - 1, 0, 1),
        effective_on=spring_effective,
    )  # fmt: skip
    _publish(
        school, spring,
        title=f"关于修订《{school.name_zh}章程》的决定",
        body=charter_amendment_text(school),
        votes=(spring_present, 0, 0),
        effective_on=spring_effective,
        charter_version_id=_charter_amendment(school).id,
    )  # fmt: skip
    _publish(
        school, autumn,
        title=CANTEEN_TITLE,
        body=canteen_management_text(autumn_effective),
        votes=(present - 1, 0, 1),
        effective_on=autumn_effective,
        replaces_id=canteen.id,
        replaces_how="supersedes",
    )  # fmt: skip
    # Still a draft: the parents' committee is being consulted; the next meeting votes on it.
    services.create_draft(None, school, {"title": UNIFORM_DRAFT_TITLE, "body": UNIFORM_DRAFT_TEXT})
    db.session.flush()


def _publish(
    school: School, meeting: Meeting, *, title: str, body: str, votes: tuple[int, int, int], **fields
) -> Decision:
    votes_for, votes_against, votes_abstain = votes
    data = {
        "title": title,
        "body": body,
        "meeting_id": meeting.id,
        "votes_for": votes_for,
        "votes_against": votes_against,
        "votes_abstain": votes_abstain,
        **fields,
    }
    issued = clock.local_to_utc(
        clock.local_date(meeting.starts_at) + timedelta(days=PUBLISHED_DAYS_AFTER_MEETING), time(10, 0)
    )
    # The portal's clock is set to the back-dated moment, so that the decision, its PDF and its
    # transparency log leaf (which reads the clock) all say the same time.
    with clock.set_to(issued):
        decision = services.create_draft(None, school, data, now=issued)
        return services.publish_decision(None, decision, now=issued)


def _first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _spring_meeting(school: School, board: GoverningBody, day: date) -> Meeting:
    """The board meeting that took the first school's spring decisions, with its approved minutes
    and everyone serving recorded present."""
    serving = [
        member
        for member in board.members
        if member.term_start <= day and (member.term_end is None or member.term_end >= day)
    ]
    chair = next((m.name for m in serving if m.position == Position.CHAIR), "")
    secretary = next((m.name for m in serving if m.position == Position.SECRETARY), "")
    return past_meeting(
        school,
        board,
        title=f"{school_year(day)}第二次校务委员会会议",
        day=day,
        place="学校行政楼三楼会议室",
        agenda=["审议建立家长陪餐制度", "审议调整学生在校作息时间", "审议学校章程修正案"],
        absent=[],
        minutes=_spring_minutes(day, chair, secretary, len(serving)),
    )


def _spring_minutes(day: date, chair: str, secretary: str, present: int) -> str:
    return f"""**时间**：{_cn(day)} 15:30—17:10
**地点**：学校行政楼三楼会议室
**主持**：{chair}（校长、校务委员会主任）
**出席**：委员{present}人，全体出席
**记录**：{secretary}

会议人数符合议事规则的要求。会议审议了以下事项。

## 一、审议建立家长陪餐制度

总务处介绍了食堂运行和食品安全管理情况。委员们认为，家长参与监督有助于提高膳食质量、增进家校信任，建议陪餐家长由家长委员会在各年级推荐。

**决定**：建立家长陪餐制度，每学期组织家长代表陪餐不少于一次。

**表决结果**：同意{present}票，反对0票，弃权0票。

## 二、审议调整学生在校作息时间

教务处通报了家长问卷调查结果：超过七成家长赞成推迟上午到校时间。委员们讨论了放学时段交通和课后服务的衔接。

**决定**：上午第一节课开始时间调整为8:20，下午放学时间为15:40。

**表决结果**：同意{present - 1}票，反对0票，弃权1票。

## 三、审议学校章程修正案

校长办公室说明了修正案草案：在第十条中明确校务委员会决定的表决规则，决定统一编号印发并在学校治理门户公开。

**决定**：通过章程修正案，报主管部门备案。

**表决结果**：同意{present}票，反对0票，弃权0票。

会议于17:10结束。
"""


def _charter_amendment(school: School):
    """A draft of the charter's next version, amending the article on the school board: the
    decision that publishes it adopts it."""
    if charters.draft_of(school) is not None:
        # Someone is drafting an amendment already (a database seeded before decisions existed):
        # leave their draft alone; the decision then only refers to the charter in force.
        return charters.latest_adopted(school)
    draft = charters.start_draft(None, school, from_template=False)
    amended = draft.body.replace(COMMITTEE_V2, COMMITTEE_V3)
    charters.edit_draft(None, draft, body=amended, change_note=CHARTER_V3_NOTE)
    return draft
