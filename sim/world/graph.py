"""The networkx layer: import real audiences, export worlds, and convert at the edges.

networkx is the modelling, import and export layer; the engine runs on the :class:`CSR`
arrays these functions produce. Large generated worlds never pass through networkx
(see docs/MODEL.md, "Audience").
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from sim.errors import Issue, ScenarioError, listing
from sim.files import replaced
from sim.inputs import MAX_IMPORT_BYTES, open_input
from sim.kernel.csr import CSR, label_order
from sim.scenario.schema import ACCOUNT_PARAMS
from sim.world.model import World

__all__ = ["from_networkx", "read_followers", "read_social", "to_networkx", "write_graph"]

EXPORT_SUFFIXES = (".graphml", ".gexf")
_READERS = {".graphml": nx.read_graphml, ".gexf": nx.read_gexf, ".gml": nx.read_gml}
_EDGE_LISTS = (".csv", ".txt", ".edgelist", ".tsv")
_HEADERS = {"user", "source", "from", "u", "account", "follower", "followee"}
FOLLOW_HEADER = ("follower", "followee")  # an edge list of one-way follows


def to_networkx(world: World) -> nx.DiGraph:
    """The world as one directed graph.

    Users are nodes ``u<i>`` (``kind='user'``, ``index``, ``community``); accounts are nodes
    ``a:<id>`` (``kind='account'``, ``label`` the id, ``role``, parameters as floats,
    ``display_label`` when set, ``scale``). Edges carry ``kind``: ``social`` (user ``u``
    to user ``v`` when ``v`` sees ``u``'s posts and reshares, so a mutual tie is two
    edges), ``follows`` (user to account) and ``amplifies`` (account to account, with
    ``weight``).
    """
    G = nx.DiGraph()
    community = world.community if world.community is not None else np.full(world.n_users, -1)
    G.add_nodes_from((f"u{i}", {"kind": "user", "index": i, "community": int(c)})
                     for i, c in enumerate(community))
    for a in world.accounts:
        # parameters as the floats the schema says (role defaults arrive as ints): GEXF and
        # GraphML readers need one type per attribute
        attrs = {k: float(v) if k in ACCOUNT_PARAMS else v for k, v in a.model_dump().items()
                 if v is not None and k not in ("id", "label")}
        if a.label is not None:  # 'label' holds the id, which the reader keys follower sets by
            attrs["display_label"] = a.label
        G.add_node(f"a:{a.id}", kind="account", label=a.id, scale=world.scale, **attrs)
    src, dst = world.social.row_ids(), world.social.indices
    G.add_edges_from(zip(map("u{}".format, src), map("u{}".format, dst)), kind="social")
    for i, a in enumerate(world.accounts):
        G.add_edges_from(((f"u{u}", f"a:{a.id}") for u in world.followers.row(i)),
                         kind="follows")
    for s, t in zip(*np.nonzero(world.amplification)):
        G.add_edge(f"a:{world.accounts[s].id}", f"a:{world.accounts[t].id}", kind="amplifies",
                   weight=float(world.amplification[s, t]))
    return G


def from_networkx(G: nx.Graph) -> tuple[CSR, dict[str, np.ndarray] | None, list[Any]]:
    """Social ties, follower sets and user labels from a graph.

    A graph written by :func:`to_networkx` gives back its users (in ``index`` order), ties
    and follower sets. Any other graph is read as social ties among its nodes, users in
    sorted label order, and no follower sets: a DiGraph's edge ``u -> v`` says that ``v``
    sees ``u``'s posts (``v`` follows ``u``), an undirected graph's tie is mutual.
    """
    kinds = nx.get_node_attributes(G, "kind")
    users = [n for n in G if kinds.get(n, "user") == "user"]
    index = nx.get_node_attributes(G, "index")
    users.sort(key=_index_key(index) if len(index) == len(users) else label_order)
    position = {n: i for i, n in enumerate(users)}
    u, v, followers = [], [], {}
    for a, b, kind in G.edges(data="kind"):
        if a in position and b in position:
            u.append(position[a])
            v.append(position[b])
        elif kind == "follows" and a in position:
            followers.setdefault(G.nodes[b].get("label", str(b)), []).append(position[a])
    build = CSR.directed if G.is_directed() else CSR.symmetric
    social = build(np.array(u, dtype=np.int64), np.array(v, dtype=np.int64), len(users))
    if not any(k == "account" for k in kinds.values()):
        return social, None, users
    sets = {a: np.array(sorted(f), dtype=np.int64) for a, f in followers.items()}
    return social, sets, users


def read_social(path: Path
                ) -> tuple[CSR, dict[str, np.ndarray] | None, list[Any], float | None]:
    """Read a social graph by suffix: an edge list (CSV or whitespace) or GraphML/GEXF/GML.

    An edge list whose header is ``follower, followee`` holds one-way follows (the
    followee's posts reach the follower); any other edge list holds mutual ties.

    Returns what :func:`from_networkx` does, plus the scale a graph written by
    :func:`to_networkx` was drawn at (None for other graphs): its follower sets mean real
    followers only at that scale.
    """
    suffix = path.suffix.lower()
    if suffix not in (*_READERS, *_EDGE_LISTS):
        raise ScenarioError([Issue(str(path), "audience.import.graph", "expected a suffix among "
                                   f"{', '.join([*_READERS, *_EDGE_LISTS])}; found {suffix!r}")])
    try:
        if suffix in _READERS:
            with open_input(path, "graph", MAX_IMPORT_BYTES) as fh:
                G = _READERS[suffix](fh)
        else:
            follows = _header(path) == FOLLOW_HEADER
            G = nx.DiGraph() if follows else nx.Graph()
            # nx.Graph(rows) would swallow a bad row's error
            G.add_edges_from((b, a) if follows else (a, b) for a, b in _edge_rows(path, "graph"))
        social, sets, labels = from_networkx(G)
    except ScenarioError:
        raise
    except Exception as exc:  # a reader's own error: report it as bad input
        raise ScenarioError([Issue(str(path), "audience.import.graph",
                                   f"expected a readable graph; found {exc}")]) from None
    if social.n_rows == 0:
        raise ScenarioError([Issue(str(path), "audience.import.graph",
                                   "expected a graph with at least one user; found none")])
    return social, sets, labels, _scale(G)


def read_followers(path: Path, labels: list[Any] | None, n_users: int,
                   accounts: Collection[str] | None = None) -> dict[str, np.ndarray]:
    """Follower sets from a CSV of ``user, account`` rows.

    Users are matched to the imported graph's node labels when there is one, else numbered
    in order of first appearance (at most ``n_users`` of them). With ``accounts``, a row
    naming another account is reported at its row. Repeated rows count once. The first
    20 problems are reported together (reading stops there, so that a long file of bad rows
    takes no more memory than a good one).
    """
    position = {str(label): i for i, label in enumerate(labels)} if labels else {}
    known = None if accounts is None else set(accounts)
    sets: dict[str, list[int]] = {}
    issues: list[Issue] = []
    for line, (user, account) in _edge_rows(path, "followers", numbered=True):
        if known is not None and account not in known:
            issues.append(Issue(str(path), f"row {line}, column account", "expected an "
                                f"account of the matrix ({listing(sorted(known))}); found "
                                f"{account!r}", line))
        else:
            if labels is None and user not in position and len(position) < n_users:
                position[user] = len(position)
            if user in position:
                sets.setdefault(account, []).append(position[user])
            else:
                issues.append(Issue(str(path), f"row {line}, column user",
                                    f"expected a user of the audience; found {user!r}", line))
        if len(issues) == 20:
            break
    if issues:
        raise ScenarioError(issues)
    return {a: np.unique(np.array(u, dtype=np.int64)) for a, u in sets.items()}


def write_graph(G: nx.Graph, path: Path) -> None:
    """Write a graph as GraphML or GEXF by suffix, atomically (a temporary file renamed);
    a failure to write (a full disk, a folder in the way) is a :class:`RunError`."""
    suffix = path.suffix.lower()
    writer = {".graphml": nx.write_graphml, ".gexf": nx.write_gexf}.get(suffix)
    if writer is None:
        raise ValueError(f"expected an export path ending in {' or '.join(EXPORT_SUFFIXES)}; "
                         f"found {path.name!r}")
    with replaced(path) as tmp:
        writer(G, tmp)


def _edge_rows(path: Path, kind: str, numbered: bool = False) -> Iterator[Any]:
    """Pairs from an edge list: CSV (with or without a header) or whitespace-separated.

    Columns after the first two are ignored; a row with fewer, or an empty one of the two,
    and text that is not UTF-8 are reported at their row. ``kind`` names the file in
    messages.
    """
    try:
        with io.TextIOWrapper(open_input(path, kind, MAX_IMPORT_BYTES), encoding="utf-8",
                              newline="") as fh:
            sample = fh.readline()
            lines = itertools.chain([sample], fh)
            rows = csv.reader(lines) if "," in sample else (line.split() for line in lines)
            for line, row in enumerate(rows, start=1):
                if not row or row[0].startswith("#"):
                    continue
                a, b = (row[0].strip(), row[1].strip()) if len(row) > 1 else ("", "")
                if not (a and b):
                    raise ScenarioError([Issue(str(path), f"row {line}", "expected two "
                                               f"columns (from, to), neither empty; found "
                                               f"{row!r}",
                                               line)])
                if line == 1 and {a.lower(), b.lower()} & _HEADERS:
                    continue  # a header
                yield ((line, (a, b)) if numbered else (a, b))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ScenarioError([Issue(str(path), "(file)", "expected UTF-8 CSV or "
                                   f"whitespace-separated text; found {exc}")]) from None


def _header(path: Path) -> tuple[str, ...]:
    """The first line's first two columns, lower case (a header names them)."""
    with io.TextIOWrapper(open_input(path, "graph", MAX_IMPORT_BYTES), encoding="utf-8",
                          errors="replace", newline="") as fh:
        line = fh.readline()
    cells = line.split(",") if "," in line else line.split()
    return tuple(c.strip().lower() for c in cells[:2])


def _scale(G: nx.Graph) -> float | None:
    """The scale stored on an exported world's account nodes (GEXF drops graph attributes)."""
    scales = {float(d["scale"]) for _, d in G.nodes(data=True)
              if d.get("kind") == "account" and "scale" in d}
    return scales.pop() if len(scales) == 1 else None


def _index_key(index: dict[Any, Any]) -> Callable[[Any], int]:
    """Sort key of user nodes by their ``index`` attribute, which must be whole numbers."""
    for node, value in index.items():
        try:
            int(value)
        except (TypeError, ValueError):
            raise ValueError(f"node {node!r} has index {value!r}, not a whole number") from None
    return lambda n: int(index[n])
