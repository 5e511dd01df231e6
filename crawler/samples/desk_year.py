"""A desk's year for the demo: five more fictional outlets whose articles a seeded generator writes
from sentence templates (written for the project), dated over the 52 weeks that end on the day
the demo runs.

Each week one or two stories happen (a summit, drills, a border incident, ...). Every outlet
covers a story with some probability, in its own language (English, Russian, Armenian or
Kazakh), and portrays each actor of the story as its outlet group tends to: Russian state media
praise Putin and the CSTO, Armenian independent media Pashinyan, Central Asian media Tokayev;
an international outlet stays mostly neutral. One portrayal shifts: from SHIFT_WEEKS_AGO weeks
before the run, when Armenia freezes its CSTO participation, the Russian state outlets turn on
Pashinyan and write about him far more often. Together with the three hand-written outlets
(crawler/samples/*.yml, fixed dates, what the tests assert on) the demo has eight outlets in four
groups and over 400 articles.
"""

from datetime import date, timedelta
import random

SHIFT_WEEKS_AGO = 20
WEEKS = 52

OUTLETS = [  # name, country, language, group, CMS template, probability of covering a story
    ("Volga Herald", "RU", "ru", "Russian state", "newsportal.html", 0.9),
    ("Northern Courier", "RU", "en", "Russian state", "wordpress.html", 0.8),
    ("Yerevan Daily Review", "AM", "hy", "Armenian independent", "wix.html", 0.75),
    ("Almaty Ledger", "KZ", "kk", "Central Asian independent", "wordpress.html", 0.75),
    ("Geneva Security Monitor", "CH", "en", "international", "newsportal.html", 0.85),
]

# how each group tends to portray each actor: 1 supportive, 0 neutral, -1 critical
LEANING = {
    "Russian state": {"Putin": 1, "CSTO": 1, "Russia": 1, "Lukashenko": 1, "Tokayev": 0, "Pashinyan": 0, "Armenia": 0},
    "Armenian independent": {"Putin": -1, "CSTO": -1, "Russia": -1, "Lukashenko": -1, "Tokayev": 0, "Pashinyan": 1, "Armenia": 1},
    "Central Asian independent": {"Putin": 0, "CSTO": 0, "Russia": -1, "Lukashenko": 0, "Tokayev": 1, "Pashinyan": 0, "Armenia": 0},
    "international": {},
}

# the name of each actor as a sentence's subject, per language (the actor finder knows them all)
NAMES = {
    "en": {"Putin": "Vladimir Putin", "CSTO": "The CSTO", "Russia": "Russia", "Lukashenko": "Alexander Lukashenko",
           "Tokayev": "Kassym-Jomart Tokayev", "Pashinyan": "Nikol Pashinyan", "Armenia": "Armenia"},
    "ru": {"Putin": "Владимир Путин", "CSTO": "ОДКБ", "Russia": "Россия", "Lukashenko": "Александр Лукашенко",
           "Tokayev": "Касым-Жомарт Токаев", "Pashinyan": "Никол Пашинян", "Armenia": "Армения"},
    "hy": {"CSTO": "ՀԱՊԿ-ը", "Pashinyan": "Նիկոլ Փաշինյանը", "Armenia": "Հայաստանը"},
    "kk": {"Putin": "Владимир Путин", "CSTO": "ҰҚШҰ", "Russia": "Ресей", "Lukashenko": "Александр Лукашенко",
           "Tokayev": "Қасым-Жомарт Тоқаев", "Pashinyan": "Никол Пашинян", "Armenia": "Армения"},
}

