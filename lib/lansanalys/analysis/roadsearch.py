"""Compiled kernels of the road engine (numba): graph build, link index, label searches.

:mod:`lansanalys.analysis.network` and :mod:`lansanalys.analysis.whatif` call these; they work
on plain arrays and know nothing of tables. Each is compiled once per machine (``cache=True``
writes the machine code beside this file, or to ``NUMBA_CACHE_DIR``); a later process loads it
in well under a second.

**Labels.** A node keeps its nearest and, where asked, its second-nearest *distinct* service
point: costs ``d1 ≤ d2`` and points ``p1 ≠ p2`` (inf and -1 where fewer reach it). Both come
from :func:`label_search`, a multi-source Dijkstra whose heap entries carry their point, run
twice: first for the nearest, then for the second-nearest, where a node may not take its own
nearest and the search starts from the points' own entries and, across each link, from the
neighbour's nearest where that is another point (:func:`arc_seeds`). That is exact: the
second-nearest point of a node reaches it through a neighbour (or enters there) whose nearest
or second-nearest it is, for if two other points were nearer that neighbour they would be
nearer the node too. At equal cost the lower point row wins, everywhere the same way: a node's
label is compared by (cost, point), and an entry that is no longer its node's label when it
leaves the heap is skipped, so the heap orders by cost alone.

**Restricted search.** A node marked ``done`` neither takes nor settles a label. A full search
starts with none done; a what-if resets only the nodes whose labels held a closed point and
seeds them from their final neighbours (:mod:`lansanalys.analysis.whatif`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_MASK = (1 << 32) - 1


@njit(cache=True, nogil=True)
def _less(da, pa, db, pb):
    return da < db or (da == db and pa < pb)


@njit(cache=True, nogil=True)
def _grow(hk, hi):
    nk = np.empty(2 * hk.size, np.float64)
    ni = np.empty(2 * hi.size, np.int64)
    nk[: hk.size] = hk
    ni[: hi.size] = hi
    return nk, ni


@njit(cache=True, nogil=True)
def _sift_up(hk, hi, i, key, ident):
    while i > 0:
        p = (i - 1) >> 1
        pk = hk[p]
        if key < pk:
            hk[i] = pk
            hi[i] = hi[p]
            i = p
        else:
            break
    hk[i] = key
    hi[i] = ident


@njit(cache=True, nogil=True)
def _sift_down(hk, hi, size):
    """Move the last entry (at ``size``) into the root's place and restore the heap."""
    key = hk[size]
    ident = hi[size]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and hk[c + 1] < hk[c]:
            c += 1
        if hk[c] < key:
            hk[i] = hk[c]
            hi[i] = hi[c]
            i = c
        else:
            break
    hk[i] = key
    hi[i] = ident


@njit(cache=True, nogil=True)
def label_search(indptr, indices, w, done, d, p, excl, seed_node, seed_cost, seed_point):
    """One label per node: the cheapest point of every node not ``done`` (arrays updated in
    place; ``done`` set where a label settles). ``excl`` (an array, or None for no exclusion)
    names a point a node may not take: its nearest, when the label sought is the second-nearest.

    ``seed_*`` are entries offered before the search: each point's cost to both ends of its
    link, and in a restricted or second search the labels of neighbouring nodes. Returns the
    number of labels settled.
    """
    cap = max(1024, 2 * seed_node.size)
    hk = np.empty(cap, np.float64)
    hi = np.empty(cap, np.int64)
    size = 0
    for i in range(seed_node.size):
        u = seed_node[i]
        s = seed_point[i]
        c = seed_cost[i]
        if done[u] or (excl is not None and s == excl[u]) or not _less(c, s, d[u], p[u]):
            continue
        d[u] = c
        p[u] = s
        if size == hk.size:
            hk, hi = _grow(hk, hi)
        _sift_up(hk, hi, size, c, (s << 32) | u)
        size += 1
    settled = 0
    while size > 0:
        c = hk[0]
        ident = hi[0]
        size -= 1
        if size > 0:
            _sift_down(hk, hi, size)
        v = ident & _MASK
        s = ident >> 32
        if done[v] or c != d[v] or s != p[v]:
            continue  # settled, or stale: a cheaper entry was offered later
        done[v] = True
        settled += 1
        for j in range(indptr[v], indptr[v + 1]):
            u = np.int64(indices[j])
            nd = c + w[j]
            if done[u] or (excl is not None and s == excl[u]) or not _less(nd, s, d[u], p[u]):
                continue
            d[u] = nd
            p[u] = s
            if size == hk.size:
                hk, hi = _grow(hk, hi)
            _sift_up(hk, hi, size, nd, (s << 32) | u)
            size += 1
    return settled


