"""The job list: shards for CI matrices."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lansanalys import geo
from lansanalys.render import jobs as render_jobs


@given(n=st.integers(1, 12), n_lan=st.integers(0, 21), n_kommun=st.integers(0, 40))
def test_shards_hold_every_job_once_and_the_index_in_the_first(n, n_lan, n_kommun):
    all_jobs = render_jobs.default_jobs(
        geo.lan_codes()[:n_lan], kommun_codes=geo.kommun_codes()[:n_kommun]
    )
    slices = [render_jobs.shard(all_jobs, i, n) for i in range(1, n + 1)]
    outputs = [j.output for s in slices for j in s]
    assert sorted(outputs) == sorted(j.output for j in all_jobs)  # each once, none lost
    assert "index.html" in {j.output for j in slices[0]}
    sizes = [len(s) for s in slices]
    assert max(sizes) - min(sizes) <= 1  # balanced


@pytest.mark.parametrize("bad", ["0/4", "5/4", "2", "a/b", "2/0", "-1/3", "1/2/3"])
def test_a_bad_shard_is_refused_with_what_was_expected(bad):
    with pytest.raises(ValueError, match="expected i/n"):
        render_jobs.parse_shard(bad)


def test_render_command_refuses_a_bad_shard_before_rendering(tmp_path):
    from typer.testing import CliRunner

    from lansanalys.cli import app

    res = CliRunner().invoke(app, ["render", "--shard", "5/4", "--out", str(tmp_path)])
    assert res.exit_code == 2 and "expected i/n" in res.stderr
    assert not any(tmp_path.iterdir())
