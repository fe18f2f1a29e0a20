"""SCB's open population grid (1 km cells, a zipped GeoPackage): the link is looked up on SCB's
page unless given, the GeoPackage unpacked and read before it is staged under ``data/raw/rutor/``.
"""

from __future__ import annotations

import html
import re
import shutil
import zipfile
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from lansanalys.config import Paths, paths, url_override
from lansanalys.errors import FetchError
from lansanalys.fetch.http import CACHE_DIR, DEFAULT_TIMEOUTS, Answer, Http, Options, _one_line
from lansanalys.fetch.staging import SCB_LICENCE, Result, _note_others, _run, _Stage

#: SCB's page of open grid statistics; the GeoPackage links on it change with every release, so
#: the link to "Befolkning totalt" is looked up there unless a URL is given.
GRID_PAGE_URL = "https://www.scb.se/vara-tjanster/oppna-data/oppna-geodata/statistik-pa-rutor/"


# rutor: SCB's open 1 km population grid

_GRID_LABELS = re.compile(
    r"rikstäckande rutnät|befolkning totalt|befolkning efter ålder|befolkning efter kön|"
    r"national grid|total population|population by age|population by sex",
    re.IGNORECASE,
)


def find_grid_link(page: str, base_url: str) -> str | None:
    """The zip link of "Befolkning totalt" on SCB's grid page, or None.

    A file name such as ``totalbefolkning_1km_241231.zip`` decides; otherwise the link whose
    nearest label before it is "Befolkning totalt" (the page lists "Rikstäckande rutnät",
    "Befolkning totalt", "… efter ålder", "… efter kön", each with a GeoPackage zip).
    """
    text = html.unescape(page)
    links = [
        (m.start(), m.group(1))
        for m in re.finditer(r"<a\b[^>]*?\bhref\s*=\s*[\"']([^\"']+)[\"']", text, re.IGNORECASE)
        if re.search(r"\.zip(?:[?#]|$)", m.group(1), re.IGNORECASE)
    ]
    for _, href in links:
        name = href.rsplit("/", 1)[-1]
        if re.search(r"totalbefolkning|befolkning_?tot|tot_?bef", name, re.IGNORECASE):
            return urljoin(base_url, href)
    labels = [(m.start(), m.group(0).lower()) for m in _GRID_LABELS.finditer(text)]
    for pos, href in links:
        before = [lab for at, lab in labels if at < pos]
        if before and before[-1] in ("befolkning totalt", "total population"):
            return urljoin(base_url, href)
    return None


def _grid_year(name: str) -> int | None:
    m = re.search(r"(?:^|[_-])(\d{2})1231(?:\D|$)", name) or re.search(r"(20\d{2})", name)
    if not m:
        return None
    y = int(m.group(1))
    return 2000 + y if y < 100 else y


def _unpack_grid(ans: Answer, stage: _Stage, url: str) -> tuple[Path, str]:
    head = ans.path.read_bytes()[:16]
    if head.startswith(b"SQLite format 3"):  # a GeoPackage given directly
        name = Path(urlsplit(url).path).name or "rutor.gpkg"
        name = re.sub(r"[^A-Za-z0-9._-]", "_", name)
        if not name.lower().endswith(".gpkg"):
            name += ".gpkg"
        tmp = stage.path(name)
        shutil.copyfile(ans.path, tmp)
        return tmp, name
    try:
        with zipfile.ZipFile(ans.path) as zf:
            members = [
                i for i in zf.infolist() if not i.is_dir() and i.filename.lower().endswith(".gpkg")
            ]
            if not members:
                raise FetchError(f"the zip from {url} holds no GeoPackage (.gpkg)")
            pick = next(
                (i for i in members if re.search(r"befolk|tot|pop", i.filename, re.I)),
                members[0],
            )
            if pick.file_size > 8 << 30:
                raise FetchError(f"the GeoPackage in {url} claims {pick.file_size} bytes; refused")
            name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(pick.filename).name)
            tmp = stage.path(name)
            with zf.open(pick) as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            return tmp, name
    except zipfile.BadZipFile:
        raise FetchError(
            f"the answer from {url} is neither a zip nor a GeoPackage; pass the link to the "
            "GeoPackage (zip) with --url"
        ) from None


def fetch_rutor(
    p: Paths | None = None,
    *,
    url: str | None = None,
    page_url: str = GRID_PAGE_URL,
    options: Options | None = None,
) -> Result:
    """Fetch SCB's open 1 km population grid (GeoPackage in a zip) into ``data/raw/rutor/``.

    ``url`` (or ``LANSANALYS_GRID_URL``) is the zip, a GeoPackage, or a page linking it; by
    default the link to "Befolkning totalt" is looked up on :data:`GRID_PAGE_URL`, since SCB's
    file addresses change with each yearly release. The GeoPackage is read by
    :func:`lansanalys.sources.rutor.read_rutor` before it is written; an earlier fetched grid is
    replaced.
    """
    p = p or paths()
    options = options or Options()
    given = url or url_override("grid") or page_url
    http = Http(p.raw / CACHE_DIR, options, DEFAULT_TIMEOUTS["rutor"])
    stage = _Stage(p.raw_kind("rutor"))

    def body() -> Result:
        from lansanalys.errors import InputError
        from lansanalys.sources.rutor import read_rutor

        ans = http.get(given)
        zip_url, page = given, ""
        if "html" in ans.content_type.lower() or ans.path.read_bytes()[:64].lstrip()[:1] == b"<":
            page = given
            link = find_grid_link(ans.text(), ans.url)
            if link is None:
                raise FetchError(
                    f"no GeoPackage link for 'Befolkning totalt' found on {given}; pass the "
                    "zip's address with --url (or LANSANALYS_GRID_URL)"
                )
            zip_url = link
            ans = http.get(zip_url)
        tmp, name = _unpack_grid(ans, stage, zip_url)
        try:
            rows = len(read_rutor(tmp))
        except InputError as exc:
            problem = str(exc).split(": ", 1)[-1]
            raise FetchError(
                f"the grid from {zip_url} is not usable: {_one_line(problem, 160)}"
            ) from None
        entry = {
            "kind": "rutor",
            "demo": False,
            "source": "SCB öppna geodata: befolkning per kilometerruta (GeoPackage)",
            "url": zip_url,
            "page": page,
            "table": "",
            "year": _grid_year(name),
            "retrieved": ans.retrieved.date().isoformat(),
            "licence": SCB_LICENCE,
            "fetched_by": "lansanalys fetch rutor",
        }
        stage.add(tmp, name, entry, rows, ans.from_cache)
        result = stage.commit(
            p,
            lambda rel, e: (
                e.get("fetched_by") == "lansanalys fetch rutor" and rel.startswith("rutor/")
            ),
        )
        _note_others(p, "rutor", result)
        return result

    return _run(http, stage, body)
