"""Protocol files: schema validation with errors naming the file and the field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from theranostix.errors import ThxError
from theranostix.theranostics import Criterion, EligibilityProtocol, load_protocol

MINIMAL = """
schema = 1
id = "site-min"
version = "1"
title = "Minimal"
tracers = ["psma"]
therapy = "[177Lu]Lu-PSMA-617"
date = 2026-01-01

[references.sartor2021]
citation = "Sartor O et al. N Engl J Med 2021;385:1091-1103"
doi = "10.1056/NEJMoa2107322"

[[criteria]]
id = "positive"
kind = "lesion_uptake"
description = "uptake above liver"
sources = ["sartor2021"]
metric = "suv_max"
op = "gt"
factor = 1.0
reference = "liver"
statistic = "mean"
"""


def write(tmp_path: Path, text: str, name: str = "site.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ThxError) as info:
        load_protocol(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    return message


def test_minimal_file_loads(tmp_path: Path) -> None:
    protocol = load_protocol(write(tmp_path, MINIMAL))
    assert isinstance(protocol, EligibilityProtocol)
    criterion = protocol.criterion("positive")
    assert isinstance(criterion, Criterion)
    assert criterion.rule() == "at least 1 lesion(s) with suv_max > 1 x liver mean"
    assert criterion.on_fail.value == "not_eligible"
    assert criterion.on_not_assessed.value == "indeterminate"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace('id = "site-min"\n', ""), "id: missing (expected a string)"),
        (lambda t: t.replace('metric = "suv_max"\n', ""), "criteria[0].metric: missing"),
        (lambda t: t.replace("factor = 1.0\n", ""), "criteria[0].factor: missing"),
        (
            lambda t: t.replace('kind = "lesion_uptake"', 'kind = "lesion_volume"'),
            "criteria[0].kind: 'lesion_volume' is not one of lesion_uptake, comparison_negative",
        ),
        (
            lambda t: t.replace('op = "gt"', 'op = "eq"'),
            "criteria[0].op: 'eq' is not one of gt, ge, lt, le",
        ),
        (
            lambda t: t.replace('statistic = "mean"', 'statistic = "median"'),
            "criteria[0].statistic: 'median' is not one of mean, max",
        ),
        (
            lambda t: t.replace("factor = 1.0", 'factor = "1.0"'),
            "criteria[0].factor: expected a number, got '1.0'",
        ),
        (
            lambda t: t.replace("factor = 1.0", "factor = -1.0"),
            "criteria[0].factor: must be a finite number >= 0",
        ),
        (
            lambda t: t + "min_cout = 2\n",
            "criteria[0].min_cout: unknown field (allowed here:",
        ),
        (
            lambda t: t + "min_count = 0\n",
            "criteria[0] (positive): min_count: must be >= 1, got 0",
        ),
        (
            lambda t: t.replace('sources = ["sartor2021"]', 'sources = ["vision"]'),
            "criteria[0].sources: 'vision' is not a key of [references] (sartor2021)",
        ),
        (lambda t: t.replace("schema = 1", "schema = 2"), "schema: 2 is not supported"),
        (
            lambda t: t.replace('tracers = ["psma"]', 'tracers = ["pet"]'),
            "tracers[0]: tracer: 'pet' is not one of",
        ),
        (lambda t: t.replace("date = 2026-01-01", 'date = "2026"'), "date: expected a TOML date"),
        (lambda t: t.replace('title = "Minimal"', 'titel = "Minimal"'), "title: missing"),
        (lambda t: t + "[broken", "not valid TOML"),
        (
            lambda t: t.replace('doi = "10.1056/NEJMoa2107322"', 'doi = "x"\npages = "1"'),
            "references.sartor2021.pages: unknown field",
        ),
    ],
)
def test_schema_errors_name_file_and_field(tmp_path: Path, edit: object, expected: str) -> None:
    assert callable(edit)
    message = load_error(tmp_path, edit(MINIMAL))
    assert expected in message, message


COMPARISON = """
[[criteria]]
id = "negative"
kind = "comparison_negative"
description = "no large negative lesion"
sources = ["sartor2021"]
op = "le"
factor = 1.0
reference = "liver"
statistic = "mean"
size_limits_mm = { lymph_node = 25.0 }
"""

GRADE = """
[scales.k]
description = "two grades"
sources = ["sartor2021"]
[[scales.k.grades]]
grade = 0
label = "low"
[[scales.k.grades]]
grade = 1
label = "high"
when = [{ reference = "liver", statistic = "mean", op = "gt", factor = 1.0 }]

[[criteria]]
id = "graded"
kind = "lesion_grade"
description = "graded"
sources = ["sartor2021"]
scale = "k"
metric = "suv_max"
require = "all"
min_grade = 1
"""


def test_comparison_and_grade_criteria_load(tmp_path: Path) -> None:
    protocol = load_protocol(write(tmp_path, MINIMAL + COMPARISON + GRADE))
    assert [c.id for c in protocol.criteria] == ["positive", "negative", "graded"]
    graded = protocol.criterion("graded")
    assert graded.scale is not None and graded.scale.values == (0, 1)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda t: t.replace("lymph_node = 25.0", "lymph_nodes = 25.0"),
            "criteria[1].size_limits_mm.lymph_nodes: 'lymph_nodes' is not one of lymph_node",
        ),
        (
            lambda t: t.replace("lymph_node = 25.0", "lymph_node = 0.0"),
            "criteria[1] (negative): size_limits_mm.lymph_node: must be > 0 mm",
        ),
        (
            lambda t: t.replace('scale = "k"', 'scale = "krenning"'),
            "criteria[2].scale: 'krenning' is not a scale of this file (k)",
        ),
        (
            lambda t: t.replace('require = "all"', 'require = "most"'),
            "criteria[2].require: 'most' is not one of all, any, fraction",
        ),
        (
            lambda t: t.replace('require = "all"', 'require = "fraction"'),
            "criteria[2] (graded): fraction: expected a number in (0, 1]",
        ),
        (
            lambda t: t.replace("min_grade = 1", "min_grade = 3"),
            "criteria[2] (graded): min_grade: 3 is not a grade of scale 'k' (0, 1)",
        ),
        (
            lambda t: t.replace('op = "gt", factor = 1.0 }', 'op = "above", factor = 1.0 }'),
            "scales.k.grades[1].when[0].op: 'above' is not one of gt, ge, lt, le",
        ),
        (
            lambda t: t.replace("grade = 1\n", "grade = 0\n"),
            "scales.k: scale 'k': grades: must be strictly increasing, got [0, 0]",
        ),
        (
            lambda t: t.replace('grades"\nsources = ["sartor2021"]', 'grades"\nsources = ["nope"]'),
            "scales.k.sources: 'nope' is not a key of [references] (sartor2021)",
        ),
        (
            lambda t: t.replace('id = "graded"', 'id = "negative"'),
            "criteria[2].id: 'negative' is used more than once",
        ),
    ],
)
def test_comparison_and_grade_errors(tmp_path: Path, edit: object, expected: str) -> None:
    assert callable(edit)
    message = load_error(tmp_path, edit(MINIMAL + COMPARISON + GRADE))
    assert expected in message, message


def test_unreadable_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ThxError, match=re.escape(f"{missing}: cannot read the protocol file")):
        load_protocol(missing)
