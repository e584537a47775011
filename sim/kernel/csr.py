"""Compressed sparse rows: the compact form the engine runs on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

__all__ = ["CSR", "label_order", "sorted_unique"]


def label_order(label: Any) -> tuple[int, Any]:
    """Sort key of graph node labels: whole numbers first, in numeric order, then the rest
    by their text (so ``2`` comes before ``10`` and labels of mixed types compare)."""
    text = str(label)
    return (0, int(text)) if text.lstrip("-").isdigit() else (1, text)


@dataclass(frozen=True, eq=False)
class CSR:
    """Rows of sorted column indices, such as each user's ties or each account's followers.

    ``indices[indptr[i]:indptr[i + 1]]`` are the columns of row ``i``, sorted and unique.
    """

    indptr: np.ndarray  # int64, n_rows + 1
    indices: np.ndarray  # int32
    n_cols: int

    @classmethod
    def from_pairs(cls, rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int,
                   loops: bool = True) -> CSR:
        """Build from (row, column) pairs; duplicate pairs are kept once, and pairs of a row
        with itself only with ``loops``. One 64-bit key per pair is the only large temporary
        (graphs of a hundred million ties are built this way)."""
        keys = rows.astype(np.int64)
        keys *= n_cols
        keys += cols
        if not loops:
            keys = keys[rows != cols]
        return cls._from_sorted_keys(sorted_unique(keys, in_place=True), n_rows, n_cols)

    @classmethod
    def from_networkx(cls, graph: nx.Graph) -> tuple[CSR, list[Any]]:
        """The ties of a networkx graph and its node labels, nodes numbered in
        :func:`label_order`. A directed graph's edge ``u -> v`` lets ``u`` reach ``v``
        (row ``u`` holds ``v``); an undirected graph's tie goes both ways."""
        labels = sorted(graph, key=label_order)
        position = {label: i for i, label in enumerate(labels)}
        pairs = np.array([(position[a], position[b]) for a, b in graph.edges()],
                         dtype=np.int64).reshape(-1, 2)
        build = cls.directed if graph.is_directed() else cls.symmetric
        return build(pairs[:, 0], pairs[:, 1], len(labels)), labels

    @classmethod
    def directed(cls, u: np.ndarray, v: np.ndarray, n: int) -> CSR:
        """A directed graph on ``n`` nodes whose row ``u`` holds ``v`` for each pair (``u``
        reaches ``v``); loops and repeats dropped."""
        return cls.from_pairs(u, v, n, n, loops=False)

    @classmethod
    def symmetric(cls, u: np.ndarray, v: np.ndarray, n: int) -> CSR:
        """An undirected graph on ``n`` nodes from edge pairs; loops and repeats dropped."""
        keep = u != v
        u, v = u[keep].astype(np.int64), v[keep].astype(np.int64)
        lo, hi = np.minimum(u, v), np.maximum(u, v)
        keys = sorted_unique(lo * n + hi)
        both = np.concatenate([keys, (keys % n) * n + keys // n])
        both.sort()
        return cls._from_sorted_keys(both, n, n)

    @classmethod
    def _from_sorted_keys(cls, keys: np.ndarray, n_rows: int, n_cols: int) -> CSR:
        indptr = np.searchsorted(keys, np.arange(n_rows + 1, dtype=np.int64) * n_cols)
        indices = np.empty(len(keys), dtype=np.int32)
        np.remainder(keys, n_cols, out=indices, casting="unsafe")  # columns fit 32 bits
        return cls(indptr.astype(np.int64, copy=False), indices, n_cols)

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    @property
    def nnz(self) -> int:
        return int(self.indptr[-1])

    def row(self, i: int) -> np.ndarray:
        """Column indices of row ``i``."""
        return self.indices[self.indptr[i]:self.indptr[i + 1]]

    def degrees(self) -> np.ndarray:
        """Entries per row."""
        return np.diff(self.indptr)

    def row_ids(self) -> np.ndarray:
        """The row of every entry, aligned with ``indices``."""
        return np.repeat(np.arange(self.n_rows, dtype=np.int32), self.degrees())

    def transpose(self) -> CSR:
        """Rows and columns swapped (for ties: who reaches each user)."""
        return CSR.from_pairs(self.indices.astype(np.int64), self.row_ids().astype(np.int64),
                              self.n_cols, self.n_rows)

    def is_symmetric(self) -> bool:
        """Whether every entry (i, j) has its mirror (j, i): ties that go both ways."""
        return self.n_rows == self.n_cols and self.equals(self.transpose())

    def equals(self, other: CSR) -> bool:
        """Same shape and the same entries."""
        return (self.n_cols == other.n_cols and np.array_equal(self.indptr, other.indptr)
                and np.array_equal(self.indices, other.indices))

    def to_scipy(self):
        """As a ``scipy.sparse.csr_array`` of ones."""
        from scipy.sparse import csr_array  # heavy, and only needed here: imported late

        data = np.ones(self.nnz, dtype=np.int8)
        return csr_array((data, self.indices, self.indptr), shape=(self.n_rows, self.n_cols))


def sorted_unique(keys: np.ndarray, runs: bool = False, in_place: bool = False
                  ) -> np.ndarray:
    """Sorted distinct values (sort and mask: much faster than ``np.unique`` for ints).

    ``runs``: the keys are a few sorted runs one after another, which a merging sort
    orders about ten times faster than the default (and ten times slower when they are
    not). ``in_place``: sort ``keys`` itself rather than a copy (for very large arrays).
    """
    kind = "stable" if runs else None
    if in_place:
        keys.sort(kind=kind)
    else:
        keys = np.sort(keys, kind=kind)
    if len(keys) == 0:
        return keys
    keep = np.empty(len(keys), dtype=bool)
    keep[0] = True
    np.not_equal(keys[1:], keys[:-1], out=keep[1:])
    return keys[keep]
