"""The written role sentences that teach the English encoder (lab/role_encoder.py) stay apart
from the role test and the refusals they are measured on."""

import yaml

from lab.role_encoder import ROLE_SENTENCES, role_mentions
from tests.test_stance import REFUSALS, ROLE_PAIRS, ROLES


def test_the_taught_role_sentences_share_no_country_or_template_with_the_role_test():
    data = yaml.safe_load(ROLE_SENTENCES.read_text(encoding="utf-8"))
    taught_countries = {country for pair in data["pairs"] for country in pair}
    assert not taught_countries & {country for pair in ROLE_PAIRS for country in pair}
    assert not {t[0] for t in data["templates"]} & {template for template, _, _ in ROLES}
    taught = {mention.sentence for mention in role_mentions()[0]}
    assert not taught & {sentence for sentence, _, _ in REFUSALS}
    assert all(label in (None, "critical", "neutral", "supportive") for t in data["templates"] for label in t[1:])


def test_held_out_templates_are_left_out_of_the_taught_mentions():
    everything, _ = role_mentions()
    kept, labels = role_mentions(leave_out={0})
    first, _ = role_mentions(templates={0})
    assert len(kept) + len(first) == len(everything) and len(kept) == len(labels)
    assert not {m.sentence for m in first} & {m.sentence for m in kept}
    pairs = len(yaml.safe_load(ROLE_SENTENCES.read_text(encoding="utf-8"))["pairs"])
    assert len(first) == 2 * pairs * 2  # both countries judged, each pair both ways
