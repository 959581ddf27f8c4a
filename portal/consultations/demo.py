"""Demo consultations for `flask portal seed-demo`.

The first school — the one the demo accounts belong to — has one of each kind its staff meet:
an open consultation on school uniforms with some thirty responses (for, against and neutral,
named and anonymous, several still awaiting the moderators, with answers to its choice
questions), a closed one on school lunches whose outcome is published (its PDF signed and
archived, the board's canteen decision answering it), a closed one on traffic at the school
gate whose outcome is overdue, one awaiting approval and one the moderators sent back. Every
other school has one open consultation with a few responses, and the Yuzhong district has one
district-wide consultation for verified parents.

Everything goes through the services (created by the demo school admin, approved by the demo
moderator, the outcome published by the demo board member; elsewhere by the system), so the
audit log, tallies and moderation states are as real use leaves them. The people who respond are
demo residents and parents (RESPONDERS); they share one password hash, because hashing thirty
passwords with Argon2 would add seconds to the seed. Names, stances and texts are the same on
every run. Safe to run again: a school (or the district) that has any consultation is left alone.
"""

import random
from datetime import datetime, time, timedelta

from sqlalchemy import func, select, update

from portal import audit, clock
from portal.accounts import services as account_services
from portal.accounts.models import Role, User
from portal.clock import local_to_utc, today, utcnow
from portal.consultations import responses, services
from portal.consultations.models import Consultation, ResponseState
from portal.decisions.demo import CANTEEN_TITLE
from portal.decisions.models import Decision, DecisionStatus
from portal.extensions import db
from portal.moderation import services as moderation
from portal.schools.models import Authority, School

DAY = timedelta(days=1)


def _local(days: int, hour: int) -> datetime:
    """`days` from today (negative: ago) at `hour` o'clock on the schools' clock."""
    return local_to_utc(today() + timedelta(days=days), time(hour, 0))


# Demo residents and parents who respond (email, display name). The first VERIFIED_PARENTS are
# verified parents of the first school (as if they had used its invitation code).
RESPONDERS = [
    (f"responder{n:02d}@example.org", name)
    for n, name in enumerate(
        [
            "家长 周晓梅",
            "家长 陈志刚",
            "家长 李娟",
            "家长 王海燕",
            "家长 张磊",
            "家长 刘婷",
            "家长 杨帆",
            "家长 黄静",
            "家长 赵鹏",
            "家长 吴晓丽",
            "家长 徐涛",
            "家长 孙倩",
            "家长 胡斌",
            "家长 朱琳",
            "家长 高翔",
            "家长 林芳",
            "家长 何军",
            "家长 郭燕",
            "家长 马超",
            "家长 罗敏",
            "居民 梁建国",
            "居民 宋玉兰",
            "居民 郑强",
            "居民 谢芳",
            "居民 韩冰",
            "居民 唐明",
            "居民 冯丽",
            "居民 邓华",
            "居民 曹阳",
            "居民 彭佳",
            "居民 曾伟",
            "居民 蒋雪",
        ],
        start=1,
    )
]
VERIFIED_PARENTS = 20

_shared_hash: str | None = None


def _responders(password: str) -> list[User]:
    """The demo responders, created once. They share one password hash (the demo password)."""
    global _shared_hash
    people = []
    for email, name in RESPONDERS:
        user = account_services.find_user_by_email(email)
        if user is None:
            _shared_hash = _shared_hash or account_services.hash_password(password)
            user = User(email=email, display_name=name, password_hash=_shared_hash, language=None)
            db.session.add(user)
            db.session.flush()
            audit.record(user, "user.register", user)
        people.append(user)
    return people


def _verify_parents(responders: list[User], school: School) -> None:
    for user in responders[:VERIFIED_PARENTS]:
        account_services.grant_membership(None, user, Role.PARENT, school)


# --- the texts ----------------------------------------------------------------------------------

