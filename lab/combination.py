"""Fit the learned combination (stance/aggregate.py) on articles labelled by readers, and say
honestly how well it does on articles it was not fitted on.

The mentions of each article are judged once (as `stance eval --articles` judges them); the
features of each article then train a multinomial logistic regression with balanced class
weights. The figure reported is stratified 5-fold cross-validation, repeated over seeds: every
article is scored by a fit that did not see it.
"""

import hashlib
from pathlib import Path

from lab.articles import LabelledArticle, find_target
from lab.training import scores
from stance.aggregate import LearnedCombination, article_features

SEEDS = (1, 2, 3, 4, 5)


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


def fit(rows: list[tuple[list[float], str]], regularisation: float = 1.0):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=5000, C=regularisation, class_weight="balanced").fit(
        [features for features, _ in rows], [label for _, label in rows])


def cross_validated(rows: list[tuple[list[float] | None, str]], regularisation: float = 1.0) -> dict:
    """Macro-F1 and accuracy of the combination on articles it was not fitted on (stratified
    5-fold, over SEEDS), beside the fixed rule's on the same judgements. Articles without a
    found target count as neutral, as in the crawl."""
    from sklearn.model_selection import StratifiedKFold

    gold = [label for _, label in rows]
    found = [i for i, (features, _) in enumerate(rows) if features is not None]
    runs = []
    for seed in SEEDS:
        predicted = ["neutral"] * len(rows)
        folds = StratifiedKFold(5, shuffle=True, random_state=seed).split(found, [gold[i] for i in found])
        for train, test in folds:
            model = fit([rows[found[i]] for i in train], regularisation)
            for i, label in zip(test, model.predict([rows[found[i]][0] for i in test])):
                predicted[found[i]] = label
        runs.append(scores(gold, predicted))
    mean = sum(r["macro_f1"] for r in runs) / len(runs)
    spread = (sum((r["macro_f1"] - mean) ** 2 for r in runs) / len(runs)) ** 0.5
    return {"macro_f1": round(mean, 4), "macro_f1_sd": round(spread, 4),
            "accuracy": round(sum(r["accuracy"] for r in runs) / len(runs), 4), "folds": 5, "seeds": len(SEEDS)}


def file_digest(path: str | Path) -> str:
    return hashlib.sha1(Path(path).read_bytes()).hexdigest()[:12]


def learned_combination(rows, paths: list[str | Path], model_name: str, regularisation: float = 1.0) -> LearnedCombination:
    """The combination fitted on every article of `rows` (read from `paths`, pooled), carrying its
    cross-validated figure."""
    usable = [row for row in rows if row[0] is not None]
    model = fit(usable, regularisation)
    labels = [str(label) for label in model.classes_]
    return LearnedCombination(
        tuple(labels), tuple(tuple(float(w) for w in row) for row in model.coef_), tuple(float(b) for b in model.intercept_),
        {"files": [Path(path).name for path in paths], "sha1": [file_digest(path) for path in paths],
         "articles": len(usable), "model": model_name, "regularisation": regularisation,
         "cross_validated": cross_validated(rows, regularisation)})


def fitted_on(fitted: dict, path: str | Path) -> bool:
    """Whether a combination's `fitted` record names the file at `path` among those it was fitted on."""
    digests = fitted.get("sha1") or []
    return file_digest(path) in ([digests] if isinstance(digests, str) else digests)

