"""Demo feedback for `flask portal seed-demo`.

Every school gets two items in each status. The first school — the one the demo accounts
belong to — gets a full inbox: eleven items in each status (received, in progress, answered,
closed), from the demo parent (parent@example.org) and five other demo parents, about the
canteen, the school bus and the road outside, fees, homework and the buildings; some private,
with public and private replies by the demo board member and school administrator. Items are
spread over the last two months, the oldest closed and the newest just received, and sent in
date order across schools, so references count up with time. Everything goes through the
services, so references, timelines and the audit log are as they would be for real.
"""

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from portal.accounts import services as account_services
from portal.clock import local_date, local_to_utc, utcnow
from portal.extensions import db
from portal.feedback import services
from portal.feedback.models import Feedback, FeedbackCategory, FeedbackStatus
from portal.schools.models import School

# Parents and residents who write to the schools, besides the demo parent. They hold no role:
# anyone with an account may use a school's suggestion box.
DEMO_SENDERS = [
    ("li.xiuying@example.org", "家长 李秀英"),
    ("wang.jun@example.org", "家长 王军"),
    ("zhao.min@example.org", "家长 赵敏"),
    ("chen.gang@example.org", "社区居民 陈刚"),
    ("huang.li@example.org", "家长 黄丽"),
]

