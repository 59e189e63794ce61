"""Realistic Chinese posts for the feed farm (bench/e2e): each entry matches one rule of
config/rules (places of 00-places.yaml, policy areas of shared/docs/example-deployment.md).

Deterministic: post(seed, k) gives the same title and text for the same (seed, k), so a run can
be repeated and an entry's text re-derived. Entries are grouped into stories: about 40 % start a
story, the others retell one of the last 500 entries' stories in other words (reposts and
follow-ups, the way one incident shows up in many posts), so the matcher's near-duplicate events
see both new events and items joining recent ones. Topic shares (level in config/rules):
征地拆迁 III 35 %, 生态环保 III 30 %, 疫情防控 III 20 %, 燃气/爆炸 II 10 %, 地质灾害 II 5 %.
"""
MASK64 = (1 << 64) - 1


class Pick:
    """SplitMix64 (Steele et al. 2014): a cheap, deterministic stream of choices for one key
    (random.Random costs tens of microseconds to seed; the farm makes thousands of posts a
    second)."""

    def __init__(self, *key):
        s = 0
        for part in key:
            s = ((s ^ part) * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E5B9) & MASK64
        self.s = s

    def _next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & MASK64
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def below(self, n):
        return self._next() % n

    def random(self):
        return self._next() / 18446744073709551616.0

    def randint(self, lo, hi):
        return lo + self.below(hi - lo + 1)

    def choice(self, seq):
        return seq[self.below(len(seq))]

    def weighted(self, seq, cum_weights):
        r = self.below(cum_weights[-1])
        for item, cum in zip(seq, cum_weights):
            if r < cum:
                return item
        return seq[-1]

    def sample(self, seq, n):
        pool = list(seq)
        return [pool.pop(self.below(len(pool))) for _ in range(n)]



# county-level place -> towns/streets in it (00-places.yaml names the county-level places)
PLACES = {
    "汉滨区": ["江北街道", "老城街道", "关庙镇", "五里镇", "大竹园镇", "县河镇"],
    "汉阴县": ["城关镇", "涧池镇", "蒲溪镇", "平梁镇"],
    "石泉县": ["城关镇", "池河镇", "后柳镇", "喜河镇"],
    "宁陕县": ["城关镇", "筒车湾镇", "皇冠镇", "江口回族镇"],
    "紫阳县": ["城关镇", "蒿坪镇", "向阳镇", "焕古镇"],
    "岚皋县": ["城关镇", "佐龙镇", "民主镇", "四季镇"],
    "平利县": ["城关镇", "老县镇", "长安镇", "八仙镇"],
    "镇坪县": ["城关镇", "曾家镇", "牛头店镇", "钟宝镇"],
    "旬阳市": ["城关镇", "棕溪镇", "蜀河镇", "吕河镇"],
    "白河县": ["城关镇", "中厂镇", "茅坪镇", "冷水镇"],
    "恒口示范区": ["恒口镇", "大同镇", "付家镇"],
    "安康高新区": ["建民街道", "五里工业园"],
}
SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何高林罗"
VILLAGES = ["马坪村", "双河村", "新民村", "青泥村", "东坝村", "红星村", "联丰村", "大河村",
            "桥儿沟村", "双溪村", "龙王村", "石门村"]
RIVERS = ["月河", "汉江", "岚河", "任河", "黄洋河", "旬河", "坝河", "池河"]
SOURCES = ["网友", "市民", "村民", "业主", "群众", "网民"]

