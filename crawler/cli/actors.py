"""`csto-monitor actors suggest` (the new names as actors.yml entries to paste) and
`csto-monitor rejudge` (an actor added later, judged in the stored articles)."""

import click

from crawler.cli.app import DEFAULT_DB, exit_on_run_errors, fail, main, require_database
from crawler.config import ConfigError


@main.group()
def actors():
    """The actors a desk tracks: names to add from the stored articles."""


@actors.command("suggest")
@click.option("--db", default=DEFAULT_DB, show_default=True, help="SQLite database whose new names to read.")
@click.option("--since", default=None, metavar="YYYY-MM-DD", help="Only articles published from this day on.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500), help="How many names.")
def suggest(db, since, limit):
    """Print the persons and organisations the stored articles name most that actors.yml does not
    track, as actors.yml entries (name, kind, aliases seen) with how often and where: paste the
    ones to follow into actors.yml, then run `csto-monitor rejudge --actor NAME`."""
    import yaml

    from crawler.spiders.outlets import parse_since
    from crawler.storage.database import open_database
    from crawler.storage.names import suggested_names

    require_database(db)
    try:
        day = parse_since(since) if since else None
    except ValueError as error:
        fail(f"--since {since}: {error}")
    names = suggested_names(open_database(db), day, limit)
    if not names:
        click.echo(f"# no new names in {db}" + (f" since {day}" if day else "") + " (names are read when a crawl ends)")
        return
    for name in names:
        aliases = name["aliases"] + ([name["name"].split()[-1]] if name["kind"] == "person" else [])
        entry = [{"name": name["name"], "kind": name["kind"],
                  "aliases": [a for a in dict.fromkeys(aliases) if a != name["name"]]}]
        click.echo(f"# {name['articles']} article{'s' if name['articles'] != 1 else ''} in {name['outlets']} "
                   f"outlet{'s' if name['outlets'] != 1 else ''} ({name['outlet_names']}); e.g. “{name['example']}”")
        click.echo(yaml.safe_dump(entry, allow_unicode=True, sort_keys=False, width=100).rstrip())


@main.command()
@click.option("--db", default=DEFAULT_DB, show_default=True, help="SQLite database whose articles to judge again.")
@click.option("--actor", "name", required=True, help="The actor's name as in actors.yml.")
@click.option("--actors", "actors_file", default=None, help="actors.yml [default: the project's].")
@click.option("--stance", "stance_file", default=None, help="stance.yml [default: the project's].")
def rejudge(db, name, actors_file, stance_file):
    """Find the actor NAME (newly added to actors.yml) in every stored article and judge its
    stance, as a crawl would have; the summaries and shifts are refreshed, so its history shows
    on the dashboard without a recrawl."""
    from crawler.config import DEFAULT_ACTORS_FILE, DEFAULT_STANCE_FILE, load_actors, load_stance_models
    from crawler.operations.rejudge import rejudge as rejudge_actor
    from crawler.storage.articles import check_database_path
    from crawler.storage.database import open_database
    from crawler.storage.lock import database_lock
    from pipelines.stance import stance_workers
    from stance.quiet import quiet_loading
    from stance.registry import StanceModels

    require_database(db)
    with exit_on_run_errors():
        configured = load_actors(actors_file or DEFAULT_ACTORS_FILE).actors
        actor = next((a for a in configured if a.name.lower() == name.lower()), None)
        if actor is None:
            raise ConfigError(f"no actor named {name!r} in {actors_file or DEFAULT_ACTORS_FILE}; add it there first "
                              "(`csto-monitor actors suggest` prints entries to paste)")
        check_database_path(db)
        workers, threads = stance_workers()
        with quiet_loading():
            models = StanceModels.from_specs(load_stance_models(stance_file or DEFAULT_STANCE_FILE), threads=threads)
        with database_lock(db):
            counts = rejudge_actor(open_database(db), actor, models, progress=lambda line: click.echo(line, err=True),
                                   workers=workers)
    click.echo(f"{actor.name}: {counts['mentioning']} of {counts['articles']} articles mention it; {counts['stances']} "
               f"stances written ({counts['reviewed_kept']} reviewed kept), summaries of {counts['days']} days refreshed, "
               f"{counts['names_forgotten']} new names now tracked")
