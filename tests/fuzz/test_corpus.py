"""Replays tests/fuzz/corpus/ (the hostile inputs of issue #11) through each parser:
each gives exactly the documented rejection, and nothing raises."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from truceline.adapters import ADAPTERS, Row, RowError, SourceError
from truceline.agreement.load import AgreementError, load_agreement_text
from truceline.ingest.check import check_envelope
from truceline.ingest.formats import SubmissionError, split_envelopes
from truceline.ingest.reasons import Rejection

from .conftest import TABLE, corpus
from .make_corpus import CORPUS, files


def test_the_committed_corpus_is_what_make_corpus_writes() -> None:
    """Regenerate with `.venv/bin/python tests/fuzz/make_corpus.py` after changing it."""
    for name, (data, _) in files().items():
        assert (CORPUS / name).read_bytes() == data, name


def _id(item: tuple[Path, dict[str, Any]]) -> str:
    return item[0].name


@pytest.mark.parametrize("item", corpus("envelope"), ids=_id)
def test_envelopes(item: tuple[Path, dict[str, Any]]) -> None:
    path, expect = item
    result = check_envelope(path.read_bytes(), TABLE)
    assert isinstance(result, Rejection), result
    assert (result.reason, result.field) == (expect["reason"], expect["field"]), result


@pytest.mark.parametrize("item", corpus("submission"), ids=_id)
def test_submissions(item: tuple[Path, dict[str, Any]]) -> None:
    path, _ = item
    with pytest.raises(SubmissionError, match="at most 64"):
        split_envelopes(path.read_bytes())


ADAPTER_ITEMS = [x for x in corpus() if x[1]["parser"] in ADAPTERS]


@pytest.mark.parametrize("item", ADAPTER_ITEMS, ids=_id)
def test_adapters(item: tuple[Path, dict[str, Any]]) -> None:
    path, expect = item
    adapter = ADAPTERS[expect["parser"]]()
    if expect.get("source_error"):
        with pytest.raises(SourceError, match="at most 64"):
            list(adapter.parse(path))
        return
    items = list(adapter.parse(path))
    c = adapter.counts
    assert c.read == c.parsed + c.errors == len(items)
    errors = [i for i in items if isinstance(i, RowError)]
    if "row_errors" in expect:
        assert len(errors) == expect["row_errors"], [str(e) for e in errors]
    if "field" in expect:
        assert all(e.field == expect["field"] for e in errors), [str(e) for e in errors]
    rows = [i for i in items if isinstance(i, Row)]
    text = "".join(r.observation.model_dump_json() for r in rows)
    if "no_text" in expect:  # an external entity was never read
        assert expect["no_text"] not in text + "".join(e.raw + e.reason for e in errors)
    if "max_remarks" in expect:  # an entity bomb was never expanded
        for r in rows:
            assert len(str(r.observation.attributes.model_extra.get("remarks", ""))) <= 100


@pytest.mark.parametrize("item", corpus("agreement"), ids=_id)
def test_agreements(item: tuple[Path, dict[str, Any]]) -> None:
    path, expect = item
    with pytest.raises(AgreementError) as caught:
        load_agreement_text(path.read_text(), path.name)
    assert expect["error"] in str(caught.value)
