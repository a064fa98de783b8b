"""A demonstration organisation and plan, modelled on the seed progress report.

Ten parts, each with its problems and two or three measures with deadlines,
for the 海珠区委政法委 round of 2020; deadlines are set relative to today so
that the demo shows work in every state of the countdown.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from engine import Actor, WorkflowEngine

from .models import InspectionRound, Person, Role, Unit
from .people import create_person, create_unit, unit_by_code
from .plans import add_measure, add_part, add_problem, create_round, launch

DEMO_PASSWORD = "rectiflow-demo"

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


def create_organisation(session: Session) -> dict[str, Person]:
    """The demo units and people (password ``rectiflow-demo``); returns people by login."""
    for code, name in UNITS:
        if unit_by_code(session, code) is None:
            create_unit(session, code, name)
    people = {}
    for login, name, unit_code, roles in PEOPLE:
        people[login] = create_person(session, login=login, name=name, password=DEMO_PASSWORD, roles=roles,
                                      unit=unit_by_code(session, unit_code))
    return people


def create_demo_plan(
    session: Session, engine: WorkflowEngine, *, today: date, at: datetime, launch_it: bool = True
) -> InspectionRound:
    """The demo organisation and plan; launches every problem's lifecycle unless told not to."""
    people = create_organisation(session)
    units: dict[str, Unit] = {code: u for code, _ in UNITS if (u := unit_by_code(session, code)) is not None}
    round_ = create_round(
        session,
        title="广州市区委巡察第8组反馈意见整改（演示）",
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