@njit(cache=True, nogil=True)
def arc_seeds(indptr, indices, w, region, done, d1, p1, d2, p2, second):
    """Entries into the nodes of ``region`` from their neighbours' labels.

    For the nearest (``second`` False): each final (``done``) neighbour's nearest. For the
    second-nearest: each neighbour's nearest where it is another point than the node's own
    nearest, and a final neighbour's second-nearest likewise. The true second-nearest point of
    a node is its predecessor's nearest or second-nearest, so these and the points' own entries
    are all a second search needs.
    """
    cap = 16 + 2 * region.size
    sn = np.empty(cap, np.int64)
    sc = np.empty(cap, np.float64)
    sp = np.empty(cap, np.int64)
    m = 0
    for x in region:
        for j in range(indptr[x], indptr[x + 1]):
            y = indices[j]
            for lab in range(2):
                if lab == 0:
                    s, c = p1[y], d1[y]
                    ok = s >= 0 and (s != p1[x] if second else done[y])
                else:
                    s, c = p2[y], d2[y]
                    ok = second and done[y] and s >= 0 and s != p1[x]
                if not ok:
                    continue
                if m == sn.size:
                    sn2 = np.empty(2 * m, np.int64)
                    sc2 = np.empty(2 * m, np.float64)
                    sp2 = np.empty(2 * m, np.int64)
                    sn2[:m], sc2[:m], sp2[:m] = sn, sc, sp
                    sn, sc, sp = sn2, sc2, sp2
                sn[m] = x
                sc[m] = c + w[j]
                sp[m] = s
                m += 1
    return sn[:m], sc[:m], sp[:m]


@njit(cache=True, nogil=True)
def _take(k, d1, p1, d2, p2, d, s):
    """The best ``k`` distinct of (d1, p1), (d2, p2) and (d, s) (a cell's running best)."""
    if s < 0:
        return d1, p1, d2, p2
    if s == p1:
        if d < d1:
            d1 = d
        return d1, p1, d2, p2
    if k == 1:
        if _less(d, s, d1, p1):
            return d, s, d2, p2
        return d1, p1, d2, p2
    if s == p2:
        if d < d2:
            d2 = d
            if _less(d2, p2, d1, p1):
                return d2, p2, d1, p1
        return d1, p1, d2, p2
    if _less(d, s, d1, p1):
        return d, s, d1, p1
    if _less(d, s, d2, p2):
        return d1, p1, d, s
    return d1, p1, d2, p2


@njit(cache=True, nogil=True)
def cell_labels(k, cl, ct, cg, la, lb, w, d1, p1, d2, p2, sl, st, sg, sp):
    """The ``k`` nearest distinct points of each cell from its link's end nodes' labels.

    A cell on link ``cl`` at fraction ``ct`` with connector cost ``cg`` reaches node ``a`` at
    ``cg + ct·L`` and node ``b`` at ``cg + (1 − ct)·L``, and a point on its own link straight
    along it: ``cg + |ct − t|·L + g``. ``sl`` (sorted), ``st``, ``sg``, ``sp`` are the points'
    links, fractions, connector costs and rows. Cells with link -1 get inf and -1.
    """
    n = cl.size
    o1 = np.full(n, np.inf)
    q1 = np.full(n, -1, np.int64)
    o2 = np.full(n, np.inf)
    q2 = np.full(n, -1, np.int64)
    for i in range(n):
        lk = cl[i]
        if lk < 0:
            continue
        L = w[lk]
        t = ct[i]
        g = cg[i]
        a = la[lk]
        b = lb[lk]
        ea = g + t * L
        eb = g + (1.0 - t) * L
        b1, c1, b2, c2 = np.inf, np.int64(-1), np.inf, np.int64(-1)
        b1, c1, b2, c2 = _take(k, b1, c1, b2, c2, ea + d1[a], p1[a])
        b1, c1, b2, c2 = _take(k, b1, c1, b2, c2, eb + d1[b], p1[b])
        if k == 2:
            b1, c1, b2, c2 = _take(k, b1, c1, b2, c2, ea + d2[a], p2[a])
            b1, c1, b2, c2 = _take(k, b1, c1, b2, c2, eb + d2[b], p2[b])
        j = np.searchsorted(sl, lk)
        while j < sl.size and sl[j] == lk:
            b1, c1, b2, c2 = _take(k, b1, c1, b2, c2, g + abs(t - st[j]) * L + sg[j], sp[j])
            j += 1
        o1[i], q1[i], o2[i], q2[i] = b1, c1, b2, c2
    return o1, q1, o2, q2


