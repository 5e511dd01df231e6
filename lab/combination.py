"""Fit the learned combination (stance/aggregate.py) on articles labelled by readers, and say
honestly how well it does on articles it was not fitted on.

Two kinds of labelled articles pool into one fit: real news labelled with the author's stance
toward one person (PerSenT), and articles of the desk's own domain with a reader's label for each
of their actors (lab/data/desk_tuning.yml), each of whose judgements weighs `desk_weight` articles:
PerSenT's world, long articles about much-covered persons of which a tenth are negative, alone
teaches a combination that calls the desk's clearly critical coverage neutral.

The mentions of each article are judged once (as `stance eval --articles` judges them); the
features of each article then train a multinomial logistic regression with balanced class
weights. The figure reported is 5-fold cross-validation repeated over seeds, the folds splitting
both kinds by article (stratified for the real news): every article is scored by a fit that did
not see it.
"""

import hashlib
from pathlib import Path

from lab.articles import LabelledArticle, find_target
from lab.training import critical_recall, scores
from stance.aggregate import LearnedCombination, article_features

SEEDS = (1, 2, 3, 4, 5)
DESK_WEIGHT = 10.0


def judged_articles(model, articles: list[LabelledArticle], progress=None) -> list[tuple[list[float] | None, str]]:
    """Per article: the features of the target's judged mentions (None when it was not found), and its label."""
    rows = []
    for done, article in enumerate(articles, 1):
        mentions = find_target(article)
        judgements = model.predict(mentions) if mentions else []
        rows.append((article_features(judgements, article.title) if judgements else None, article.label))
        if progress and done % 100 == 0:
            progress(done, len(articles))
    return rows


def judged_desk_articles(model, articles, finder) -> list[tuple[list[float] | None, str, int]]:
    """Per labelled actor of each desk article: the features of its judged mentions (None when the
    finder does not find it), the reader's label, and the article's index."""
    rows = []
    for index, article in enumerate(articles):
        mentions = finder.find(article.title, article.text, article.language)
        for actor, label in article.actors.items():
            judgements = model.predict(mentions[actor]) if mentions.get(actor) else []
            rows.append((article_features(judgements, article.title) if judgements else None, label, index))
    return rows


def fit(rows: list[tuple[list[float], str]], regularisation: float = 1.0, weights: list[float] | None = None):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=5000, C=regularisation, class_weight="balanced").fit(
        [features for features, _ in rows], [label for _, label in rows], sample_weight=weights)


def cross_validated(rows: list[tuple[list[float] | None, str]], regularisation: float = 1.0,
                    desk: list[tuple[list[float] | None, str, int]] = (), desk_weight: float = DESK_WEIGHT,
                    reported: set[int] | None = None) -> dict:
    """Macro-F1 and accuracy of the combination on the articles it was not fitted on (5 folds, over
    SEEDS), and where there are desk articles their macro-F1 and critical recall on the desk's
    held-out articles (and, with `reported`, the same over only those article indexes:
    reported_macro_f1, reported_critical_recall). An article or actor whose target was not found
    counts as neutral, as in the crawl."""
    from sklearn.model_selection import KFold, StratifiedKFold

    gold = [label for _, label in rows]
    found = [i for i, (features, _) in enumerate(rows) if features is not None]
    articles = sorted({index for _, _, index in desk})
    runs, desk_runs, reported_runs = [], [], []
    for seed in SEEDS:
        predicted = ["neutral"] * len(rows)
        desk_predicted = ["neutral"] * len(desk)
        desk_folds = list(KFold(5, shuffle=True, random_state=seed).split(articles)) if len(articles) >= 5 else []
        folds = StratifiedKFold(5, shuffle=True, random_state=seed).split(found, [gold[i] for i in found])
        for fold, (train, test) in enumerate(folds):
            held_out = {articles[i] for i in desk_folds[fold][1]} if desk_folds else set()
            desk_train = [(f, label) for f, label, index in desk if f is not None and index not in held_out]
            model = fit([rows[found[i]] for i in train] + desk_train, regularisation,
                        [1.0] * len(train) + [desk_weight] * len(desk_train))
            for i, label in zip(test, model.predict([rows[found[i]][0] for i in test])):
                predicted[found[i]] = label
            testing = [i for i, (f, _, index) in enumerate(desk) if f is not None and index in held_out]
            for i, label in zip(testing, model.predict([desk[i][0] for i in testing]) if testing else []):
                desk_predicted[i] = label
        runs.append(scores(gold, predicted))
        if desk_folds:
            desk_runs.append(desk_run(desk, desk_predicted))
            if reported is not None:
                reported_runs.append(desk_run(desk, desk_predicted, reported))
    mean = sum(r["macro_f1"] for r in runs) / len(runs)
    spread = (sum((r["macro_f1"] - mean) ** 2 for r in runs) / len(runs)) ** 0.5
    figure = {"macro_f1": round(mean, 4), "macro_f1_sd": round(spread, 4),
              "accuracy": round(sum(r["accuracy"] for r in runs) / len(runs), 4), "folds": 5, "seeds": len(SEEDS)}
    for name, kind_runs in (("desk", desk_runs), ("reported", reported_runs)):
        if kind_runs:
            figure[f"{name}_macro_f1"] = round(sum(r["macro_f1"] for r in kind_runs) / len(kind_runs), 4)
            figure[f"{name}_critical_recall"] = round(sum(r["critical_recall"] for r in kind_runs) / len(kind_runs), 4)
    return figure


