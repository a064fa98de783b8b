"""A demonstration organisation and plan, modelled on the seed progress report.

Ten parts, each with its problems and two or three measures with deadlines,
for the 海珠区委政法委 round of 2020; deadlines are set relative to today so
that the demo shows work in every state of the countdown.

Loading it into a database that already holds units, people or plans (an imported seed plan,
say) adds only what is missing: a unit with the demo unit's code, or with its name while its
code is free, is that unit; a person with the demo login, the same name, the demo unit and
at least the demo roles is that person. Anything else with a demo code or login is a clash:
every clash is reported and nothing is changed. The demo round is recognised by its title.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Actor, WorkflowEngine
from engine.audit import record

from .errors import ValidationError
from .models import InspectionRound, Person, Role, Unit
from .people import create_person, create_unit, person_by_login, unit_by_code, unit_by_name
from .plans import add_measure, add_part, add_problem, create_round, launch

DEMO_PASSWORD = "rectiflow-demo"
DEMO_TITLE = "广州市区委巡察第8组反馈意见整改（演示）"  # how the demo round is recognised

UNITS = [
    ("XCB", "区委巡察办"),
    ("ZFW", "海珠区委政法委"),
    ("BGS", "办公室"),
    ("ZZK", "综治科"),
    ("WWK", "维稳科"),
    ("DWK", "队伍建设科"),
    ("DZZ", "机关党总支"),
]

# login, name, unit code, roles
PEOPLE = [
    ("admin", "系统管理员", "XCB", (Role.ADMIN,)),
    ("ducha", "赵督查", "XCB", (Role.SUPERVISION,)),
    ("shuji", "李书记", "ZFW", (Role.LEADER,)),
    ("fushuji", "陈副书记", "ZFW", (Role.LEADER,)),
    ("bgs", "王敏", "BGS", (Role.OFFICER,)),
    ("zzk", "刘洋", "ZZK", (Role.OFFICER,)),
    ("wwk", "黄婷", "WWK", (Role.OFFICER,)),
    ("dwk", "周杰", "DWK", (Role.OFFICER,)),
    ("dzz", "吴芳", "DZZ", (Role.OFFICER,)),
]

# part title -> [(problem title, leader login, unit code, long-term, [measures])]
PLAN: list[tuple[str, list[tuple[str, str, str, bool, list[str]]]]] = [
    ("学习贯彻习近平新时代中国特色社会主义思想和党的新精神方面", [
        ("理论学习不够深入", "shuji", "DZZ", False, [
            "每两个月组织一次中心组集中学习，一年不少于6次",
            "每次中心组集中学习不少于两位领导结合工作实际作主题发言",
        ]),
        ("党性教育开展不扎实", "shuji", "DZZ", False, [
            "重新核对“党员考学”情况，更新党员考核成绩统计档案",
            "明确中心组学习重点，指定学习委员负责筹备和记录",
            "严格执行学习人员签到制度，列明缺席原因",
        ]),
        ("意识形态责任制虚化", "shuji", "BGS", True, [
            "落实“第一议题”制度，定期研究意识形态领域新问题",
            "健全社会稳定形势研判例会制度和协同联动工作机制",
        ]),
    ]),
    ("履行职能责任，贯彻落实党中央重大决策部署方面", [
        ("扫黑除恶专项斗争宣传工作不到位", "fushuji", "ZZK", False, [
            "印发致居民群众的一封信，在社区宣传栏张贴宣传海报",
            "发挥新媒体平台优势，联动传播专项斗争工作成效",
        ]),
        ("维稳工作长效机制不健全", "fushuji", "WWK", True, [
            "建立健全会商研判、风险排查、应急处突等维护社会稳定工作机制",
            "以建章立制的形式规范维护社会稳定工作的程序和手段",
        ]),
    ]),
    ("坚持和加强党的全面领导方面", [
        ("议事规则不规范", "shuji", "BGS", False, [
            "严格规范委务会议事范围和议事程序",
            "指定专人负责委务会会议原始记录，专本专用",
        ]),
        ("平安建设考核作用发挥不充分", "fushuji", "ZZK", False, [
            "运用挂牌督办等措施，对排名靠后街道实施挂牌整治",
            "对连续两年未扣分的指标项进行专项指导",
            "对市考评扣分项涉及的责任单位捆绑扣分",
        ]),
    ]),
    ("整治形式主义、官僚主义方面", [
        ("统筹工作欠缺思考", "fushuji", "BGS", False, [
            "合并套开、视频会议等方式精简会议",
            "督导检查多到现场看、多听群众说，为基层减负",
        ]),
        ("树立厉行节约意识不牢固", "fushuji", "BGS", False, [
            "严格执行公务支出预算管理制度及厉行节约实施办法",
            "推行无纸化办公，抓好公文总量控制",
        ]),
    ]),
    ("担当尽责、为民服务方面", [
        ("便民服务不主动", "fushuji", "ZZK", False, [
            "完善积分入学工作机制，加强对街道服务受理点监督检查",
            "优化积分入学信息系统，精简群众申请材料",
        ]),
        ("政务公开窗口单一", "fushuji", "BGS", False, [
            "通过各街道来穗中心对外服务窗口加强政策宣传",
            "通过微信公众号等渠道扩大宣传覆盖面",
        ]),
    ]),
    ("执行中央八项规定和实施细则精神方面", [
        ("清退费用不够彻底", "shuji", "BGS", False, [
            "协调清退对象，全部清退相应津补贴金额",
            "建立津补贴发放台账，定期自查",
        ]),
    ]),
    ("资金管理、资产处置、资源配置、资本运作和工程项目方面", [
        ("财务制度执行不严格", "shuji", "BGS", False, [
            "修订委务会会议制度，“三重一大”事项必须集体讨论",
            "重新修订经费支出审批实施细则和误餐费报销管理实施细则",
        ]),
        ("财务管理不规范", "shuji", "BGS", False, [
            "加大对经费用途、开支渠道的审核",
            "增加公务卡结算要求，减少现金支付结算",
        ]),
    ]),
    ("基层党组织建设方面", [
        ("党建工作重视不够", "shuji", "DZZ", False, [
            "推动业务工作与党建工作同部署、同落实",
            "开展“机关讲堂”“领导干部讲党课”",
            "完成党总支部升格，明确支委分工",
        ]),
        ("党内政治生活不严肃", "shuji", "DZZ", False, [
            "制定机关总支部组织生活制度",
            "对抽调半年以上的党员及时转入组织关系",
        ]),
    ]),
    ("执行新时代党的组织路线和选人用人方面", [
        ("选人用人制度执行不到位", "shuji", "DWK", False, [
            "加强对选人用人政策法规学习",
            "及时做好干部信息收集更新和档案归档",
        ]),
        ("干部队伍结构不够优化", "shuji", "DWK", True, [
            "适时开展科级选拔任用和职级晋升、干部交流",
            "创新动态化岗位管理机制",
        ]),
    ]),
    ("履行管党治党政治责任方面", [
        ("落实“一岗双责”不到位", "shuji", "BGS", False, [
            "完善修订党风廉政建设任务分工",
            "制定党风廉政评估系统填报工作指引",
        ]),
        ("请休假管理不到位", "fushuji", "BGS", False, [
            "印发进一步规范领导干部职工请休假的通知",
            "建立加班补休台账，每半年汇总留底",
        ]),
    ]),
]


@dataclass
class DemoLoad:
    """What loading the demo did: the round it loaded (``None`` if it was there), what it added and reused."""

    round: InspectionRound | None
    existing_round: InspectionRound | None
    units_added: list[str] = field(default_factory=list)
    units_reused: list[str] = field(default_factory=list)  # "name (code)" of units that were there
    people_added: list[str] = field(default_factory=list)
    people_reused: list[str] = field(default_factory=list)

    @property
    def added_anything(self) -> bool:
        return bool(self.round or self.units_added or self.people_added)


class DemoClash(ValidationError):
    """The database holds a unit or person that the demo's would contradict; ``clashes`` lists each."""

    def __init__(self, clashes: list[str]) -> None:
        self.clashes = list(clashes)
        super().__init__(f"the demo clashes with this database in {len(clashes)} place(s); nothing was changed")


