"""clika.api: every command's options check themselves before any work, so a library caller gets
the command line's one-line errors (the CLI only parses flags into the same dataclasses)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clika import api
from clika.errors import ConfigError


@pytest.mark.parametrize(("options", "message"), [
    (api.ScoreOptions("x", n_boot=-1), "--n-boot must be >= 0, got -1"),
    (api.ScoreOptions("x", layout="harness"), "unknown --layout 'harness'"),
    (api.ScoreOptions("x", extract="psychic"), "unknown answer extraction rule 'psychic'"),
    (api.CompareOptions("out"), "nothing to compare"),
    (api.CompareOptions("out", predictions="p", n_boot=-5), "--n-boot must be >= 0, got -5"),
    (api.FindingsOptions(), "nothing to test"),
    (api.ValidateOptions(), "validate needs an item source"),
    (api.RunOptions(limit=0), "--limit must be >= 1, got 0"),
    (api.RunOptions(ray_address="10.0.0.5:6379"), "--ray-address needs --executor ray"),
    (api.GenerateOptions("out", name_direction="sideways"), "unknown name direction 'sideways'"),
    (api.GenerateOptions("out", langs=["de", "xx"]), "unknown language(s) xx"),
    (api.ConductOptions(targets=("en",), output=Path("out")), "targets must be among"),
])
def test_options_check_themselves(options, message):
    with pytest.raises(ConfigError) as err:
        options.check()
    assert message in str(err.value)


def test_a_command_checks_its_options_before_any_work(tmp_path: Path):
    out = tmp_path / "facts"
    with pytest.raises(ConfigError, match="unknown name direction"):
        api.generate_fictional(api.GenerateOptions(out, n_facts=20, name_direction="sideways"))
    assert not out.exists()  # nothing generated, no folder made
    with pytest.raises(ConfigError, match="--n-boot must be >= 0"):
        api.score(api.ScoreOptions(tmp_path / "missing", n_boot=-1, output=tmp_path / "m.jsonl"))
    assert not (tmp_path / "m.jsonl").exists()
