"""SCB's 2025+ totals are reconciled with a tolerance tied to the per-cell noise (issue #19,
item 8).

From 2025 SCB adds a small integer to every published value (Cell Key Method), totals included.
A total of n published parts may then differ from their sum by the sum of n + 1 small noises,
a few hundred people for riket, never 0,5 % of the total (53 000 people). The files are made
here: every kommun × age × sex with a seeded noise of −3 … 3 on each published value (riket's and
the län's totals too), and then a total put off by a given number of people.
"""

from __future__ import annotations

import numpy as np
import pytest

from lansanalys import geo
from lansanalys.errors import InputError
from lansanalys.sources import befolkning
from lansanalys.sources.befolkning import read_befolkning

AGES = [f"{a} år" for a in range(100)] + ["100+ år"]
SEXES = ("män", "kvinnor")


def _file(path, year: int = 2025, riket_off: int = 0, lan_off: int = 0, noise: int = 3):
    """Every kommun × age × sex, riket's and Kalmar län's totals (all ages, both sexes), each
    published value with CKM-like noise; the totals put off by ``riket_off`` / ``lan_off``."""
    rng = np.random.default_rng(2025)
    codes = geo.kommun_codes()
    true = rng.integers(0, 120, (len(codes), len(AGES), len(SEXES)))
    published = np.maximum(true + rng.integers(-noise, noise + 1, true.shape), 0)
    lines = [
        '"Folkmängden efter region, ålder och kön. År 2025"',
        "",
        f'"region","ålder","kön","{year}"',
    ]
    for i, k in enumerate(codes):
        for a, age in enumerate(AGES):
            for s, sex in enumerate(SEXES):
                lines.append(f'"{k}","{age}","{sex}",{published[i, a, s]}')
    kalmar = np.array([c.startswith("08") for c in codes])
    riket = int(true.sum()) + int(rng.integers(-noise, noise + 1)) + riket_off
    lan = int(true[kalmar].sum()) + int(rng.integers(-noise, noise + 1)) + lan_off
    lines.append(f'"00 Riket","totalt","totalt",{riket}')
    lines.append(f'"08 Kalmar län","totalt","totalt",{lan}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {
        "riket_line": len(lines) - 1,
        "lan_line": len(lines),
        "total": riket,
        "diff": riket - int(published.sum()),
        "lan_diff": lan - int(published[kalmar].sum()),
        "lan_total": lan,
    }


def test_a_plausibly_noisy_2025_file_passes(tmp_path):
    made = _file(tmp_path / "ckm.csv")
    # The seeded noise puts riket's total some hundred people from its parts: plausible CKM.
    assert 0 < abs(made["diff"]) < 2_000
    df = read_befolkning(tmp_path / "ckm.csv")
    assert len(df) == len(geo.kommun_codes()) * len(AGES) * len(SEXES)


def test_a_riket_total_off_by_a_few_thousand_is_refused_naming_file_and_region(tmp_path):
    made = _file(tmp_path / "ckm.csv", riket_off=4_000)
    assert 4_000 < made["total"] * 0.005  # within the old 0,5 % of the total
    with pytest.raises(InputError) as err:
        read_befolkning(tmp_path / "ckm.csv")
    msg = str(err.value)
    assert "ckm.csv" in msg and err.value.row == made["riket_line"]
    assert "region 00, 2025" in msg and "Cell Key Method" in msg
    assert f"by {abs(made['diff']):,}".replace(",", " ") in msg


def test_a_lan_total_off_by_600_is_refused(tmp_path):
    # Kalmar län: 12 kommuner × 101 ages × 2 sexes; 600 people off is far beyond the noise of
    # 2 424 cells (within the old 0,5 % of the län's total).
    made = _file(tmp_path / "ckm.csv", lan_off=600)
    assert abs(made["lan_diff"]) < 0.005 * made["lan_total"]
    with pytest.raises(InputError, match=r"region 08, 2025") as err:
        read_befolkning(tmp_path / "ckm.csv")
    assert err.value.row == made["lan_line"]


def test_tolerance_grows_with_the_square_root_of_the_cells_and_is_bounded_by_the_sum():
    tol = befolkning.reconcile_tolerance
    cells = len(geo.kommun_codes()) * len(AGES) * len(SEXES)  # riket: 58 580 cells
    # Not a share of the total (0,5 % of riket's would be 53 000): the number of cells.
    assert tol(2025, cells) < 2_500  # a few thousand off is refused
    # √(n + 1) growth, and never more than the worst case of every cell at its largest noise.
    assert tol(2025, 399) == pytest.approx(2 * tol(2025, 99))
    for n in range(0, 50):
        assert tol(2025, n) <= befolkning.CKM_CELL_MAX * (n + 1)
    assert tol(2025, 0) == befolkning.CKM_CELL_MAX  # a total of one published value
    # A total summed over four civilstånd values carries four noises.
    assert tol(2025, 100, total_cells=4) == pytest.approx(8 * 104**0.5)
    assert tol(2024, cells) == 0.5  # before 2025 exact


def test_before_2025_the_same_file_must_add_up_exactly(tmp_path):
    _file(tmp_path / "exact.csv", year=2024, noise=0)
    assert len(read_befolkning(tmp_path / "exact.csv")) > 0
    _file(tmp_path / "noisy.csv", year=2024)
    with pytest.raises(InputError, match="before 2025 equal the sum of their parts exactly"):
        read_befolkning(tmp_path / "noisy.csv")
