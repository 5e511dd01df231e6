"""Shifts: weeks in which an actor's coverage moved far from its own recent baseline.

For each actor, over all outlets and over each outlet group, week by week (weeks start on
Monday; calendar weeks, so a week without articles counts as 0 for volume):
- volume: the week's number of articles that mention the actor, against the previous
  `baseline_weeks` weeks (mean and standard deviation, weeks without articles as 0);
- stance: the week's mean score, against the mean scores of the baseline weeks that had judged
  articles (at least half of them must have), the week itself needing `min_articles` judged.
A week is a shift when it lies more than `threshold_sd` standard deviations from the baseline
mean and has at least `min_articles` articles; the deviation is measured against at least
VOLUME_SD_FLOOR articles or STANCE_SD_FLOOR of score, so a quiet, flat baseline does not turn
every small change into a shift. The table `stance_shifts` is rebuilt from `weekly_stances`
after every crawl (a few thousand rows at most: weeks x actors x groups).
"""

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, timedelta
import statistics

import sqlite_utils

VOLUME_SD_FLOOR = 1.0  # articles
STANCE_SD_FLOOR = 0.1  # score
ALL_OUTLETS = ""  # outlet_group of the rows over every outlet


@dataclass(frozen=True)
class ShiftRules:
    """The settings SHIFT_BASELINE_WEEKS, SHIFT_THRESHOLD_SD and SHIFT_MIN_ARTICLES (crawler/rules.py
    builds it from them)."""
    baseline_weeks: int
    threshold_sd: float
    min_articles: int


def weekly_series(db: sqlite_utils.Database) -> dict:
    """(actor_id, group) -> {week: (articles, scored, score_sum)}; group '' is every outlet."""
    series: dict = defaultdict(lambda: defaultdict(lambda: [0, 0, 0.0]))
    rows = db.execute(
        """select w.week, w.actor_id, coalesce(o.outlet_group, '') as outlet_group,
                  sum(w.articles), sum(w.scored), coalesce(sum(w.score_sum), 0)
           from weekly_stances w join outlets o on o.id = w.outlet_id
           where w.week is not null group by 1, 2, 3""").fetchall()
    for week, actor_id, group, articles, scored, score_sum in rows:
        keys = [(actor_id, ALL_OUTLETS)] + ([(actor_id, group)] if group else [])
        for key in keys:
            cell = series[key][week]
            cell[0] += articles
            cell[1] += scored
            cell[2] += score_sum
    return series


def shifts_of(weeks: dict, baseline_weeks: int, threshold_sd: float, min_articles: int) -> list[dict]:
    """The shift rows of one actor and group (`weeks`: week -> [articles, scored, score_sum])."""
    found = []
    first = date.fromisoformat(min(weeks))
    for week in sorted(weeks):
        start = date.fromisoformat(week)
        if (start - first).days < 7 * baseline_weeks:
            continue  # not enough history for a baseline
        before = [(start - timedelta(weeks=k)).isoformat() for k in range(baseline_weeks, 0, -1)]
        articles, scored, score_sum = weeks[week]
        volumes = [weeks[w][0] if w in weeks else 0 for w in before]
        mean, sd = statistics.fmean(volumes), statistics.pstdev(volumes)
        if articles >= min_articles and abs(articles - mean) > threshold_sd * max(sd, VOLUME_SD_FLOOR):
            found.append({"kind": "volume", "week": week, "value": articles, "baseline_mean": round(mean, 3),
                          "baseline_sd": round(sd, 3), "articles": articles})
        means = [weeks[w][2] / weeks[w][1] for w in before if w in weeks and weeks[w][1]]
        if scored >= min_articles and len(means) * 2 >= baseline_weeks:
            value = score_sum / scored
            mean, sd = statistics.fmean(means), statistics.pstdev(means)
            if abs(value - mean) > threshold_sd * max(sd, STANCE_SD_FLOOR):
                found.append({"kind": "stance", "week": week, "value": round(value, 3), "baseline_mean": round(mean, 3),
                              "baseline_sd": round(sd, 3), "articles": scored})
    for row in found:
        row["direction"] = "up" if row["value"] > row["baseline_mean"] else "down"
        spread = max(row["baseline_sd"], VOLUME_SD_FLOOR if row["kind"] == "volume" else STANCE_SD_FLOOR)
        row["deviation_sd"] = round((row["value"] - row["baseline_mean"]) / spread, 2)
    return found


def refresh_shifts(db: sqlite_utils.Database, rules: ShiftRules) -> int:
    """Rebuild `stance_shifts`; return how many shifts there are."""
    rows = []
    for (actor_id, group), weeks in weekly_series(db).items():
        for row in shifts_of(weeks, **asdict(rules)):
            rows.append({"actor_id": actor_id, "outlet_group": group, **row})
    with db.atomic():
        db.execute("delete from stance_shifts")
        if rows:
            db["stance_shifts"].insert_all(rows)
    return len(rows)