SENTENCES = {  # per language and stance: templates with {a}, the actor as the subject
    "en": {
        1: ["{a} acted wisely and won praise from partners across the region.",
            "{a} showed steady and responsible leadership, observers said.",
            "Delegates thanked {a} for a constructive and generous approach."],
        0: ["{a} took part in the talks, which will continue next week.",
            "{a} issued a short statement on the agenda of the meeting.",
            "{a} was represented at the session by senior officials."],
        -1: ["{a} was accused of arrogance and of undermining the trust of allies.",
             "Critics said {a} behaved recklessly and ignored every warning.",
             "{a} drew sharp criticism for a cynical and divisive policy."],
    },
    "ru": {
        1: ["По мнению экспертов, {a} действует разумно и ответственно.",
            "Наблюдатели отмечают, что {a} последовательно укрепляет доверие союзников.",
            "Делегаты высоко оценили вклад, который вносит {a}."],
        0: ["{a} участвует в переговорах, которые продолжатся на следующей неделе.",
            "{a} выступает с коротким заявлением о повестке встречи.",
            "На заседании присутствует делегация, которую возглавляет {a}."],
        -1: ["По мнению экспертов, {a} действует безответственно и подрывает доверие союзников.",
             "Критики считают, что {a} ведёт опасную и непоследовательную политику.",
             "{a} подвергается резкой критике за разрушение союзнических связей."],
    },
    "hy": {
        1: ["Վերլուծաբանների կարծիքով՝ {a} ճիշտ որոշում է կայացրել։"],
        0: ["Լրագրողների հետ հանդիպմանը {a} խոսեց անվտանգության մասին։"],
        -1: ["{a} քննադատության է արժանացել։"],
    },
    "kk": {
        1: ["Сарапшылардың пікірінше, {a} дұрыс шешім қабылдады."],
        0: ["{a} келіссөздерге қатысты және мәлімдеме жасады."],
        -1: ["{a} әріптестерінің қатаң сынына ұшырады."],
    },
}

STORIES = [  # title per language (each names the CSTO: the topic keyword), the actors it involves
    ({"en": "CSTO leaders meet for a summit in {place}", "ru": "Саммит ОДКБ прошёл в {place}",
      "hy": "ՀԱՊԿ գագաթնաժողով {place}", "kk": "ҰҚШҰ саммиті {place} өтті"}, ["Putin", "Pashinyan", "Tokayev", "CSTO"]),
    ({"en": "CSTO forces hold joint drills in {place}", "ru": "Силы ОДКБ провели учения в {place}",
      "hy": "ՀԱՊԿ զորավարժություններ", "kk": "ҰҚШҰ бірлескен жаттығулары"}, ["Russia", "CSTO", "Tokayev"]),
    ({"en": "Border incident tests the CSTO", "ru": "Пограничный инцидент стал проверкой для ОДКБ",
      "hy": "Սահմանային միջադեպ և ՀԱՊԿ", "kk": "Шекарадағы оқиға және ҰҚШҰ"}, ["CSTO", "Armenia", "Pashinyan", "Russia"]),
    ({"en": "Ministers discuss the CSTO budget in {place}", "ru": "Министры обсудили бюджет ОДКБ в {place}",
      "hy": "ՀԱՊԿ բյուջեի քննարկում", "kk": "ҰҚШҰ бюджеті талқыланды"}, ["CSTO", "Lukashenko", "Tokayev"]),
    ({"en": "Peacekeeping mandate of the CSTO under debate", "ru": "Миротворческий мандат ОДКБ обсуждается",
      "hy": "ՀԱՊԿ խաղաղապահ առաքելություն", "kk": "ҰҚШҰ бітімгершілік миссиясы"}, ["CSTO", "Putin", "Tokayev"]),
]
SHIFT_STORY = ({"en": "Armenia freezes its participation in the CSTO", "ru": "Армения заморозила участие в ОДКБ",
                "hy": "Հայաստանը սառեցրել է մասնակցությունը ՀԱՊԿ-ում", "kk": "Армения ҰҚШҰ-ға қатысуын тоқтатты"},
               ["Pashinyan", "Armenia", "CSTO"])