C = FeedbackCategory
# (topic, what was written, the school's answer)
ITEMS = [
    (
        C.CANTEEN,
        "孩子说最近食堂午餐经常是凉的，尤其是排在后面打饭的班级。能否考虑分批就餐，或者增加保温设备？",
        "感谢您的反馈。总务处已核实情况，从下周一起低年级提前10分钟就餐，并增加两台保温售饭台。",
    ),
    (
        C.CANTEEN,
        "希望食堂每周的带量食谱能提前发到家长群，方便我们安排晚餐，避免和午餐重复。",
        "食谱自本月起每周五在学校治理门户和校园公示栏公布，家长群同步转发。",
    ),
    (
        C.CANTEEN,
        "食堂菜品偏辣，一年级的孩子吃不惯，中午经常吃不饱。能否每天提供一道不辣的菜？",
        "已与配餐企业商定，每天至少提供一道不辣的菜，低年级餐盘优先配置。欢迎家长报名陪餐时一起品尝。",
    ),
    (
        C.CANTEEN,
        "孩子对花生过敏。想了解食堂是否标注含过敏原的菜品，能否登记过敏学生的信息？",
        "班主任会登记过敏信息并报总务处，食堂窗口将标注含花生、坚果和海鲜的菜品。请您把医院证明交给班主任。",
    ),
    (
        C.CANTEEN,
        "上周五孩子在米饭里吃到一颗小石子，希望学校核查大米的供应和淘洗流程。",
        "我们已调取当天留样并约谈供应商，更换了该批次大米，淘洗环节增加一次人工检查。感谢您及时告知。",
    ),
    (
        C.CANTEEN,
        "家长陪餐的名额好像总是同一批家长，建议报名方式更公开，让更多家长有机会参加。",
        "从下学期起陪餐名额由家长委员会在各班轮流推荐，名单在门户公布。",
    ),
    (
        C.SAFETY,
        "放学时解放东路校门口临时停车的车辆很多，占了人行道，孩子过马路很危险。建议增加护学岗，或者和交警协调。",
        "学校已联系辖区交巡警，放学时段增派一名交警，并由家长志愿者在路口设护学岗。请接送车辆在指定区域停靠。",
    ),
    (
        C.SAFETY,
        "早上7:05到站的那班校车经常超员，有孩子一路站着。请核实校车的核载人数和实际乘车人数。",
        "经核查该线路确有超员，已从下周起加开一辆校车，并按站点核对乘车名单。",
    ),
    (
        C.SAFETY,
        "校车司机在下坡路段车速比较快，孩子回家说很害怕。希望学校提醒司机注意安全驾驶。",
        "已与校车公司调取行车记录并约谈司机，校车安装了限速提醒装置。我们会继续抽查。",
    ),
    (
        C.SAFETY,
        "操场东侧的围栏有一段松动，外面是陡坡，担心孩子课间倚靠时发生危险。",
        "围栏已于本周加固，维修完成前该区域设置了隔离带。感谢提醒。",
    ),
    (
        C.SAFETY,
        "雨天教学楼一楼走廊地面很滑，已经有孩子摔倒。建议铺设防滑垫。",
        "一楼走廊和楼梯口已铺设防滑垫，雨天由值日老师检查地面。",
    ),
    (
        C.SAFETY,
        "建议放学时段安排老师到校门外的公交站维持秩序，那里人多拥挤。",
        "从下周起每天放学时段由一名行政值班人员在公交站维持秩序。",
    ),
    (
        C.FEES,
        "本学期课后服务费比上学期多了120元，通知里没有说明原因。能否公开收费依据？",
        "课后服务费按区教委核定的标准收取，本学期增加了两个课时的体育和阅读活动。收费依据和明细已在门户公开。",
    ),
    (
        C.FEES,
        "校服是否必须通过学校统一购买？去年的校服质量一般，希望说明是自愿购买。",
        "校服为自愿购买，家长可以不买或只买部分款式。今年的采购方案已征求家长委员会意见。",
    ),
    (
        C.FEES,
        "班级活动费由家委会收取，但一直没有公布支出明细，希望学校督促公开。",
        "学校已请各班家委会在学期末公布班费收支明细，并在家长会上说明。",
    ),
    (
        C.FEES,
        "想了解家庭经济困难学生的课后服务费减免怎么申请，需要准备哪些材料。",
        "可向班主任领取申请表，附低保证或困难证明，每学期开学后两周内提交。学校会为您的信息保密。",
    ),
    (
        C.FEES,
        "研学旅行收费850元，希望公开承办机构的招标结果和费用构成。",
        "研学旅行由区教委统一招标，费用构成（交通、食宿、保险、讲解）已附在告家长书后，并在门户公开。",
    ),
    (
        C.TEACHING,
        "四年级的作业量最近明显增加，孩子每天要写到晚上十点，远超规定的一小时。请学校关注。",
        "教导处已与四年级各科老师核对作业，统一由年级组控制总量，书面作业平均完成时间不超过60分钟。",
    ),
    (
        C.TEACHING,
        "希望老师布置作业时说明预计完成时间，家长好帮助孩子安排。",
        "从本月起各班作业公示中注明每项作业的预计完成时间。",
    ),
    (
        C.TEACHING,
        "孩子班上的英语老师这学期换了三次，孩子不太适应，想了解学校的安排。",
        "因老师产假和工作调动造成更换，目前已安排固定老师任教至学年结束。给孩子带来的不便，我们深表歉意。",
    ),
    (
        C.TEACHING,
        "建议周末不要布置需要家长打印的作业，家里没有打印机很不方便。",
        "学校已要求各科不再布置需家长打印的作业，需要的材料由学校统一印发。",
    ),
    (
        C.TEACHING,
        "期中考试后能否开一次家长会，说明各科的教学进度和孩子的情况？",
        "期中家长会定于下月第二周举行，具体时间由班主任通知。",
    ),
    (
        C.TEACHING,
        "课后服务时段孩子基本都在写作业，希望增加一些体育和阅读活动。",
        "课后服务第二时段将开设足球、篮球、绘本阅读和川剧社团，供学生自愿选择。",
    ),
    (
        C.FACILITIES,
        "三楼男厕所有两个水龙头坏了两个星期，希望尽快维修。",
        "水龙头已于昨日更换。报修可直接告诉班主任，总务处承诺三个工作日内处理。",
    ),
    (C.FACILITIES, "五年级二班教室的空调噪音很大，上课影响听讲。", "空调已请厂家检修，更换了风机轴承。"),
    (C.FACILITIES, "学校图书馆周末能否对学生开放？孩子很想借书。", "图书馆将于每周六上午试行开放，需家长陪同。"),
    (
        C.FACILITIES,
        "操场的塑胶跑道有几处起皮，体育课容易绊倒。",
        "跑道破损处已修补，整体翻新列入明年预算，将在暑假施工。",
    ),
    (
        C.FACILITIES,
        "希望在校门口增设遮雨棚，下雨天接孩子的家长和学生都被淋湿。",
        "遮雨棚需向街道和城管部门报批，学校已提交申请，批复后尽快施工。",
    ),
    (
        C.OTHER,
        "感谢学校组织的川剧进校园活动，孩子回家很兴奋，希望以后多办。👍",
        "谢谢您的鼓励！川剧社团每周三下午活动，欢迎孩子报名。",
    ),
    (
        C.OTHER,
        "家校通知的渠道太多（短信、微信群、APP），能否统一到一个地方？",
        "学校今后的正式通知统一在学校治理门户发布，微信群只作转发。",
    ),
    (C.OTHER, "建议学校开放日安排家长参观食堂和校车，让家长更放心。", "下次开放日将增加食堂后厨和校车的参观环节。"),
    (
        C.OTHER,
        "希望学校的重要通知附上简要的英文说明，方便外籍家长阅读。",
        "学校会为开学、收费和安全类的重要通知提供英文摘要。",
    ),
]
# Openings that make repeated concerns read as different people's messages.
OPENINGS = [
    "",
    "我是三年级一班的家长。",
    "孩子在五年级二班。",
    "作为住在学校附近的居民，我想反映一件事：",
    "我是一年级新生家长。",
]
IN_PROGRESS_NOTES = [
    "已收到，已转交总务处核实，一周内答复您。",
    "谢谢反馈，教导处正在了解情况。",
    "学校正在与相关单位协调，有进展会第一时间告诉您。",
]
CLOSING_NOTES = ["问题已解决，本事项办结。", "感谢您的耐心，本事项办结。"]

FULL_PER_STATUS = 11
DAY = timedelta(days=1)


def _senders(people: dict, password: str) -> list:
    """The demo parent first, then the other demo senders (created with the demo password)."""
    senders = [people["parent@example.org"]]
    for email, name in DEMO_SENDERS:
        user = account_services.find_user_by_email(email) or account_services.register_user(
            email=email, display_name=name, password=password, language=None
        )
        senders.append(user)
    return senders