UNIFORM_PROPOSAL = """## 一、背景

学校现行校服为2021年选定，部分家长反映冬装偏薄、夏装不耐洗，且只能在指定门店购买。根据区教育委员会关于中小学生校服管理的要求，学校拟重新招标采购校服，现就采购方案征求意见。

## 二、方案要点

- 校服为夏装、秋装、冬装各一套，家长自愿购买，学校不强制、不变相强制；
- 采取公开招标方式确定供应商，招标前组织家长代表查看面料样品；
- 单套限价不高于上一年度，冬装选用可机洗面料；
- 中标结果在学校治理门户公示，每学期抽检一次面料质量；
- 家庭经济困难学生免费提供一套校服。

## 三、需要您回答的问题

请告诉我们您是否支持上述方案，并回答下面的问题。您的意见将在校务委员会审议校服采购方案时逐条考虑。
"""
UNIFORM_QUESTIONS = [
    {
        "kind": "single",
        "prompt": "您认为冬装单套价格控制在多少较为合适？",
        "choices": ["150元以内", "150—200元", "200—250元", "价格不是主要考虑"],
    },
    {
        "kind": "multiple",
        "prompt": "您最关心校服的哪些方面？（可多选）",
        "choices": ["面料舒适透气", "耐洗耐穿", "价格合理", "款式美观", "尺码齐全、可以调换"],
    },
    {"kind": "text", "prompt": "对校服采购还有什么建议？", "choices": []},
]
# (stance, what they wrote, answer to the free-text question or "")
UNIFORM_RESPONSES = [
    (
        "support",
        "支持公开招标。现在的冬装确实太薄，重庆冬天湿冷，孩子穿着不暖和。",
        "希望样品能放在学校展示一周，让更多家长看到。",
    ),
    ("support", "自愿购买这一条很好，家里还有哥哥姐姐穿过的校服可以继续用。", ""),
    (
        "oppose",
        "每次换校服都要重新买一整套，增加家庭负担。建议保留现有款式，只改进面料。",
        "旧款式和新款式应该允许混穿至少两年。",
    ),
    ("neutral", "方案总体可以，但要说清楚限价是多少，不要只说“不高于上一年度”。", ""),
    ("support", "夏装一定要透气，孩子上体育课出汗多，现在的夏装不吸汗。", ""),
    ("support", "支持。希望尺码齐全，能在学期中免费调换一次尺码。", "孩子长得快，秋季买的冬装到春季就小了。"),
    ("oppose", "担心招标最后还是价低者得，质量没有保证。", "面料抽检结果要公开，不合格要能退换。"),
    ("neutral", "希望家长代表不只是家委会成员，每个年级都应该有普通家长参加看样。", ""),
    ("support", "赞成给经济困难家庭免费提供校服，这一条很温暖。", ""),
    ("support", "冬装能机洗太重要了，现在的冬装只能干洗，很麻烦。", ""),
    ("neutral", "款式无所谓，关键是耐穿。我家孩子的裤子一学期就磨破了膝盖。", "裤子膝盖处建议加厚。"),
    ("oppose", "学校不应该统一采购，家长可以按学校公布的款式自己找地方做。", ""),
    ("support", "支持方案。建议中标后在学校开设一次集中试穿和购买，避免到门店排队。", ""),
    ("support", "同意。希望校服上不要印太大的学校标志，孩子周末也可以穿。", ""),
    ("neutral", "方案里没有提到运动服，体育课和运动会是否另外购买？", "请说明运动服是否包含在这三套里。"),
    ("oppose", "价格已经够高了，再加抽检成本最后还是家长出钱。", ""),
    ("support", "希望面料样品能标明成分，最好有检测报告。", ""),
]
UNIFORM_PRICES = [1, 1, 0, 2, 1, 3, 0, 1, 2, 1, 0, 0, 1, 3, 2, 0, 1]  # index of the price chosen
UNIFORM_CONCERNS = [
    [0, 1],
    [2],
    [1, 2],
    [2, 4],
    [0],
    [4, 1],
    [1],
    [3, 0],
    [2],
    [1],
    [1, 2],
    [2],
    [4],
    [3],
    [0, 1, 4],
    [2],
    [0],
]

