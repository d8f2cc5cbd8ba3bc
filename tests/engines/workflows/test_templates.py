"""render() substitutions and parse_output() reading of node answers."""

from __future__ import annotations

import pytest

from atrium.engines.workflows import parse_output, render

OUTPUTS = {
    "plan": {"title": "Fix login", "steps": ["a", "b"], "meta": {"n": 2}, "none": None},
    "notes": "Some notes\n",
    "count": 3,
    "nothing": None,
}


def fill(template: str, iteration: int | None = None) -> str:
    return render(
        template,
        message="fix the bug",
        inputs={"branch": "main", "opts": {"dry": True}},
        outputs=OUTPUTS,
        iteration=iteration,
    )


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Task: $ARGUMENTS", "Task: fix the bug"),
        ("$USER_MESSAGE!", "fix the bug!"),
        ("on $inputs.branch.", "on main."),
        ("dry=$inputs.opts.dry", "dry=true"),
        ("Title: $plan.output.title", "Title: Fix login"),
        ("Step: $plan.output.steps.1", "Step: b"),
        ("Steps: $plan.output.steps", 'Steps: ["a", "b"]'),
        ("Meta: $plan.output.meta", 'Meta: {"n": 2}'),
        ("Notes: $notes.output", "Notes: Some notes\n"),
        ("n=$count.output", "n=3"),
        ("[$nothing.output]", "[]"),
        ("[$plan.output.none]", "[]"),
        ("round $ITERATION", "round 2"),
        # unknown references stay as written
        ("$ghost.output and $plan.output.missing", "$ghost.output and $plan.output.missing"),
        ("$inputs.unknown $ARGUMENTSX $plan.outputs", "$inputs.unknown $ARGUMENTSX $plan.outputs"),
        ("costs $5", "costs $5"),
    ],
)
def test_render(template, expected):
    assert fill(template, iteration=2) == expected


def test_iteration_outside_a_loop_is_left_alone():
    assert fill("round $ITERATION") == "round $ITERATION"


def test_substituted_text_is_not_rendered_again():
    # given a message that itself contains a reference
    message = "$inputs.secret"
    rendered = render("Do: $ARGUMENTS", message=message, inputs={"secret": "x"}, outputs={})
    # then it is inserted verbatim
    assert rendered == "Do: $inputs.secret"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"approved": true}', {"approved": True}),
        ("  [1, 2]\n", [1, 2]),
        ('Here is the plan:\n```json\n{"steps": 3}\n```\nDone.', {"steps": 3}),
        ('```json\n{"v": 1}\n```\nthen\n```JSON\n{"v": 2}\n```', {"v": 2}),
        ('Thinking...\nAll good.\n{"ok": false, "why": "tests"}', {"ok": False, "why": "tests"}),
        ("plain answer", "plain answer"),
        ("42", "42"),
        ("{not json", "{not json"),
        ("```json\nbroken\n```", "```json\nbroken\n```"),
        ("", ""),
    ],
)
def test_parse_output(text, expected):
    assert parse_output(text) == expected