def load_demo(
    session: Session, engine: WorkflowEngine, *, today: date, at: datetime, launch_it: bool = True
) -> DemoLoad:
    """Add whatever of the demo organisation and plan is missing, reusing what is there.

    ``DemoClash`` (before anything is written) if an existing unit or person contradicts the demo's.
    The round is launched (every problem's lifecycle started) unless ``launch_it`` is false.
    """
    units, unit_clashes = _match_units(session)
    people, people_clashes = _match_people(session, units)
    if unit_clashes or people_clashes:
        raise DemoClash(unit_clashes + people_clashes)
    existing = session.scalar(select(InspectionRound).where(InspectionRound.title == DEMO_TITLE)
                              .order_by(InspectionRound.id).limit(1))
    result = DemoLoad(None, existing)
    for code, name in UNITS:
        unit = units[code]
        if unit is None:
            units[code] = create_unit(session, code, name)
            result.units_added.append(code)
        else:
            result.units_reused.append(f"{unit.name} ({unit.code})")
    for login, name, unit_code, roles in PEOPLE:
        if people[login] is None:
            people[login] = create_person(session, login=login, name=name, password=DEMO_PASSWORD, roles=roles,
                                          unit=units[unit_code])
            result.people_added.append(login)
        else:
            result.people_reused.append(login)
    if existing is None:
        found = {code: unit for code, unit in units.items() if unit is not None}
        known = {login: person for login, person in people.items() if person is not None}
        result.round = _create_plan(session, engine, known, found, today=today, at=at, launch_it=launch_it)
    if result.added_anything:
        record(session, at=at, actor="admin", action="demo_loaded", detail={
            "round": result.round.id if result.round else None, "units": result.units_added,
            "people": result.people_added})
    session.flush()
    return result


