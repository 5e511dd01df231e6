"""`csto-monitor demo --no-serve`: a desk's year crawled into a database (its own file: the
longest test, which `--dist loadfile` can then run beside the other command tests)."""

from pathlib import Path

import sqlite_utils

from tests.conftest import csto_monitor


def test_demo_without_serving_writes_a_desks_year_and_rebuilds_it_when_run_again(tmp_path):
    import re
    from datetime import date, timedelta

    from crawler.cli.serve import clear_demo_database

    db = tmp_path / "monitor.db"
    db.write_bytes(b"")  # an earlier demo's file: the demo clears it before crawling (new ports every run)
    result = csto_monitor("demo", "--no-serve", "--db", str(db))
    assert result.returncode == 0, result.stderr[-2000:]
    new = int(re.search(r"articles new: (\d+)", result.stdout).group(1))
    for noise in ("Warning", "Loading weights", "WARNING: lxml", "Traceback"):  # nothing a user cannot act on
        assert noise not in result.stdout + result.stderr
    database = sqlite_utils.Database(db)
    assert new >= 400 and database.execute("select count(*) from articles").fetchone()[0] == new
    # run again, the demo starts from nothing: clear_demo_database deletes its own database (the
    # sample outlets only) with its WAL files, so the second run cannot add the articles twice
    copy = tmp_path / "again.db"
    database.execute("vacuum into ?", [str(copy)])
    clear_demo_database(copy, {row[0] for row in database.execute("select name from outlets")})
    assert not copy.exists() and not Path(f"{copy}-wal").exists()
    # eight outlets in four groups, four languages, the last twelve months up to today
    assert database.execute("select count(*), count(distinct outlet_group) from outlets").fetchone() == (8, 4)
    assert {row[0] for row in database.execute("select distinct language from articles")} == {"en", "ru", "hy", "kk"}
    newest, oldest = database.execute("select max(published), min(published) from articles").fetchone()
    assert date.fromisoformat(newest[:10]) >= date.today() - timedelta(days=6)  # "Articles this week" is not 0
    assert date.fromisoformat(oldest[:10]) >= date.today() - timedelta(days=365)
    # the shift the year was written with: Russian state media turn on Pashinyan
    shifted = database.execute(
        """select count(*) from stance_shifts sh join actors ac on ac.id = sh.actor_id
           where ac.name = 'Pashinyan' and sh.outlet_group = 'Russian state' and sh.kind = 'stance' and sh.direction = 'down'""").fetchone()[0]
    assert shifted >= 1