def desk_run(desk, predicted: list[str], articles: set[int] | None = None) -> dict:
    """One seed's scores on the desk judgements (of `articles` only, when given)."""
    kept = [i for i, (_, _, index) in enumerate(desk) if articles is None or index in articles]
    gold, judged = [desk[i][1] for i in kept], [predicted[i] for i in kept]
    return {**scores(gold, judged), "critical_recall": critical_recall(gold, judged) or 0.0}


def fit_pooled(rows, desk, regularisation: float = 1.0, desk_weight: float = DESK_WEIGHT):
    """The combination fitted on the found articles of `rows` and the found actors of `desk`, each
    desk judgement weighing `desk_weight` articles; with how many of each it was fitted on."""
    usable = [row for row in rows if row[0] is not None]
    desk_usable = [(features, label) for features, label, _ in desk if features is not None]
    model = fit(usable + desk_usable, regularisation, [1.0] * len(usable) + [desk_weight] * len(desk_usable))
    return model, len(usable), len(desk_usable)


def desk_figure(combination_model, desk: list[tuple[list[float] | None, str, int]]) -> dict:
    """Macro-F1 and critical recall of a fitted combination on desk judgements it was not fitted on."""
    gold = [label for _, label, _ in desk]
    usable = [i for i, (features, _, _) in enumerate(desk) if features is not None]
    predicted = ["neutral"] * len(desk)
    for i, label in zip(usable, combination_model.predict([desk[i][0] for i in usable]) if usable else []):
        predicted[i] = label
    recall = critical_recall(gold, predicted)
    return {"macro_f1": scores(gold, predicted)["macro_f1"], "critical_recall": None if recall is None else round(recall, 4),
            "n": len(gold)}


def file_digest(path: str | Path) -> str:
    return hashlib.sha1(Path(path).read_bytes()).hexdigest()[:12]


def learned_combination(rows, paths: list[str | Path], model_name: str, regularisation: float = 1.0,
                        desk=(), desk_paths: list[str | Path] = (), desk_weight: float = DESK_WEIGHT,
                        reported: set[int] | None = None) -> LearnedCombination:
    """The combination fitted on every article of `rows` (read from `paths`) and every found actor
    of `desk` (read from `desk_paths`, each weighing `desk_weight`), carrying its cross-validated
    figure (with `reported`, also over those desk articles alone)."""
    model, articles, desk_judgements = fit_pooled(rows, desk, regularisation, desk_weight)
    labels = [str(label) for label in model.classes_]
    every = list(paths) + list(desk_paths)
    fitted = {"files": [Path(path).name for path in every], "sha1": [file_digest(path) for path in every],
              "articles": articles, "model": model_name, "regularisation": regularisation,
              "cross_validated": cross_validated(rows, regularisation, desk, desk_weight, reported)}
    if desk_paths:
        fitted.update(desk_judgements=desk_judgements, desk_weight=desk_weight)
    return LearnedCombination(
        tuple(labels), tuple(tuple(float(w) for w in row) for row in model.coef_), tuple(float(b) for b in model.intercept_),
        fitted)


def fitted_on(fitted: dict, path: str | Path) -> bool:
    """Whether a combination's `fitted` record names the file at `path` among those it was fitted on."""
    digests = fitted.get("sha1") or []
    return file_digest(path) in ([digests] if isinstance(digests, str) else digests)