def create_demo_plan(
    session: Session, engine: WorkflowEngine, *, today: date, at: datetime, launch_it: bool = True
) -> InspectionRound:
    """The demo organisation and plan (``load_demo``); returns the demo round, new or existing."""
    result = load_demo(session, engine, today=today, at=at, launch_it=launch_it)
    round_ = result.round or result.existing_round
    assert round_ is not None
    return round_


def _match_units(session: Session) -> tuple[dict[str, Unit | None], list[str]]:
    """Each demo code's unit in this database (``None``: to be added), and the clashes."""
    units: dict[str, Unit | None] = {}
    clashes = []
    for code, name in UNITS:
        by_code = unit_by_code(session, code)
        if by_code is not None and by_code.name != name:
            clashes.append(f"unit code {code} is “{by_code.name}” in this database; "
                           f"the demo's {code} is “{name}”")
            units[code] = None
        else:
            units[code] = by_code or unit_by_name(session, name)
    return units, clashes


def _match_people(session: Session, units: dict[str, Unit | None]) -> tuple[dict[str, Person | None], list[str]]:
    """Each demo login's person in this database (``None``: to be added), and the clashes."""
    people: dict[str, Person | None] = {}
    clashes = []
    for login, name, unit_code, roles in PEOPLE:
        person = people[login] = person_by_login(session, login)
        if person is None:
            continue
        unit, demo_unit = person.unit, units[unit_code]
        here = f"login {login} is {person.name}"
        demo = f"the demo's {login} is {name}"
        if person.name != name:
            clashes.append(f"{here} in this database; {demo}")
        elif unit is None or demo_unit is None or unit.id != demo_unit.id:
            where = f"of {unit.name} ({unit.code})" if unit else "without a unit"
            clashes.append(f"{here} {where} in this database; {demo} of {dict(UNITS)[unit_code]}")
        elif not person.active:
            clashes.append(f"login {login} ({name}) is deactivated in this database")
        elif missing := sorted(r.value for r in set(roles) - person.roles):
            clashes.append(f"login {login} ({name}) lacks the role {', '.join(missing)} the demo's {login} has")
    return people, clashes


def _create_plan(
    session: Session, engine: WorkflowEngine, people: dict[str, Person], units: dict[str, Unit], *,
    today: date, at: datetime, launch_it: bool,
) -> InspectionRound:
    round_ = create_round(
        session,
        title=DEMO_TITLE,
        at=at,
        inspecting_group="广州市区委巡察第8组",
        inspected_unit=units["ZFW"],
        period_start=date(2020, 8, 24),
        period_end=date(2020, 9, 25),
        feedback_date=date(2020, 10, 21),
        signatory="中共广州市海珠区委政法委员会",
        contacts={"phone": "020-89088142", "email": "gzhzq12345@126.com", "postcode": "510000",
                  "post": "广州市海珠区广州大道南999号区委政法委"},
        source_name="demo",
    )
    offsets = [-5, 12, 25, 40, 75, 120]
    n = 0
    for part_title, problems in PLAN:
        part = add_part(session, round_, part_title)
        for title, leader, unit_code, long_term, measures in problems:
            problem = add_problem(session, part, title, long_term=long_term, leader=people[leader],
                                  lead_unit=units[unit_code])
            for text in measures:
                deadline = today + timedelta(days=offsets[n % len(offsets)])
                n += 1
                add_measure(session, problem, text, deadline=deadline,
                            deadline_text=f"{deadline.year}年{deadline.month}月{deadline.day}日前",
                            lead_unit=units[unit_code], units=[units[unit_code]])
    if launch_it:
        launch(session, engine, round_, Actor(people["admin"].login, groups=frozenset({Role.ADMIN.value})))
    return round_
