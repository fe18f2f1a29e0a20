"""Group report jobs: one per group of the build, a slug as file name, ``--grupp`` checked."""

from __future__ import annotations

import pytest

from lansanalys import config
from lansanalys.render import jobs as render_jobs


def test_one_job_per_group_of_the_build(demo_home):
    (job,) = render_jobs.group_jobs(config.Paths(demo_home))
    assert job.notebook == "grupprapport.ipynb"
    assert job.parameters == {"group_id": "kommuner-for-serviceutveckling"}
    assert job.output == "grupp-kommuner-for-serviceutveckling.html"
    assert job.title == "Kommuner för serviceutveckling 2022–2025 – programuppföljning"
    all_jobs = render_jobs.default_jobs(["08"], groups=[job])
    assert [j.output for j in all_jobs][-1] == job.output


def test_no_groups_without_a_group_table(tmp_path):
    assert render_jobs.group_jobs(config.Paths(tmp_path)) == []


@pytest.mark.parametrize("bad", ["../etc", "Kommuner för", "", "a/b", "-x"])
def test_a_group_id_that_is_no_slug_never_reaches_a_file_name(bad):
    with pytest.raises(ValueError, match="not a slug"):
        render_jobs.group_job(bad)


def test_render_refuses_an_unknown_group_before_rendering(demo_home, tmp_path):
    from typer.testing import CliRunner

    from lansanalys.cli import app

    res = CliRunner().invoke(app, ["render", "--grupp", "nope", "--out", str(tmp_path)])
    assert res.exit_code == 2 and "no group 'nope'" in res.stderr
    assert "kommuner-for-serviceutveckling" in res.stderr
    assert not any(tmp_path.iterdir())