LUNCH_PROPOSAL = """## 一、背景

本学期以来，部分家长通过意见箱反映学生午餐温度不够、菜品重复、份量不足。为进一步办好学生午餐，学校拟对食堂管理作以下调整，现征求家长和社区意见。

## 二、拟采取的措施

1. 每月公布带量食谱和主要食材来源；
2. 建立家长陪餐制度，每学期不少于两次；
3. 低年级提前十分钟就餐，增加保温售饭台；
4. 每学期开展一次学生午餐满意度调查。
"""
LUNCH_QUESTIONS = [
    {
        "kind": "multiple",
        "prompt": "您最希望改进午餐的哪些方面？（可多选）",
        "choices": ["饭菜温度", "菜品种类", "份量", "营养搭配", "就餐时间"],
    },
    {"kind": "text", "prompt": "您对家长陪餐有什么建议？", "choices": []},
]
LUNCH_RESPONSES = [
    ("support", "饭菜凉的问题很突出，低年级提前就餐很有必要。", "陪餐家长应该轮换，不要总是同几位。"),
    ("support", "支持公开食谱，家长可以在家里搭配晚餐。", ""),
    ("support", "希望增加蔬菜种类，不要一周三次土豆。", ""),
    ("neutral", "措施不错，但要有人检查落实情况。", "陪餐后的意见要公开答复。"),
    ("support", "孩子说份量不够，高年级男生吃不饱，希望可以免费添饭。", ""),
    ("oppose", "陪餐制度流于形式，家长看到的都是准备好的。", "建议不提前通知陪餐日期。"),
    ("support", "满意度调查很好，希望让学生自己也能填写。", ""),
    ("support", "支持。希望公布食材来源时写明供应商名称。", ""),
    ("neutral", "饭菜温度的问题冬天最明显，夏天反而还好。", ""),
    ("support", "赞成增加保温设备。", ""),
    ("support", "希望少油少盐，孩子回家说菜太咸。", ""),
    ("oppose", "就餐时间太短，孩子吃得太急，提前十分钟不够。", "午餐时间应该不少于三十分钟。"),
    ("support", "支持陪餐，我愿意报名参加。", "可以在门户上报名。"),
    ("support", "希望每周有一次水果。", ""),
]
LUNCH_CHOICES = [[0], [1, 3], [1], [0, 4], [2], [0], [3], [1, 3], [0], [0], [3], [4], [0, 2], [1]]
LUNCH_THEMES = [
    ("饭菜温度不够，低年级尤其明显", 5),
    ("菜品重复，希望增加蔬菜和水果", 4),
    ("高年级份量不足", 2),
    ("就餐时间偏短", 2),
    ("陪餐要避免流于形式", 3),
]
LUNCH_HEARD = """我们共收到14条公开意见，其中支持10条、反对2条、中立2条。

大多数家长支持公开食谱和建立家长陪餐制度。意见最集中的是**饭菜温度**：低年级学生排队打饭时间长，冬季饭菜到手时已经偏凉。其次是菜品重复、蔬菜和水果偏少。两位家长反映高年级学生份量不足，两位家长认为就餐时间偏短。

反对意见主要担心陪餐“流于形式”——家长只在事先通知的日子看到准备好的饭菜。
"""
LUNCH_CHANGES = """根据大家的意见，校务委员会随后作出了《关于加强学校食堂膳食管理的决定》，具体改进如下：

1. **饭菜温度**：一、二年级提前10分钟就餐，食堂增加两台保温售饭台，已经投入使用。
2. **菜品和营养**：每月在门户公布带量食谱，每周至少两次不同的绿叶蔬菜、一次水果。
3. **份量**：高年级学生可以免费添饭添汤。
4. **陪餐**：每学期组织家长陪餐不少于两次，陪餐日期不提前通知食堂；\
陪餐家长由家长委员会在各年级推荐并轮换，陪餐意见在校务委员会会议上通报并书面答复。
5. **就餐时间**：午餐时间保证不少于30分钟，下学期起执行。

我们将在本学期末开展一次学生午餐满意度调查，并公布结果。
"""

