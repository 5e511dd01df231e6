"""The role sentences that teach the English head who the negativity is about: apart from the role
test's countries and templates, and a head trained on them that moves while the model stays."""

import itertools
import json

import torch

from lab.role_head import role_mentions, train_role_head
from stance import load_model
from tests.test_stance import ROLE_PAIRS, ROLES


def test_the_role_sentences_name_no_country_and_no_template_of_the_role_test():
    mentions, labels, templates = role_mentions()
    assert len(mentions) == len(labels) == len(templates) > 600
    tested = set(itertools.chain.from_iterable(ROLE_PAIRS))
    assert not {m.surface for m in mentions} & tested
    written = {t for t, _, _ in ROLES}
    assert not any(m.sentence in {t.format(a=a, b=b) for t in written for a, b in ROLE_PAIRS} for m in mentions)
    assert set(labels) == {"critical", "neutral", "supportive"}


def test_training_moves_a_copy_of_the_head_and_leaves_the_model_alone(tmp_path):
    news = tmp_path / "news.jsonl"
    news.write_text("\n".join(json.dumps({"sentence_normalized": f"Officials said {name} {verb} the plan.", "targets": [
        {"from": 14, "to": 14 + len(name), "mention": name, "polarity": polarity}]})
        for name, verb, polarity in [("Putin", "praised", 6.0), ("Tokayev", "attacked", 2.0), ("Pashinyan", "read", 4.0)] * 4))
    model = load_model()
    before = {k: v.clone() for k, v in model.head.state_dict().items()}
    head = train_role_head(model, news, progress=lambda _: None)
    assert all(torch.equal(before[k], v) for k, v in model.head.state_dict().items())
    assert any(not torch.equal(before[k], v) for k, v in head.state_dict().items())
