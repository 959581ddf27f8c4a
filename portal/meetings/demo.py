"""Demo governing bodies, members and meetings for `flask portal seed-demo`.

Every school gets a school board (校务委员会) and a parents' committee (家长委员会) with
realistic members (one former member among them), two past meetings with approved minutes and
recorded attendance, and one meeting about two weeks ahead. Names differ from school to school
but are the same on every run for a given school. Everything goes through the services, so the
audit log records it as done by the system (no actor).
"""

import random
from datetime import date, time, timedelta

from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.meetings import services
from portal.meetings.models import BodyKind, Constituency, GoverningBody, Position
from portal.schools.models import School

TERM_START, TERM_END = date(2024, 9, 1), date(2027, 8, 31)
# The parent representative who left when their child finished primary school, and who took over.
FORMER_TERM_END, SUCCESSOR_TERM_START = date(2025, 8, 31), date(2025, 9, 1)

NAMES = [
    "周建华",
    "陈志强",
    "李秀英",
    "王国平",
    "张丽娟",
    "刘思远",
    "杨晓燕",
    "黄德明",
    "赵雪梅",
    "吴俊杰",
    "徐海涛",
    "孙静怡",
    "胡文斌",
    "朱桂兰",
    "高明远",
    "林慧敏",
    "何伟东",
    "郭春梅",
    "马晓峰",
    "罗玉珍",
    "梁振宇",
    "宋晓红",
    "郑家豪",
    "谢婷婷",
    "韩立新",
    "唐雨萱",
    "冯永刚",
    "邓佳琪",
    "曹建军",
    "彭晓丽",
    "曾凡荣",
    "蒋雅琴",
    "蔡志鹏",
    "余秀芳",
    "杜宏伟",
    "叶欣然",
    "程国庆",
    "袁梦瑶",
    "陆天佑",
    "魏淑珍",
]

BOARD_SEATS = [
    (Position.CHAIR, Constituency.PRINCIPAL),
    (Position.VICE_CHAIR, Constituency.TEACHER),
    (Position.SECRETARY, Constituency.STAFF),
    (Position.MEMBER, Constituency.TEACHER),
    (Position.MEMBER, Constituency.TEACHER),
    (Position.MEMBER, Constituency.PARENT),
    (Position.MEMBER, Constituency.COMMUNITY),
]
COMMITTEE_SEATS = [
    (Position.CHAIR, Constituency.PARENT),
    (Position.VICE_CHAIR, Constituency.PARENT),
    (Position.SECRETARY, Constituency.PARENT),
    (Position.MEMBER, Constituency.PARENT),
    (Position.MEMBER, Constituency.PARENT),
    (Position.MEMBER, Constituency.TEACHER),
]

BOARD_DESCRIPTION = (
    "学校重大事项的议事和决策机构，由校长、教师代表、家长代表和社区代表组成，"
    "审议学校发展规划、年度工作计划、收费与采购等涉及师生和家长切身利益的事项。每学期至少召开两次会议。"
)
COMMITTEE_DESCRIPTION = (
    "由各年级家长推选产生，参与学校管理、监督膳食和校服等服务、沟通家校意见。"
    "委员任期与学年同步，每学期召开一至两次全体会议，家长可通过委员反映意见和建议。"
)


def seed_meetings(school: School) -> None:
    """Bodies, members and meetings for `school`. Does nothing if it already has a body, so it
    is safe to run again."""
    has_bodies = db.session.scalar(
        select(func.count()).select_from(GoverningBody).where(GoverningBody.school_id == school.id)
    )
    if has_bodies:
        return
    names = random.Random(school.slug).sample(NAMES, len(BOARD_SEATS) + len(COMMITTEE_SEATS) + 2)
    today = clock.today()

    board = services.create_body(
        None, school, {"kind": BodyKind.SCHOOL_BOARD, "name": "校务委员会", "description": BOARD_DESCRIPTION}
    )
    board_members = [
        _seat(board, name, position, constituency, TERM_START, TERM_END)
        for name, (position, constituency) in zip(names, BOARD_SEATS, strict=False)
    ]
    former_name, successor_name = names[len(BOARD_SEATS)], names[len(BOARD_SEATS) + 1]
    _seat(board, former_name, Position.MEMBER, Constituency.PARENT, TERM_START, FORMER_TERM_END)
    board_members.append(
        _seat(board, successor_name, Position.MEMBER, Constituency.PARENT, SUCCESSOR_TERM_START, TERM_END)
    )

    committee = services.create_body(
        None, school, {"kind": BodyKind.PARENTS_COMMITTEE, "name": "家长委员会", "description": COMMITTEE_DESCRIPTION}
    )
    committee_names = names[len(BOARD_SEATS) + 2 :]
    committee_members = [
        _seat(committee, name, position, constituency, TERM_START, TERM_END)
        for name, (position, constituency) in zip(committee_names, COMMITTEE_SEATS, strict=True)
    ]

    principal, secretary = board_members[0], board_members[2]
    absent = board_members[4]
    board_day = today - timedelta(days=75)
    past_meeting(
        school,
        board,
        title=f"{school_year(board_day)}第一次校务委员会会议",
        day=board_day,
        place="学校行政楼三楼会议室",
        agenda=["审议2026学年度工作计划", "食堂膳食管理情况通报", "校服采购方案征求意见"],
        absent=[absent],
        minutes=_board_minutes(board_day, principal.name, secretary.name, absent.name, len(board_members)),
    )

    chair, committee_secretary = committee_members[0], committee_members[2]
    committee_day = today - timedelta(days=20)
    past_meeting(
        school,
        committee,
        title=f"家长委员会{school_year(committee_day)}全体会议",
        day=committee_day,
        place="学校图书馆多功能厅",
        agenda=["食堂膳食管理情况通报", "校服采购方案征求意见", "课后服务和托管安排"],
        absent=[],
        minutes=_committee_minutes(committee_day, chair.name, committee_secretary.name, len(committee_members)),
    )

    upcoming_day = today + timedelta(days=14)
    meeting = services.create_meeting(
        None,
        school,
        {
            "body_id": board.id,
            "title": f"{school_year(board_day)}第二次校务委员会会议",
            "starts_at": clock.local_to_utc(upcoming_day, time(15, 30)),
            "place": "学校行政楼三楼会议室",
        },
    )
    for title in ["审议寒假安全工作方案", "2027年春季学期校历安排", "家长意见和建议办理情况通报"]:
        services.add_agenda_item(None, meeting, title)
    db.session.flush()