TRAFFIC_PROPOSAL = """## 一、背景

放学时段（15:40—16:10）学校门口解放东路段车辆临时停靠多、人车混行，存在安全隐患。

## 二、拟采取的措施

- 低年级和高年级错峰10分钟放学；
- 设置家长接送等候区，接送车辆即停即走；
- 会同属地派出所设立护学岗，招募家长志愿者。
"""
TRAFFIC_QUESTIONS = [
    {
        "kind": "single",
        "prompt": "您通常如何接送孩子？",
        "choices": ["步行", "公共交通", "私家车", "电动车", "孩子独自上下学"],
    },
]
TRAFFIC_RESPONSES = [
    ("support", "错峰放学很有必要，现在门口太挤了。", ""),
    ("support", "愿意报名做护学岗志愿者。", ""),
    ("oppose", "错峰放学对有两个孩子的家庭不方便，要等两次。", ""),
    ("support", "支持设置等候区，下雨天家长都挤在门口。", ""),
    ("neutral", "希望交警在高峰时段到场，仅靠家长志愿者不够。", ""),
    ("support", "同意，建议在门户上公布各年级放学时间。", ""),
    ("oppose", "私家车没有地方停，等候区应该考虑车辆。", ""),
    ("support", "支持，孩子安全最重要。", ""),
    ("support", "建议低年级先放学。", ""),
]
TRAFFIC_CHOICES = [0, 0, 2, 1, 2, 0, 2, 3, 0]

TRIP_PROPOSAL = """## 研学旅行方案（征求意见稿）

2027年春季学期，四至六年级拟分年级开展一日研学旅行：四年级赴重庆自然博物馆，五年级赴红岩革命纪念馆，六年级赴重庆科技馆。费用由家长自愿承担，每生不超过120元（含交通、保险、门票和午餐），家庭经济困难学生免费参加。
"""
NAP_PROPOSAL = """## 午休安排调整方案

拟自下学期起，每天12:30—13:10在教室组织学生午休，由班主任和科任教师轮流看护。需要午休床垫的学生可以自带。
"""
NAP_SENT_BACK = (
    "请补充午休期间看护教师的安排和家长可选择的方式（例如不参加午休的学生如何安排），并说明是否涉及任何费用。"
)

OTHER_SCHOOLS = {
    "pipashan-middle": (
        "关于初三晚自习安排的意见征集",
        "学校拟在初三下学期开设自愿参加的晚自习，征求家长和学生意见。",
        "## 方案\n\n初三下学期每周一至周四19:00—20:30开设晚自习，学生自愿参加，由教师值班答疑，"
        "不讲授新课、不收取费用。学校提供安全的放学通道，并与家长确认接送方式。",
        [{"kind": "single", "prompt": "您的孩子会参加晚自习吗？", "choices": ["会", "不会", "还没想好"]}],
    ),
    "ciqikou-primary": (
        "关于开设巴渝传统文化兴趣课程的意见征集",
        "学校拟在课后服务时段开设传统文化兴趣课程，征求家长意见。",
        "## 方案\n\n在课后服务时段每周开设两次兴趣课程：川剧脸谱、蜀绣、磁器口老街历史讲解，"
        "由学校教师和社区非遗传承人共同授课，不另收费。",
        [
            {
                "kind": "multiple",
                "prompt": "您希望孩子参加哪些课程？（可多选）",
                "choices": ["川剧脸谱", "蜀绣", "老街历史讲解"],
            }
        ],
    ),
    "jialingjiang-senior": (
        "关于高二选科走班安排的意见征集",
        "学校拟调整高二选科走班的排课方式，征求学生和家长意见。",
        "## 方案\n\n高二选科走班由“固定两节连排”调整为“单节分散”，减少学生在教学楼之间的往返，"
        "并在每周五下午安排一次走班答疑。",
        [{"kind": "single", "prompt": "您更支持哪种排课方式？", "choices": ["两节连排", "单节分散", "都可以"]}],
    ),
}
OTHER_RESPONSES = [
    ("support", "支持，希望尽快实施。"),
    ("neutral", "总体可以，希望学校说明具体的时间安排。"),
    ("support", "赞成，对孩子有帮助。"),
    ("oppose", "担心增加孩子负担，建议再考虑。"),
    ("support", "同意方案。"),
]