@dataclass
class _Planned:
    school: School
    n: int  # its place in the school's demo inbox: picks the text, sender, privacy and replies
    status: FeedbackStatus
    sender: object
    answerer: object
    category: FeedbackCategory
    body: str
    answer: str
    sent_at: datetime


def seed_feedback(schools: list[School], people: dict, *, password: str) -> None:
    """Feedback to each of `schools` that has none yet (so it is safe to run again); the first
    school gets the full inbox. `people` maps the demo accounts' emails to their users. Items are
    sent in the order of their dates, across schools, so references count up with time as they
    would for real."""
    waiting = [
        school
        for school in schools
        if not db.session.scalar(select(func.count()).select_from(Feedback).where(Feedback.school_id == school.id))
    ]
    if not waiting:
        return
    senders = _senders(people, password)
    now = utcnow().replace(microsecond=0)
    plan = [
        item for school in waiting for item in _plan(school, senders, people, now, full_history=school is schools[0])
    ]
    sent = [(item, _send(item)) for item in sorted(plan, key=lambda item: item.sent_at)]
    for item, feedback in sent:
        _answer(item, feedback)
    db.session.flush()


def _plan(school: School, senders: list, people: dict, now: datetime, *, full_history: bool) -> list[_Planned]:
    # The first school's board member and administrator answer; elsewhere the school has no demo staff account.
    staff = [people["board@example.org"], people["schooladmin@example.org"]] if full_history else [None]
    per_status = FULL_PER_STATUS if full_history else 2
    order = list(range(len(ITEMS)))
    random.Random(school.slug).shuffle(order)
    plan, n = [], 0
    # Oldest first: closed items were sent about two months ago, new ones in the last week.
    for status, first_day, last_day in (
        (FeedbackStatus.CLOSED, 60, 40),
        (FeedbackStatus.ANSWERED, 38, 16),
        (FeedbackStatus.IN_PROGRESS, 15, 6),
        (FeedbackStatus.RECEIVED, 5, 0),
    ):
        for k in range(per_status):
            category, text, answer = ITEMS[order[n % len(ITEMS)]]
            # A text used a second time always gets another opening than the first time.
            opening = OPENINGS[1 + (n + n // len(ITEMS)) % (len(OPENINGS) - 1)] if n >= len(ITEMS) or n % 3 == 1 else ""
            # The demo parent sends every third item; the other demo parents take turns with the rest.
            sender = senders[0] if n % 3 == 0 else senders[1 + (n - n // 3 - 1) % (len(senders) - 1)]
            sent_at = _daytime(now - timedelta(days=first_day - (first_day - last_day) * k / per_status), n, now)
            plan.append(
                _Planned(school, n, status, sender, staff[n % len(staff)], category, opening + text, answer, sent_at)
            )
            n += 1
    return plan


def _daytime(moment: datetime, n: int, now: datetime) -> datetime:
    """Some time between 08:00 and 21:59 in Chongqing on that day (people write while awake),
    never later than an hour ago."""
    at = local_to_utc(local_date(moment), time(8 + (n * 5) % 14, (n * 17) % 60))
    return at - DAY if at > now - timedelta(hours=1) else at


def _send(item: _Planned) -> Feedback:
    data = {
        "category": item.category,
        "body": item.body,
        "private": item.n % 4 == 3,
        "submission_token": f"demo{item.school.id:08d}{item.n:020d}",
    }
    return services.send_feedback(item.sender, item.school, data, now=item.sent_at)


def _answer(item: _Planned, feedback: Feedback) -> None:
    """Take the item to its planned status the way a school would, a few days apart."""
    n, at, by = item.n, item.sent_at, item.answerer
    if item.status == FeedbackStatus.RECEIVED:
        return
    if item.status == FeedbackStatus.IN_PROGRESS or n % 2:
        services.change_feedback_status(by, feedback, FeedbackStatus.IN_PROGRESS, now=at + DAY)
        if item.status == FeedbackStatus.IN_PROGRESS:
            if n % 3 == 0:  # a holding reply, for the sender only
                note = {"reply": IN_PROGRESS_NOTES[n % len(IN_PROGRESS_NOTES)], "public": False, "mark_answered": False}
                services.reply_to_feedback(by, feedback, note, now=at + DAY + timedelta(hours=2))
            return
    # Answered: mostly in public (shown on the school's page when the item is not private).
    services.reply_to_feedback(
        by, feedback, {"reply": item.answer, "public": n % 5 != 4, "mark_answered": True}, now=at + DAY * 3
    )
    if item.status == FeedbackStatus.CLOSED:
        if n % 2 == 0:
            note = {"reply": CLOSING_NOTES[n % len(CLOSING_NOTES)], "public": False, "mark_answered": False}
            services.reply_to_feedback(by, feedback, note, now=at + DAY * 10)
        services.change_feedback_status(by, feedback, FeedbackStatus.CLOSED, now=at + DAY * 10)
