"""`stance eval --articles`: whole articles labelled with the author's stance toward a target,
judged as a crawl judges them (actor finder, the stance.yml model, the combination rule)."""

import csv
import json

from click.testing import CliRunner
import pytest

from crawler.cli import main
from lab.articles import evaluate_articles, find_target, judge, persent_aliases, read_articles
from stance import load_model

ARTICLES = [  # written for these tests
    {"title": "Tokayev praised for calm diplomacy",
     "text": "Kassym-Jomart Tokayev acted wisely and with admirable restraint.\nObservers hailed Tokayev as a steady hand.",
     "target": "Tokayev", "aliases": ["Kassym-Jomart Tokayev", "Tokayev"], "label": "supportive"},
    {"title": "Lukashenko condemned over crackdown",
     "text": "Critics denounced Lukashenko for the brutal crackdown.\nLukashenko was accused of lying about the arrests.",
     "target": "Lukashenko", "aliases": ["Alexander Lukashenko", "Lukashenko"], "label": "critical"},
    {"title": "Weather in Almaty", "text": "Snow fell on Almaty overnight and roads were closed.",
     "target": "Pashinyan", "aliases": ["Nikol Pashinyan", "Pashinyan"], "label": "neutral"},
]


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def write_persent(path, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, ["DOCUMENT_INDEX", "TITLE", "TARGET_ENTITY", "DOCUMENT", "MASKED_DOCUMENT", "TRUE_SENTIMENT"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def last_json(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


def test_articles_are_judged_as_a_crawl_judges_them_and_a_missing_target_counts_as_neutral(tmp_path):
    path = write_jsonl(tmp_path / "articles.jsonl", ARTICLES)
    result = CliRunner().invoke(main, ["stance", "eval", "--articles", str(path), "--model", "minilm-newsmtsc"])
    assert result.exit_code == 0, result.output[-2000:]
    scores = last_json(result.output)
    assert list(scores) == ["macro_f1", "accuracy", "f1", "n", "found"]
    assert scores["n"] == 3 and scores["found"] == 2  # Pashinyan is not in the weather report
    model, articles = load_model("minilm-newsmtsc"), read_articles(path)
    judged = [judge(model, article) for article in articles]
    assert judged[0] == "supportive" and judged[2] is None  # a clear portrayal; a target never found
    assert scores == evaluate_articles(model, articles)  # the command's figure is the crawl's judgement, scored


def test_persent_csv_is_read_with_full_name_and_surname_as_aliases(tmp_path):
    rows = [{"DOCUMENT_INDEX": 1, "TITLE": "A mayor's plan", "TARGET_ENTITY": "Jane Doerr",
             "DOCUMENT": "Jane Doerr unveiled a plan for the port.\n Doerr said the  city would gain.",
             "MASKED_DOCUMENT": "", "TRUE_SENTIMENT": "Positive"}]
    articles = read_articles(write_persent(tmp_path / "dev.csv", rows))
    assert articles[0].aliases == ("Jane Doerr", "Doerr") and articles[0].label == "supportive"
    assert articles[0].text.split("\n") == ["Jane Doerr unveiled a plan for the port.", "Doerr said the  city would gain."]
    assert [m.surface for m in find_target(articles[0])] == ["Jane Doerr", "Doerr"]
    assert persent_aliases("Madonna") == ("Madonna",)
    result = CliRunner().invoke(main, ["stance", "eval", "--articles", str(tmp_path / "dev.csv")])  # stance.yml's model
    assert result.exit_code == 0, result.output[-2000:]
    assert last_json(result.output)["found"] == 1


@pytest.mark.parametrize("content, message", [
    ('{"title": "t", "text": "x", "target": "A"}\n', "articles.jsonl:1: not a labelled article"),
    ('{"title": "t", "text": "x", "target": "A", "label": "angry"}\n', "label 'angry' is not one of"),
    ("not json\n", "articles.jsonl:1"),
    ("", "holds no labelled article"),
])
def test_a_malformed_article_file_is_one_line_and_a_non_zero_exit(tmp_path, content, message):
    path = tmp_path / "articles.jsonl"
    path.write_text(content)
    result = CliRunner().invoke(main, ["stance", "eval", "--articles", str(path), "--model", "minilm-newsmtsc"])
    assert result.exit_code == 1 and message in result.output
    assert len([line for line in result.output.splitlines() if line.startswith("error:")]) == 1


def test_a_csv_without_persents_columns_is_refused_by_name(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="no column TITLE"):
        read_articles(path)


def test_fit_combination_writes_a_combination_and_its_cross_validated_figure(tmp_path):
    from stance.aggregate import LearnedCombination

    records = []
    for copy in range(6):  # five folds need a few articles of each label
        for article in ARTICLES:
            text = article["text"] if article["label"] != "neutral" else f"Pashinyan met farmers in village {copy}."
            records.append({**article, "title": f"{article['title']} ({copy})", "text": text})
    first = write_jsonl(tmp_path / "articles.jsonl", records[::2])
    second = write_jsonl(tmp_path / "more.jsonl", records[1::2])
    out = tmp_path / "combination.json"
    result = CliRunner().invoke(main, ["stance", "fit-combination", "--articles", str(first), "--articles", str(second),
                                       "--out", str(out), "--model", "minilm-newsmtsc"])
    assert result.exit_code == 0, result.output[-2000:]
    combination = LearnedCombination.from_file(out)  # the two files pooled
    assert combination.fitted["articles"] == 18 and combination.fitted["files"] == ["articles.jsonl", "more.jsonl"]
    figure = last_json(result.output)
    assert figure == combination.fitted["cross_validated"] and figure["folds"] == 5
    assert figure["macro_f1"] > 0.8  # three clearly different kinds of article, told apart on unseen folds