DISTRICT_TITLE = "渝中区中小学课后服务管理办法（征求意见稿）意见征集"
DISTRICT_PROPOSAL = """## 渝中区中小学课后服务管理办法（征求意见稿）

**第一条** 课后服务坚持学生自愿参加、家长自主选择，不得强制或变相强制。

**第二条** 课后服务每天不少于2小时，结束时间原则上不早于当地正常下班时间；对有特殊需要的学生，学校应当提供延时托管服务。

**第三条** 课后服务收费标准由区教育委员会会同区发展改革委员会核定，每生每学期不超过600元；家庭经济困难学生免收。

**第四条** 学校应当在学校治理门户公开课后服务的内容、时间、收费和教师安排，每学期开展一次家长满意度调查。
"""
DISTRICT_RESPONSES = [
    ("support", "支持延时托管，双职工家庭很需要。"),
    ("neutral", "600元的上限是否包含延时托管？请说明。"),
    ("support", "赞成公开课后服务内容和教师安排。"),
    ("oppose", "课后服务应该以自主阅读和体育活动为主，不能变成集体补课。"),
    ("support", "希望满意度调查的结果也能公开。"),
    ("support", "同意。"),
]


# --- making them --------------------------------------------------------------------------------


def _create(
    actor,
    owner: dict,
    *,
    title,
    summary,
    proposal,
    questions,
    opens_at,
    closes_at,
    audience="registered",
    moderation="pre",
) -> Consultation:
    consultation = services.create_consultation(
        actor,
        data={
            "title": title,
            "summary": summary,
            "proposal": proposal,
            "audience": audience,
            "moderation": moderation,
            "opens_at": opens_at,
            "closes_at": closes_at,
        },
        **owner,
    )
    for question in questions:
        services.add_question(actor, consultation, **question)
    return consultation


def _approve(consultation, author, moderator, *, submitted_at: datetime) -> None:
    services.submit(author, consultation, now=submitted_at)
    services.approve(moderator, consultation, now=submitted_at + DAY)


def _respond(consultation, people, answers_of, texts, *, moderator, pending: int = 0, named_every: int = 2) -> None:
    """One response from each of `people`, spread over the open days up to now (or its closing),
    with the stances and texts of `texts` (cycled); published by the moderator a few hours after,
    except the last `pending`, which still await moderation."""
    start = consultation.opens_at
    end = min(utcnow(), consultation.closes_at) - timedelta(hours=1)
    questions = consultation.questions
    for n, person in enumerate(people):
        stance, body, extra = (texts[n % len(texts)] + ("",))[:3]
        at = start + (end - start) * (n + 1) / (len(people) + 1)
        answers = answers_of(n, questions)
        if extra and questions and questions[-1].kind.value == "text":
            answers[str(questions[-1].id)] = extra
        response = responses.submit_response(
            person,
            consultation,
            {"stance": stance, "body": body, "answers": answers, "show_name": n % named_every == 0},
            now=at,
        )
        if response.state == ResponseState.PENDING and n < len(people) - pending:
            moderation.moderate(moderator, response, "publish", now=min(at + timedelta(hours=3), end))


def _choice_answers(*patterns):
    """answers_of(n, questions) for choice questions answered by the n-th pattern of each."""

    def answers_of(n, questions):
        answers = {}
        for question, pattern in zip([q for q in questions if q.kind.value != "text"], patterns, strict=True):
            answers[str(question.id)] = pattern[n % len(pattern)]
        return answers

    return answers_of