# the facts of one story (where, when, how many, who, what they did), as each language tells them,
# aligned by index: every outlet that covers a story reports the same facts in its own words
FACTS = {
    "place": {"en": ["Moscow", "Minsk", "Astana", "Bishkek", "Dushanbe", "Yerevan"],
              "ru": ["Москве", "Минске", "Астане", "Бишкеке", "Душанбе", "Ереване"],
              "hy": ["Մոսկվայում", "Մինսկում", "Աստանայում", "Բիշքեկում", "Դուշանբեում", "Երևանում"],
              "kk": ["Мәскеуде", "Минскіде", "Астанада", "Бішкекте", "Душанбеде", "Ереванда"]},
    "when": {"en": ["On Monday", "On Tuesday", "On Wednesday", "On Thursday", "On Friday"],
             "ru": ["В понедельник", "Во вторник", "В среду", "В четверг", "В пятницу"],
             "hy": ["Երկուշաբթի", "Երեքշաբթի", "Չորեքշաբթի", "Հինգշաբթի", "Ուրբաթ"],
             "kk": ["Дүйсенбіде", "Сейсенбіде", "Сәрсенбіде", "Бейсенбіде", "Жұмада"]},
    "who": {"en": ["officers", "diplomats", "defence officials"], "ru": ["офицеров", "дипломатов", "представителей оборонных ведомств"],
            "hy": ["սպա", "դիվանագետ", "պաշտպանական գերատեսչությունների ներկայացուցիչ"],
            "kk": ["офицер", "дипломат", "қорғаныс ведомстволарының өкілі"]},
    "did": {"en": ["gathered for consultations", "held talks", "attended joint sessions"],
            "ru": ["собрались на консультации", "провели переговоры", "приняли участие в совместных заседаниях"],
            "hy": ["հավաքվեցին խորհրդակցության", "բանակցություններ անցկացրին", "մասնակցեցին համատեղ նիստերին"],
            "kk": ["кеңеске жиналды", "келіссөздер жүргізді", "бірлескен отырыстарға қатысты"]},
}
LEADS = {
    "en": "{when}, {n} {who} from the member states of the Collective Security Treaty Organization (CSTO) {did} in {place}.",
    "ru": "{when} {n} {who} из государств Организации Договора о коллективной безопасности (ОДКБ) {did} в {place}.",
    "hy": "{when} Հավաքական անվտանգության պայմանագրի կազմակերպության (ՀԱՊԿ) անդամ երկրների {n} {who} {place} {did}։",
    "kk": "{when} Ұжымдық қауіпсіздік туралы шарт ұйымына (ҰҚШҰ) мүше елдердің {n} {who} {place} {did}.",
}
CLOSINGS = {
    "en": "The next meeting is expected in the coming months.",
    "ru": "Следующая встреча ожидается в ближайшие месяцы.",
    "hy": "Հաջորդ հանդիպումը սպասվում է առաջիկա ամիսներին։",
    "kk": "Келесі кездесу алдағы айларда күтілуде.",
}
# details that make each report its own (numbers, who, what, where, when), so that reports of one
# story by different outlets are not mistaken for copies of each other
DETAILS = {
    "en": ("{when}, {n} {who} {did} {where}.",
           {"who": ["officers", "diplomats", "experts", "observers", "journalists", "advisers", "delegates", "interpreters"],
            "did": ["attended the sessions", "were briefed on the plans", "gathered for consultations",
                    "arrived for working meetings", "followed the proceedings", "signed the attendance list"],
            "where": ["in the conference hall", "at the defence ministry", "near the border", "at the embassy",
                      "in the old town", "at the airport", "in the press centre"],
            "when": ["On Monday", "On Tuesday", "On Wednesday", "On Thursday", "On Friday", "Late in the evening",
                     "Early in the morning", "At noon"]}),
    "ru": ("{when} {n} {who} {did} {where}.",
           {"who": ["офицеров", "дипломатов", "экспертов", "наблюдателей", "журналистов", "советников", "переводчиков"],
            "did": ["приняли участие в заседаниях", "обсудили планы", "собрались на консультации",
                    "прибыли на рабочие встречи", "следили за ходом переговоров"],
            "where": ["в зале заседаний", "в министерстве обороны", "у границы", "в посольстве", "в пресс-центре",
                      "в аэропорту"],
            "when": ["В понедельник", "Во вторник", "В среду", "В четверг", "В пятницу", "Поздно вечером", "Рано утром"]}),
    "hy": ("{when} {n} {who} {did}։",
           {"who": ["սպա", "դիվանագետ", "փորձագետ", "լրագրող", "դիտորդ"],
            "did": ["մասնակցեցին նիստերին", "քննարկեցին ծրագրերը", "հավաքվեցին խորհրդակցության"],
            "where": [""], "when": ["Երկուշաբթի", "Երեքշաբթի", "Չորեքշաբթի", "Հինգշաբթի", "Ուրբաթ"]}),
    "kk": ("{when} {n} {who} {did}.",
           {"who": ["офицер", "дипломат", "сарапшы", "журналист", "бақылаушы"],
            "did": ["отырыстарға қатысты", "жоспарларды талқылады", "кеңеске жиналды"],
            "where": [""], "when": ["Дүйсенбіде", "Сейсенбіде", "Сәрсенбіде", "Бейсенбіде", "Жұмада"]}),
}
AUTHORS = {"en": "Staff reporter", "ru": "Редакция", "hy": "Խմբագրություն", "kk": "Редакция"}


