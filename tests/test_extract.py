"""`csto-monitor extract` on saved pages, and the extraction quality gate on the public benchmark."""

import gzip
import json
from pathlib import Path
import sys

from tests.conftest import PROJECT, csto_monitor, shared_file

FLOORS = json.loads((Path(__file__).parent / "eval_floors.json").read_text())
PAGE = """<html><head><title>Ministers meet in Yerevan</title><meta name="author" content="Ann Lee">
<meta property="article:published_time" content="2026-03-01T10:00:00Z"></head><body>
<p>top of page</p><article><h1>Ministers meet in Yerevan</h1>
<p>The foreign ministers of the alliance met in Yerevan on Tuesday to discuss the future of the treaty.</p>
<p>Several delegations said the disagreement was about the mutual defence clause and its limits.</p>
<p>The ministers will meet again in the autumn, officials said after the talks ended late at night.</p>
</article><div><h3>Leave a Reply</h3><p>Your email address will not be published.</p></div><p>bottom of page</p></body></html>"""


def test_extract_prints_one_json_object_per_file_for_html_and_gzip(tmp_path):
    plain, packed = tmp_path / "page.html", tmp_path / "page.html.gz"
    plain.write_text(PAGE)
    packed.write_bytes(gzip.compress(PAGE.encode()))
    result = csto_monitor("extract", "--jsonl", str(plain), str(packed))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["file"] for r in records] == [str(plain), str(packed)]
    for record in records:
        assert set(record) == {"file", "title", "author", "published", "language", "language_prob", "text"}
        assert record["title"] == "Ministers meet in Yerevan" and record["author"] == "Ann Lee"
        assert record["published"] == "2026-03-01" and record["language"] == "en"
        assert record["text"].startswith("The foreign ministers")  # body without the title
        assert "top of page" not in record["text"] and "Leave a Reply" not in record["text"]


def test_extraction_beats_plain_trafilatura_on_the_public_benchmark():
    folder = shared_file("data", "article-extraction-benchmark")
    sys.path.insert(0, str(PROJECT / "benchmarks"))
    from extraction import evaluate

    results = evaluate(folder)
    ours, plain = results["csto-monitor extract"], results["trafilatura.extract"]
    assert ours["pages"] == 91
    assert ours["f1"] >= FLOORS["extraction_f1"] and ours["precision"] >= FLOORS["extraction_precision"], ours
    assert ours["f1"] >= plain["f1"], results