def seed_consultations(school: School, people: dict, *, password: str, full_history: bool = False) -> None:
    """The school's demo consultations (see the module docstring): the full set for the first
    school, one open consultation elsewhere. `people` maps the demo accounts' emails to their
    users. Does nothing if the school has any consultation already."""
    if db.session.scalar(select(func.count()).select_from(Consultation).where(Consultation.school_id == school.id)):
        return
    responders = _responders(password)
    now = utcnow().replace(second=0, microsecond=0)
    owner = {"school": school}
    if not full_history:
        _other_school(school, owner, responders, now)
        db.session.flush()
        return

    admin, board, moderator = (
        people["schooladmin@example.org"],
        people["board@example.org"],
        people["moderator@example.org"],
    )
    _verify_parents(responders, school)

    # Open now: school uniforms (the board's draft decision on uniforms waits for it).
    uniforms = _create(
        admin, owner,
        title="关于学生校服采购方案的意见征集",
        summary="学校拟重新招标采购学生校服，家长自愿购买。请告诉我们您对采购方案、价格和质量的意见。",
        proposal=UNIFORM_PROPOSAL,
        questions=UNIFORM_QUESTIONS,
        opens_at=_local(-12, 8),
        closes_at=_local(16, 18),
    )  # fmt: skip
    _approve(uniforms, admin, moderator, submitted_at=now - 15 * DAY)
    _respond(
        uniforms,
        [people["parent@example.org"], *responders[:33]],
        _choice_answers(UNIFORM_PRICES, UNIFORM_CONCERNS),
        UNIFORM_RESPONSES,
        moderator=moderator,
        pending=6,
    )

    # Closed, with its outcome published after the board's canteen decision.
    lunch = _create(
        admin, owner,
        title="关于学生午餐和食堂管理的意见征集",
        summary="针对家长反映的午餐问题，学校拟采取公开食谱、家长陪餐、错峰就餐等措施，征求意见。",
        proposal=LUNCH_PROPOSAL,
        questions=LUNCH_QUESTIONS,
        opens_at=_local(-115, 8),
        closes_at=_local(-85, 18),
    )  # fmt: skip
    _approve(lunch, admin, moderator, submitted_at=now - 120 * DAY)
    _respond(lunch, responders[:14], _choice_answers(LUNCH_CHOICES), LUNCH_RESPONSES, moderator=moderator)
    _answer_with_canteen_decision(school, lunch)
    with clock.set_to(now - 70 * DAY):  # so that the outcome's log leaf says when it was published
        services.publish_outcome(
            board,
            lunch,
            {"heard": LUNCH_HEARD, "changes": LUNCH_CHANGES, "themes": LUNCH_THEMES},
            now=now - 70 * DAY,
        )

    # Closed 45 days ago; the outcome is overdue.
    traffic = _create(
        admin, owner,
        title="关于放学时段校门口交通组织的意见征集",
        summary="学校拟错峰放学、设置接送等候区并设立护学岗，请家长提出意见。",
        proposal=TRAFFIC_PROPOSAL,
        questions=TRAFFIC_QUESTIONS,
        opens_at=_local(-75, 8),
        closes_at=_local(-45, 18),
        audience="parents",
    )  # fmt: skip
    _approve(traffic, admin, moderator, submitted_at=now - 78 * DAY)
    _respond(
        traffic,
        responders[14:20] + responders[:3],
        _choice_answers(TRAFFIC_CHOICES),
        TRAFFIC_RESPONSES,
        moderator=moderator,
    )

    # Submitted two days ago, awaiting the moderators.
    trip = _create(
        admin, owner,
        title="关于2027年春季研学旅行方案的意见征集",
        summary="四至六年级拟分年级开展一日研学旅行，费用自愿承担，征求家长意见。",
        proposal=TRIP_PROPOSAL,
        questions=[
            {
                "kind": "single",
                "prompt": "您是否同意孩子参加研学旅行？",
                "choices": ["同意", "不同意", "视具体安排而定"],
            }
        ],
        opens_at=_local(10, 8),
        closes_at=_local(40, 18),
        audience="parents",
    )  # fmt: skip
    services.submit(admin, trip, now=now - 2 * DAY)

    # Sent back by the moderator, with the reason, to be completed.
    nap = _create(
        admin, owner,
        title="关于调整午休安排的意见征集",
        summary="学校拟在教室组织学生午休，征求家长意见。",
        proposal=NAP_PROPOSAL,
        questions=[],
        opens_at=_local(14, 8),
        closes_at=_local(35, 18),
    )  # fmt: skip
    services.submit(admin, nap, now=now - 5 * DAY)
    services.send_back(moderator, nap, NAP_SENT_BACK)
    db.session.flush()


