"""Hydra's composition errors as one line that points at the real mistake, and offers `+`
only where a new key is taken."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftline.engine.config.compose import check_composition
from driftline.engine.errors import ConfigError

PACKAGED = str(Path(__file__).resolve().parents[3] / "plugins" / "conf")


def message(*overrides: str) -> str:
    with pytest.raises(ConfigError) as info:
        check_composition(PACKAGED, [], list(overrides))
    return str(info.value)


def test_a_mapping_given_whole_names_the_key_inside_it_and_the_plus_that_works():
    text = message("data=csv", "data.path=x.csv", "data.schema_overrides={age:String}")
    assert text == ("unknown config key 'data.schema_overrides.age' (override: "
                    "data.schema_overrides={age:String}). Keys of 'data.schema_overrides': "
                    "(none). To add a new key on purpose use +data.schema_overrides={age:String}")
    # ... and the + it offers composes
    cfg = check_composition(PACKAGED, [], ["data=csv", "data.path=x.csv",
                                           "+data.schema_overrides={age:String}"])
    assert dict(cfg.data.schema_overrides) == {"age": "String"}


def test_keys_offered_are_those_of_the_chosen_option_not_the_default_one():
    text = message("data=csv", "data.path=x.csv", "data.separater=x")
    assert "Did you mean: separator?" in text and "null_values" in text and "rows" not in text


def test_no_plus_for_a_key_the_run_config_or_a_component_would_refuse():
    top = message("nosuch.key=3")
    assert top.startswith("unknown config key 'nosuch.key' (override: nosuch.key=3). "
                          "Top-level keys: ") and "+" not in top
    param = message("model.params.num_leavs=3")
    assert "Did you mean: num_leaves?" in param and "+" not in param


def test_a_new_step_in_an_empty_mapping_gets_the_plus():
    text = message("transforms.clean.kind=sql")
    assert text.endswith("Keys of 'transforms': (none). To add a new key on purpose use "
                         "+transforms.clean.kind=sql")