@njit(cache=True, nogil=True)
def _improves(k, d1, p1, d2, p2, v, d, q):
    """Would point ``q`` at cost ``d`` enter (or improve in) node ``v``'s ``k`` final labels?"""
    if p1[v] == q:
        return d < d1[v]
    if k == 1:
        return _less(d, q, d1[v], p1[v])
    if p2[v] == q:
        return d < d2[v]
    return _less(d, q, d2[v], p2[v])


@njit(cache=True, nogil=True)
def _put(k, d1, p1, d2, p2, v, d, q):
    """Put point ``q`` at cost ``d`` into node ``v``'s labels (it improves them)."""
    if p1[v] == q:
        d1[v] = d
    elif k == 2 and p2[v] == q:
        d2[v] = d
        if _less(d, q, d1[v], p1[v]):
            d1[v], p1[v], d2[v], p2[v] = d, q, d1[v], p1[v]
    elif _less(d, q, d1[v], p1[v]):
        if k == 2:
            d2[v], p2[v] = d1[v], p1[v]
        d1[v], p1[v] = d, q
    else:
        d2[v], p2[v] = d, q


@njit(cache=True, nogil=True)
def insert_point(indptr, indices, w, k, d1, p1, d2, p2, seed_node, seed_cost, q):
    """Add point ``q`` to final labels: a search from ``q`` alone that stops wherever ``q`` is
    no better than the node's ``k``-th label (then it is no better at the nodes beyond either).

    Returns the nodes changed, in order (a node may repeat), and each one's labels just before
    that change (``d1, p1, d2, p2``): the first record of a node holds what it had.
    """
    hk = np.empty(max(1024, seed_node.size), np.float64)
    hi = np.empty(hk.size, np.int64)
    size = 0
    for i in range(seed_node.size):
        _sift_up(hk, hi, size, seed_cost[i], seed_node[i])
        size += 1
    log_v = np.empty(1024, np.int64)
    log_d = np.empty((1024, 2), np.float64)
    log_p = np.empty((1024, 2), np.int64)
    nch = 0
    while size > 0:
        d = hk[0]
        v = hi[0]
        size -= 1
        if size > 0:
            _sift_down(hk, hi, size)
        if not _improves(k, d1, p1, d2, p2, v, d, q):
            continue
        if nch == log_v.size:
            log_v = np.concatenate((log_v, log_v))
            log_d = np.concatenate((log_d, log_d))
            log_p = np.concatenate((log_p, log_p))
        log_v[nch] = v
        log_d[nch, 0], log_d[nch, 1] = d1[v], d2[v]
        log_p[nch, 0], log_p[nch, 1] = p1[v], p2[v]
        nch += 1
        _put(k, d1, p1, d2, p2, v, d, q)
        for j in range(indptr[v], indptr[v + 1]):
            u = np.int64(indices[j])
            nd = d + w[j]
            if _improves(k, d1, p1, d2, p2, u, nd, q):
                if size == hk.size:
                    hk, hi = _grow(hk, hi)
                _sift_up(hk, hi, size, nd, u)
                size += 1
    return log_v[:nch], log_d[:nch], log_p[:nch]


@njit(cache=True, nogil=True)
def region_of(k, p1, p2, q):
    """Nodes whose labels hold point ``q``."""
    n = p1.size
    out = np.empty(n, np.int64)
    m = 0
    for v in range(n):
        if p1[v] == q or (k == 2 and p2[v] == q):
            out[m] = v
            m += 1
    return out[:m]


@njit(cache=True, nogil=True)
def dedupe_links(n, a, b, length, minutes):
    """One link per node pair ``a < b``, sorted by (a, b): the shortest length and, apart, the
    fastest minutes of the parallel links. Counting sorts by ``b`` then (stably) by ``a``."""
    m = a.size
    order = np.empty(m, np.int64)
    tmp = np.empty(m, np.int64)
    count = np.zeros(n + 1, np.int64)
    for i in range(m):
        count[b[i] + 1] += 1
    for v in range(n):
        count[v + 1] += count[v]
    for i in range(m):
        tmp[count[b[i]]] = i
        count[b[i]] += 1
    count[:] = 0
    for i in range(m):
        count[a[i] + 1] += 1
    for v in range(n):
        count[v + 1] += count[v]
    for i in tmp:
        order[count[a[i]]] = i
        count[a[i]] += 1
    oa = np.empty(m, np.int64)
    ob = np.empty(m, np.int64)
    ol = np.empty(m)
    om = np.empty(m)
    r = -1
    for i in order:
        if r < 0 or a[i] != oa[r] or b[i] != ob[r]:
            r += 1
            oa[r], ob[r], ol[r], om[r] = a[i], b[i], length[i], minutes[i]
        else:
            ol[r] = min(ol[r], length[i])
            om[r] = min(om[r], minutes[i])
    return oa[: r + 1], ob[: r + 1], ol[: r + 1], om[: r + 1]