def _other_school(school: School, owner: dict, responders: list[User], now: datetime) -> None:
    title, summary, proposal, questions = OTHER_SCHOOLS.get(school.slug, next(iter(OTHER_SCHOOLS.values())))
    consultation = _create(
        None,
        owner,
        title=title,
        summary=summary,
        proposal=proposal,
        questions=questions,
        opens_at=_local(-6, 8),
        closes_at=_local(20, 18),
        moderation="post",
    )
    _approve(consultation, None, None, submitted_at=now - 9 * DAY)
    rng = random.Random(school.slug)
    people = rng.sample(responders[VERIFIED_PARENTS:], 4)
    picks = [rng.randrange(len(questions[0]["choices"])) for _ in people]
    single = questions[0]["kind"] == "single"
    _respond(
        consultation,
        people,
        _choice_answers([pick if single else [pick] for pick in picks]),
        OTHER_RESPONSES,
        moderator=None,
    )


def _answer_with_canteen_decision(school: School, consultation: Consultation) -> None:
    """The board's canteen decision (portal.decisions.demo, published before consultations were
    seeded) answers the lunch consultation: link it as its drafters would have when they wrote
    it. Only the link is set — the decision's text and PDF never mention it — and only here,
    in the demo; the portal itself links a decision only while it is a draft."""
    decision_id = db.session.scalar(
        select(Decision.id)
        .where(
            Decision.school_id == school.id,
            Decision.title == CANTEEN_TITLE,
            Decision.status == DecisionStatus.PUBLISHED,
        )
        .order_by(Decision.published_at.desc())
        .limit(1)
    )
    if decision_id is not None:
        db.session.execute(
            update(Decision)
            .where(Decision.id == decision_id, Decision.consultation_id.is_(None))
            .values(consultation_id=consultation.id)
        )


def seed_district_consultation(district: Authority, people: dict, *, password: str) -> None:
    """One district-wide consultation of `district`, open to the verified parents of its schools
    (the demo's are parents of its first school), created by the city's commission admin. Does
    nothing if the district has one already."""
    if db.session.scalar(
        select(func.count()).select_from(Consultation).where(Consultation.authority_id == district.id)
    ):
        return
    now = utcnow().replace(second=0, microsecond=0)
    admin, moderator = people["admin@example.org"], people["moderator@example.org"]
    consultation = _create(
        admin, {"authority": district},
        title=DISTRICT_TITLE,
        summary="区教育委员会拟出台中小学课后服务管理办法，规范服务时间、内容和收费，征求全区家长意见。",
        proposal=DISTRICT_PROPOSAL,
        questions=[],
        opens_at=_local(-8, 8),
        closes_at=_local(22, 18),
        audience="parents",
    )  # fmt: skip
    _approve(consultation, admin, moderator, submitted_at=now - 10 * DAY)
    parents = [people["parent@example.org"], *_responders(password)[:5]]
    _respond(consultation, parents, lambda n, questions: {}, DISTRICT_RESPONSES, moderator=moderator, pending=2)
    db.session.flush()