def portrayal(group: str, actor: str, weeks_ago: int, rng: random.Random) -> int:
    leaning = LEANING[group].get(actor, 0)
    if group == "Russian state" and actor in ("Pashinyan", "Armenia") and weeks_ago <= SHIFT_WEEKS_AGO:
        leaning = -1  # the shift: after the freeze, Russian state media turn on Pashinyan
    return leaning if rng.random() < 0.8 else 0


def article(outlet: tuple, story: tuple, facts: dict, number: int, day: date, weeks_ago: int, rng: random.Random,
            story_id: str = "") -> dict:
    name, _, language, group, _, _ = outlet
    titles, actors = story
    told = {key: FACTS[key][language][index] for key, index in facts.items() if key in FACTS}
    place = told["place"]
    actors = [a for a in actors if a in NAMES[language]]
    portrayals = {a: portrayal(group, a, weeks_ago, rng) for a in actors}
    sentences = [rng.choice(SENTENCES[language][portrayals[a]]).format(a=NAMES[language][a]) for a in actors]
    sentences = [s[0].upper() + s[1:] for s in sentences]
    template, words = DETAILS[language]
    details = [template.format(n=rng.randrange(5, 400), **{key: rng.choice(values) for key, values in words.items()})
               for _ in range(3)]
    slug_name = name.lower().replace(" ", "-")
    return {
        "slug": f"{language}/{day:%Y/%m}/{slug_name}-{number}.html",
        "title": titles[language].format(place=place),
        "author": AUTHORS[language],
        "published": day,
        "lang": language,
        "story": story_id,  # which event it reports (for measuring story grouping; not on the page)
        "portrayals": portrayals,  # actor -> 1, 0 or -1 as written (for the tests; not on the page)
        "paragraphs": [LEADS[language].format(n=facts["n"], **told), " ".join(sentences[:2] + details[:2]),
                       " ".join(sentences[2:] + details[2:] + [CLOSINGS[language]])],
    }


def desk_year(today: date, seed: int = 2026, weeks: int = WEEKS) -> list[dict]:
    """The five generated outlets' specs (as SampleOutlet takes them), dated over the `weeks`
    weeks up to `today` (tests take a slice of the year)."""
    rng = random.Random(seed)
    this_monday = today - timedelta(days=today.weekday())
    specs = {outlet[0]: {"name": outlet[0], "country": outlet[1], "language": outlet[2], "group": outlet[3],
                         "template": outlet[4], "discovery": "sitemap", "articles": []} for outlet in OUTLETS}
    number = 0
    for weeks_ago in range(weeks - 1, -1, -1):
        stories = rng.sample(STORIES, 2)
        if weeks_ago == SHIFT_WEEKS_AGO:
            stories = [SHIFT_STORY, SHIFT_STORY, SHIFT_STORY]  # the week everyone writes about the freeze
        # a generated week is a calendar week (Monday to Sunday, as the dashboard and the shifts
        # count them), so the year tells the same story whatever weekday the demo runs on
        monday = this_monday - timedelta(weeks=weeks_ago)
        last_day = min(today, monday + timedelta(days=6))
        for story in stories:
            story_id = f"week-{weeks_ago}-" + (f"{STORIES.index(story)}" if story in STORIES else "freeze")
            day = min(last_day, monday + timedelta(days=rng.randrange(7)))
            facts = {key: rng.randrange(len(FACTS[key]["en"])) for key in FACTS}
            facts["n"] = 10 * rng.randrange(2, 40)
            for outlet in OUTLETS:
                if rng.random() < outlet[5]:
                    number += 1
                    published = min(last_day, day + timedelta(days=rng.randrange(2)))
                    specs[outlet[0]]["articles"].append(article(outlet, story, facts, number, published, weeks_ago, rng, story_id))
    return list(specs.values())