# topic: (weight, level, title templates, fact templates); every title/fact pair matches its rule
TOPICS = [
    ("land", 35, "III",
     ["{town}{village}村民反映征地补偿款迟迟未到位", "{county}{town}拆迁安置房交付延期 群众盼解决",
      "{town}{village}征收土地补偿标准引质疑", "{county}一拆迁户称遭强拆 家中物品未及清点"],
     ["据{who}反映，{county}{town}{village}{n}户村民的土地于{month}月被征收，约定的补偿款至今仍有"
      "{money}万元未发放。", "{who}称，{county}{town}拆迁安置小区原定{month}月交房，{n}户村民仍在外租房过渡，"
      "每月过渡费也时有拖欠。"]),
    ("eco", 30, "III",
     ["{county}{river}{town}段出现大量死鱼", "{town}一企业被指夜间偷排废水",
      "{county}{village}附近河道污水横流 异味刺鼻", "{river}{town}段水面发黑 疑有企业偷排"],
     ["{who}称，近{n}天{county}{town}{river}沿岸时常闻到刺鼻异味，河面漂浮死鱼约{money}斤。",
      "据{who}反映，{county}{town}一家企业趁夜间通过暗管向{river}排放污水，下游{village}村民取水受到影响。"]),
    ("epidemic", 20, "III",
     ["{county}隔离点收费引投诉", "{town}传染病防控措施一刀切 商户投诉",
      "{county}核酸检测点乱收费 市民不满"],
     ["{who}投诉，{county}{town}隔离点每人每天收取{money}元费用，{n}名居民认为收费不合理。",
      "据{who}反映，{county}{town}在疫情防控中对{n}家商户一刀切停业，未作任何说明。"]),
    ("gas", 10, "II",
     ["{county}{town}一餐馆发生燃气泄漏 周边居民紧急疏散", "{town}{village}民房发生爆炸 {n}人受伤送医",
      "{county}一小区天然气泄漏 消防连夜疏散居民"],
     ["{who}称，今天{hour}时许{county}{town}传出巨响，现场有燃气泄漏，约{n}名居民被疏散。",
      "据{who}消息，{county}{town}一栋民房{hour}时发生爆炸，消防和应急部门已到场处置。"]),
    ("geo", 5, "II",
     ["{county}{town}发生山体滑坡 道路中断", "{town}{village}突发泥石流 {n}户村民转移",
      "{county}{town}公路塌方 过往车辆受阻"],
     ["{who}称，受连日降雨影响，{county}{town}{village}{hour}时许发生山体滑坡，{n}户村民已转移。",
      "据{who}反映，{county}{town}境内公路{hour}时发生塌方，{n}辆车滞留，暂无人员伤亡报告。"]),
]
TOPIC_CUM = [sum(t[1] for t in TOPICS[:i + 1]) for i in range(len(TOPICS))]
COUNTIES = list(PLACES)
TITLE_PREFIX = ["", "", "", "网友爆料：", "【关注】", "求助：", "紧急！", "#安康身边事# "]
COMMENTS = [
    "{who}表示已向{dept}反映过{n}次，至今没有答复。",
    "评论区有{n}位网友称自己也遇到同样情况。",
    "有网友呼吁{dept}尽快调查核实并公开处理结果。",
    "发帖人{name}说，{month}月{day}日曾拨打12345热线，工单编号{ticket}。",
    "截至发稿，该帖已被转发{n}次。",
    "当地一位{name}告诉记者，希望有关部门给个说法。",
]
DEPTS = ["镇政府", "县信访局", "12345热线", "市自然资源局", "市生态环境局", "市住建局", "社区"]


def _fill(rng, tpl, story):
    values = dict(story)
    values.update(who=rng.choice(SOURCES), dept=rng.choice(DEPTS), n=rng.randint(2, 300),
                  name=rng.choice(SURNAMES) + rng.choice(["先生", "女士", "师傅", "大爷"]),
                  day=rng.randint(1, 28), ticket=rng.randint(10**7, 10**8 - 1))
    values.setdefault("month", rng.randint(1, 12))
    return tpl.format(**values)


def _comment_pool(size):
    """Commentary sentences with their own numbers and names, made once (formatting them per
    entry would cost more than the farm can spend at 5,000 entries a second)."""
    rng = Pick(20261205)
    return [_fill(rng, rng.choice(COMMENTS), {"county": ""}) for _ in range(size)]


COMMENT_POOL = _comment_pool(4096)
_stories = {}


def _story(seed, s):
    """The facts of story s, what every post about it shares: (level, title, fact text)."""
    got = _stories.get((seed, s))
    if got:
        return got
    rng = Pick(seed, s, 1)
    _, _, level, titles, facts = rng.weighted(TOPICS, TOPIC_CUM)
    county = rng.choice(COUNTIES)
    story = {"county": county, "town": rng.choice(PLACES[county]), "village": rng.choice(VILLAGES),
             "river": rng.choice(RIVERS), "money": rng.randint(3, 480),
             "month": rng.randint(1, 12), "hour": rng.randint(0, 23)}
    i = rng.below(len(titles))
    got = (level, _fill(rng, titles[i], story), _fill(rng, facts[i % len(facts)], story))
    if len(_stories) >= 100000:
        _stories.clear()
    _stories[(seed, s)] = got
    return got


def story_of(seed, k):
    """The story entry k tells: its own (about 40 %) or that of one of the 500 entries before."""
    while True:  # a retelling tells the story of the entry it retells (2.5 hops on average)
        rng = Pick(seed, k, 0)
        if k == 0 or rng.random() < 0.4:
            return k
        k = max(0, k - 1 - int(rng.random() ** 2 * 500))


def post(seed, k):
    """(title, text, level) of entry k of a run with this seed."""
    level, title, fact = _story(seed, story_of(seed, k))
    rng = Pick(seed, k, 3)
    comments = "".join(rng.choice(COMMENT_POOL) for _ in range(1 + rng.below(3)))
    return rng.choice(TITLE_PREFIX) + title, fact + comments, level