def _seat(body, name, position, constituency, start, end):
    return services.add_member(
        None,
        body,
        {"name": name, "position": position, "constituency": constituency, "term_start": start, "term_end": end},
    )


def school_year(day: date) -> str:
    """The school year a day falls in: it starts in September (2026—2027学年)."""
    first = day.year if day.month >= 9 else day.year - 1
    return f"{first}—{first + 1}学年"


def past_meeting(school, body, *, title, day, place, agenda, absent, minutes):
    meeting = services.create_meeting(
        None,
        school,
        {"body_id": body.id, "title": title, "starts_at": clock.local_to_utc(day, time(15, 30)), "place": place},
    )
    for item in agenda:
        services.add_agenda_item(None, meeting, item)
    # Those serving on the day: whenever the demo is seeded, nobody out of term is recorded.
    serving = services.members_for_meeting(meeting)
    services.record_attendance(None, meeting, {member.id: member not in absent for member in serving})
    services.edit_minutes(None, meeting, minutes)
    approved = clock.local_to_utc(day + timedelta(days=3), time(10, 0))
    with clock.set_to(approved):  # so that the minutes' log leaf says the same moment as the page
        services.approve_minutes(None, meeting, now=approved)
    return meeting


def _board_minutes(day, principal, secretary, absent, total):
    present = total - 1
    return f"""**时间**：{day.year}年{day.month}月{day.day}日 15:30—17:20
**地点**：学校行政楼三楼会议室
**主持**：{principal}（校长、校务委员会主任）
**出席**：委员{present}人；**缺席**：{absent}（因公外出，已书面请假）
**记录**：{secretary}

会议人数符合议事规则的要求。会议审议和听取了以下事项。

## 一、审议2026学年度工作计划

{principal}校长就《2026学年度学校工作计划（草案）》作说明，重点介绍了课后服务提质、劳动教育课程和作业总量控制三项工作。委员们建议在计划中明确每周劳动教育课时，并把家长反映较多的放学时段交通安全列入工作重点。

**决定**：原则通过《2026学年度学校工作计划》，根据讨论意见修改后印发全体教职工和家长委员会。

**表决结果**：同意{present}票，反对0票，弃权0票。

## 二、食堂膳食管理情况通报

总务处通报了本学期食堂运行情况：食材统一由区教委招标的配送企业供应，留样和晨检记录完整，上月市场监管部门抽检全部合格。家长代表提出部分学生反映菜品口味偏辣、蔬菜种类偏少。

**决定**：
- 自下月起每月在学校门户网站公布带量食谱和主要食材来源；
- 每学期组织不少于两次家长陪餐，陪餐意见在校务委员会会议上通报。

**表决结果**：同意{present - 1}票，反对0票，弃权1票。

## 三、校服采购方案征求意见

总务处介绍了校服采购方案：采取公开招标，家长自愿购买，夏装、秋装、冬装各一套，单套限价不高于上一年度。委员们建议增加面料样品展示环节，并在招标文件中写明质量抽检要求。

**决定**：将采购方案提交家长委员会征求意见，征求意见期两周，意见汇总后提交下次会议审议。

**表决结果**：同意{present}票，反对0票，弃权0票。

会议于17:20结束。
"""


def _committee_minutes(day, chair, secretary, total):
    return f"""**时间**：{day.year}年{day.month}月{day.day}日 15:30—17:00
**地点**：学校图书馆多功能厅
**主持**：{chair}（家长委员会主任）
**出席**：委员{total}人，全体出席；学校总务处、德育处负责同志列席
**记录**：{secretary}

## 一、食堂膳食管理情况通报

学校总务处通报了食堂食材采购、留样和陪餐制度的落实情况。本学期已有36名家长参加陪餐，反映的主要问题是菜品偏辣、午餐时间偏紧。

**意见**：建议每周安排一次不辣菜品的套餐选择；低年级午餐时间延长10分钟。学校表示将在下月食谱中落实。

## 二、校服采购方案征求意见

委员会对校务委员会转来的校服采购方案进行了讨论，总体赞成公开招标和自愿购买原则。

**意见**：
- 冬装应选用可机洗面料；
- 在招标前组织家长代表查看面料样品；
- 对家庭经济困难学生免费提供一套校服。

**表决结果**：同意将以上意见提交校务委员会，同意{total}票，反对0票，弃权0票。

## 三、课后服务和托管安排

德育处介绍了课后服务的时间安排和收费标准（按区教委规定执行）。委员们希望增加体育和阅读类活动，并提前公布每学期的活动课程表。

**意见**：学校将在下学期开学前两周公布课后服务课程表，供家长自愿选择。

会议于17:00结束。
"""
