"""The YAML comment reader: a file's description and each key's comment, never a value's text."""

from __future__ import annotations

import importlib.resources

import pytest
from omegaconf import OmegaConf

from driftline.engine.config.yaml_comments import first_sentence, parse_comments, split_comment


def comments(text: str) -> dict[str, str]:
    return {".".join(path): note.comment for path, note in parse_comments(text).keys.items()}


def test_a_single_block_over_the_first_key_describes_the_file():
    parsed = parse_comments("# CSV file(s). Set the path.\n# Second line.\nkind: csv\n"
                            "# File or glob.\npath: ???\n")
    assert parsed.description == "CSV file(s). Set the path.\nSecond line."
    assert comments("# CSV file(s).\nkind: csv\n# File or glob.\npath: ???\n") == {
        "kind": "", "path": "File or glob."}


def test_the_last_paragraph_directly_over_the_first_key_is_that_key_s_comment():
    text = "# What the file is.\n# More.\n\n# Significance level.\nalpha: 0.05\n"
    parsed = parse_comments(text)
    assert parsed.description == "What the file is.\nMore."
    assert comments(text) == {"alpha": "Significance level."}


def test_a_blank_line_detaches_a_comment_from_the_key_below():
    text = "# Intro.\n\n# Section heading.\n\nalpha: 1\n# Meaning of beta.\n\nbeta: 2\n"
    parsed = parse_comments(text)
    assert parsed.description == "Intro.\n\nSection heading."
    assert comments(text) == {"alpha": "", "beta": ""}


def test_comment_lines_are_joined_and_the_end_of_line_comment_added():
    text = ("# File.\nkind: x\n# Rows used to infer types; null = every\n# row.\n"
            "infer: null  # or a number\n# Separator\nsep: ','  # one character\n"
            "plain: 3 # only this\n")
    assert comments(text) == {"kind": "", "infer": "Rows used to infer types; null = every "
                              "row. or a number", "sep": "Separator; one character",
                              "plain": "only this"}


@pytest.mark.parametrize(("rest", "expected"), [
    (' "#"  # the marker', ('"#"', "the marker")),
    (" 'it''s # here'  # quoted", ("'it''s # here'", "quoted")),
    (" a#b", ("a#b", "")),
    (" it's plain # yes", ("it's plain", "yes")),
    (' [NA, "-#"]   # nulls', ('[NA, "-#"]', "nulls")),
    (" {a: '#', b: 1} ## two marks", ("{a: '#', b: 1}", "two marks")),
    (' "open quote # goes on', ('"open quote # goes on', "")),
    ("", ("", "")),
])
def test_split_comment(rest, expected):
    assert split_comment(rest) == expected


def test_nested_keys_get_dotted_paths_and_block_flags():
    text = ("model:\n  # Rounds.\n  rounds: 200\n  params:\n    # Leaves.\n    num_leaves: 31\n"
            "  # Back one level.\n  early: 20\ntop: 1\n")
    parsed = parse_comments(text)
    assert comments(text) == {"model": "", "model.rounds": "Rounds.", "model.params": "",
                              "model.params.num_leaves": "Leaves.", "model.early":
                              "Back one level.", "top": ""}
    assert parsed.keys[("model", "params")].block
    assert not parsed.keys[("model", "rounds")].block
    assert parsed.keys[("top",)].line == 9


def test_nothing_inside_a_value_is_read_as_a_key_or_comment():
    text = ("# File.\nquery: |\n  # not a comment\n  x: 1\n\n  y: 2\n"
            "items:\n  - a: 1\n    # inside an item\n    b: 2\n- c: 3\n"
            "flow: [a,\n  b: c]\n"
            "text: \"a long\n  k: v string\"\n"
            "# After them.\nafter: 3\n")
    assert comments(text) == {"query": "", "items": "", "flow": "", "text": "",
                              "after": "After them."}


def test_quoted_keys_tags_anchors_and_odd_lines():
    text = ('"a b": 1\n\'c\': 2\nd: &anchor\n  e: 3\n---\nf: !!str 4\n'
            "? complex\n: value\n%TAG ! x\n")
    parsed = parse_comments(text)
    assert list(parsed.keys) == [("a b",), ("c",), ("d",), ("d", "e"), ("f",)]
    assert parsed.keys[("d",)].block and not parsed.keys[("f",)].block


def test_package_directive_is_not_prose_and_windows_line_ends_are_fine():
    parsed = parse_comments("# @package _global_\r\n# Moves keys.\r\nseed: 1 # s\r\n")
    assert parsed.package == "_global_"
    assert parsed.description == "Moves keys."
    assert parsed.keys[("seed",)].comment == "s"


def test_a_file_with_no_keys_is_all_description():
    assert parse_comments("# no validation\nnull\n").description == "no validation"
    assert parse_comments("# a\n\n# b\n").description == "a\n\nb"
    assert parse_comments("").description == ""


@pytest.mark.parametrize(("text", "sentence"), [
    ("CSV file(s) (files.py). Set the path.", "CSV file(s) (files.py)."),
    ("First date (ISO 8601, e.g. 2025-07-01); null = test_size. When set, no.",
     "First date (ISO 8601, e.g. 2025-07-01); null = test_size."),
    ("The store: a URL. null = default.\n$DRIFTLINE_URL wins.", "The store: a URL. null = default."),
    ("Drift checks: one\nsentence over lines.\n\nSecond paragraph.",
     "Drift checks: one sentence over lines."),
    ("no validation", "no validation"),
    ("", ""),
])
def test_first_sentence(text, sentence):
    assert first_sentence(text) == sentence


def test_every_packaged_key_is_found_where_the_loader_finds_it():
    """Each packaged option: every key of the loaded YAML's block mappings has a note."""
    root = importlib.resources.files("driftline.plugins.conf")
    files = [f for group in root.iterdir() if group.is_dir() and not group.name.startswith("_")
             for f in group.iterdir() if f.name.endswith(".yaml")]
    assert len(files) >= 10
    for file in files:
        text = file.read_text(encoding="utf-8")
        parsed = parse_comments(text)
        loaded = OmegaConf.to_container(OmegaConf.load(file), resolve=False)
        todo = [((), loaded)]
        while todo:
            path, node = todo.pop()
            if path and not parsed.keys[path].block:
                continue  # a flow mapping: its keys are inside a value
            for key, value in node.items():
                here = (*path, str(key))
                assert here in parsed.keys, (file.name, here)
                if isinstance(value, dict) and value:
                    todo.append((here, value))
        assert parsed.summary, file.name
