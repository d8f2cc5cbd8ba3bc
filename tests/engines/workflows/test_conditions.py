"""parse_condition() and Condition.evaluate(): grammar, errors with positions, coercions."""

from __future__ import annotations

import pytest

from atrium.engines.workflows import ConditionError, parse_condition

OUTPUTS = {
    "plan": {"ok": True, "count": 3, "title": "Fix it", "tags": ["a", "b"], "nested": {"x": 1}},
    "classify": "BUG\n",
    "score": "42",
    "text": "plain words",
    "empty": None,
    "my-node_2": {"flag": "false"},
    "jsontext": '{"ready": true}',
}
INPUTS = {"branch": "main", "force": False, "limit": "10", "cfg": {"deep": "yes"}}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # comparisons on fields, strings, numbers and booleans
        ("$plan.output.ok == true", True),
        ("$plan.output.ok != true", False),
        ("$plan.output.count > 2", True),
        ("$plan.output.count >= 4", False),
        ("$plan.output.title == 'Fix it'", True),
        ('$plan.output.title == "Fix it"', True),
        ("$plan.output.tags.1 == 'b'", True),
        ("$plan.output.nested.x < 1.5", True),
        # text outputs are stripped; numeric strings compare numerically with numbers
        ("$classify.output == 'BUG'", True),
        ("$score.output > 7", True),
        ("$score.output == 42", True),
        ("$score.output > '7'", False),  # two strings compare as strings
        ("$inputs.limit <= 10", True),
        ("$my-node_2.output.flag == false", True),
        # JSON held as text is read through
        ("$jsontext.output.ready", True),
        # logic: precedence, parentheses, negation
        ("$plan.output.ok && $inputs.force", False),
        ("$plan.output.ok || $inputs.force", True),
        ("!$inputs.force", True),
        ("!$plan.output.count == 3", False),  # ! wraps the comparison
        ("$inputs.force || $plan.output.ok && $plan.output.count == 3", True),
        ("($inputs.force || $plan.output.ok) && $plan.output.count == 2", False),
        ("!($inputs.force || !$plan.output.ok)", True),
        # missing outputs and fields read as None: equal to null, never ordered
        ("$ghost.output == null", True),
        ("$plan.output.missing.deeper == null", True),
        ("$plan.output.tags.9 != null", False),
        ("$empty.output < 1", False),
        ("$empty.output >= 0", False),
        ("$ghost.output", False),
        ("!$ghost.output.field", True),
        ("$text.output > 3", False),  # a non-numeric string never orders with a number
        ("$text.output == 3", False),
        ("$plan.output.ok == 1", False),  # booleans only equal booleans
        # truthiness of bare operands
        ("$my-node_2.output.flag", False),
        ("$inputs.cfg.deep", True),
        ("$plan.output.tags", True),
        ("$inputs.branch", True),
        ("''", False),
        ("0", False),
        ("-1.5 < 0", True),
        ("'it\\'s' == \"it's\"", True),
    ],
)
def test_evaluation(source, expected):
    assert parse_condition(source).evaluate(OUTPUTS, INPUTS) is expected


def test_references_are_node_ids_only():
    condition = parse_condition("$a.output.x == $inputs.y || $b-2.output")
    assert condition.references == frozenset({"a", "b-2"})
    assert condition.source == "$a.output.x == $inputs.y || $b-2.output"
    # conditions compare by source
    assert condition == parse_condition("$a.output.x == $inputs.y || $b-2.output")


@pytest.mark.parametrize(
    ("source", "position", "fragment"),
    [
        ("", 0, "empty condition"),
        ("$plan.result == 1", 0, "expected '$plan.output'"),
        ("$ == 1", 1, "node id after '$'"),
        ("$a.output. == 1", 10, "field name after '.'"),
        ("$inputs == 1", 0, "$inputs.<name>"),
        ("$a.output = 1", 10, "use '=='"),
        ("$a.output & $b.output", 10, "use '&&'"),
        ("$a.output | $b.output", 10, "use '||'"),
        ("$a.output == 'open", 13, "unterminated string"),
        ("$a.output == yes", 13, "unknown word 'yes'"),
        ("($a.output == 1", 15, "expected ')'"),
        ("$a.output ==", 12, "unexpected end"),
        ("$a.output == 1 == 2", 15, "do not chain"),
        ("$a.output 1", 10, "unexpected '1'"),
        ("$a.output == )", 13, "unexpected ')'"),
        ("$a.output # 1", 10, "unexpected character '#'"),
    ],
)
def test_errors_carry_a_message_and_a_position(source, position, fragment):
    with pytest.raises(ConditionError) as caught:
        parse_condition(source)
    assert caught.value.position == position
    assert fragment in caught.value.message
    assert str(caught.value).endswith(f"at position {position}")
    assert isinstance(caught.value, ValueError)