@njit(cache=True, nogil=True)
def build_csr(n, a, b, wm, wt):
    """Symmetric adjacency of links sorted by (a, b): ``indptr, indices, metres, minutes``, each
    row sorted by neighbour (the arcs to lower nodes first, then to higher)."""
    m = a.size
    indptr = np.zeros(n + 1, np.int64)
    for i in range(m):
        indptr[a[i] + 1] += 1
        indptr[b[i] + 1] += 1
    for v in range(n):
        indptr[v + 1] += indptr[v]
    pos = indptr[:-1].copy()
    indices = np.empty(2 * m, np.int32)
    dm = np.empty(2 * m)
    dt = np.empty(2 * m)
    for half in range(2):
        for i in range(m):
            v, u = (b[i], a[i]) if half == 0 else (a[i], b[i])
            j = pos[v]
            indices[j] = u
            dm[j] = wm[i]
            dt[j] = wt[i]
            pos[v] = j + 1
    return indptr, indices, dm, dt


@njit(cache=True, nogil=True)
def _cell_span(ax, ay, bx, by, i, x0, y0, cs):
    return (
        int((min(ax[i], bx[i]) - x0) / cs),
        int((max(ax[i], bx[i]) - x0) / cs),
        int((min(ay[i], by[i]) - y0) / cs),
        int((max(ay[i], by[i]) - y0) / cs),
    )


@njit(cache=True, nogil=True)
def grid_build(ax, ay, bx, by, x0, y0, cs, nx, ny):
    """Link index: every link listed in each grid cell its bounding box overlaps."""
    m = ax.size
    ptr = np.zeros(nx * ny + 1, np.int64)
    for i in range(m):
        i0, i1, j0, j1 = _cell_span(ax, ay, bx, by, i, x0, y0, cs)
        for jj in range(j0, j1 + 1):
            for ii in range(i0, i1 + 1):
                ptr[jj * nx + ii + 1] += 1
    for c in range(nx * ny):
        ptr[c + 1] += ptr[c]
    pos = ptr[:-1].copy()
    ids = np.empty(ptr[-1], np.int64)
    for i in range(m):
        i0, i1, j0, j1 = _cell_span(ax, ay, bx, by, i, x0, y0, cs)
        for jj in range(j0, j1 + 1):
            for ii in range(i0, i1 + 1):
                c = jj * nx + ii
                ids[pos[c]] = i
                pos[c] += 1
    return ptr, ids


@njit(cache=True, nogil=True)
def _foot(px, py, ax, ay, bx, by):
    """Fraction along the segment of the foot of the perpendicular, and the distance to it."""
    abx = bx - ax
    aby = by - ay
    len2 = abx * abx + aby * aby
    t = 0.0
    if len2 > 0:
        t = ((px - ax) * abx + (py - ay) * aby) / len2
        t = min(max(t, 0.0), 1.0)
    return t, np.hypot(px - (ax + t * abx), py - (ay + t * aby))


@njit(cache=True, nogil=True)
def grid_nearest(qx, qy, ax, ay, bx, by, x0, y0, cs, nx, ny, ptr, ids, max_d):
    """Nearest link of each query point (lowest row on a tie): ``link, frac, gap``; -1, 0 and
    inf where none lies within ``max_d``. Rings of grid cells are searched outwards until the
    next ring cannot hold anything nearer."""
    n = qx.size
    link = np.full(n, -1, np.int64)
    frac = np.zeros(n)
    gap = np.full(n, np.inf)
    rmax = max(nx, ny)
    for q in range(n):
        px, py = qx[q], qy[q]
        ci = min(max(int(np.floor((px - x0) / cs)), 0), nx - 1)
        cj = min(max(int(np.floor((py - y0) / cs)), 0), ny - 1)
        best, bl, bt = np.inf, -1, 0.0
        r = 0
        while r <= rmax:
            for jj in range(cj - r, cj + r + 1):
                if jj < 0 or jj >= ny:
                    continue
                edge = jj == cj - r or jj == cj + r
                step = 1 if edge else 2 * r
                ii = ci - r
                while ii <= ci + r:
                    if 0 <= ii < nx:
                        c = jj * nx + ii
                        for e in range(ptr[c], ptr[c + 1]):
                            lk = ids[e]
                            t, d = _foot(px, py, ax[lk], ay[lk], bx[lk], by[lk])
                            if d < best or (d == best and lk < bl):
                                best, bl, bt = d, lk, t
                    ii += step
            # Cells not searched yet lie at least r·cs away.
            if r * cs > best or r * cs > max_d:
                break
            r += 1
        if bl >= 0 and best <= max_d:
            link[q], frac[q], gap[q] = bl, bt, best
    return link, frac, gap
