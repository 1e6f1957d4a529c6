"""The Bypass paper's pseudo-code for the correlation trees (Algorithms 1, 2, 7, 10-15), transcribed with pointer trees.

Slow (Python loops over neurons, data points and nodes), for comparison with :mod:`firesets.trees` only.
Chapter: ``book/correlation_trees.ipynb`` (section "Notes and errata").
"""
from __future__ import annotations

import numpy as np

from firesets._validate import as_rng

__all__ = [
    "PAPER_RULES",
    "Node",
    "make_max_tree",
    "RefDTree",
    "RefWTree",
    "wtree_init_literal_indices",
    "run_differential",
]


class Node:
    """A node of a pointer max-tree: a value, children, a parent and (leaves) the index it stands for."""

    __slots__ = ("value", "left", "right", "parent", "index")

    def __init__(self, value, index=None):
        self.value = value
        self.left = self.right = self.parent = None
        self.index = index

    def is_leaf(self) -> bool:
        return self.left is None and self.right is None


def make_max_tree(u):
    """MAKEMAXTREE(u_1..u_n), Algorithm 7. Returns ``(root, leaves, nodes_written)``.

    Repairs needed to run it at all (see the errata): line 8/10 ``r'_i <- r_{2i-1}`` would make the new node
    *be* its child (then lines 12-13 insert a node as its own child); we create ``r'_i`` and copy the larger
    value. For odd ``n`` the comment on line 15 asks for a parent of the last node, which the loop over
    ``[n/2]`` never creates; we create it (a one-child node). Ties go to the right child (``>`` on line 7).
    """
    leaves = [Node(float(v), index=k) for k, v in enumerate(u)]  # lines 20-23
    written = len(leaves)
    level = leaves
    while len(level) > 1:  # MAKEMAXTREEINNER, recursion unrolled
        nxt = []
        for i in range(len(level) // 2):
            a, b = level[2 * i], level[2 * i + 1]
            p = Node(a.value if a.value > b.value else b.value)
            p.left, p.right = a, b
            a.parent = b.parent = p
            nxt.append(p)
            written += 1
        if len(level) % 2 == 1:  # line 15: a parent node for the last node
            last = level[-1]
            p = Node(last.value)
            p.left = last
            last.parent = p
            nxt.append(p)
            written += 1
        level = nxt
    return level[0], leaves, written


def _find(tau, node, strict, counter):
    """FIND(tau, r) of Algorithms 2, 12 and 15: leaf indices below ``node``; counts child-value reads."""
    if node.is_leaf():
        return [node.index]  # line 6-7: the leaf is returned without testing its value
    S1, S2 = [], []  # the pseudo-code leaves S1, S2 undefined when a child is not entered
    for child, out in ((node.left, S1), (node.right, S2)):
        if child is None:
            continue
        counter[0] += 1
        if (child.value > tau) if strict else (child.value >= tau):
            out.extend(_find(tau, child, strict, counter))
    return S1 + S2


#: the printed rules a reference structure can follow (``paper=True``: all of them, ``paper=False``: none)
PAPER_RULES = ("max_update", "ge", "unchecked_root", "rebuild_in_loop")


def _rules(paper) -> frozenset:
    if paper is True:
        return frozenset(PAPER_RULES)
    if paper is False or paper is None:
        return frozenset()
    rules = frozenset(paper)
    unknown = rules - set(PAPER_RULES)
    if unknown:
        raise ValueError(f"paper: expected True, False or a subset of {PAPER_RULES}, got {sorted(unknown)}")
    return rules


class _RefBase:
    def __init__(self, paper):
        self.rules = _rules(paper)
        self.counters = {"inner_products": 0, "nodes_written": 0, "nodes_visited": 0}

    def _query_tree(self, root, tau):
        """QUERY = FIND(tau, root(T)). Rule ``"ge"``: FIND's printed ``>=`` (else the strict ``>`` of Theorem 3.1).
        Rule ``"unchecked_root"``: QUERY calls FIND on the root without testing it (else the root is tested first,
        one more read)."""
        counter = [0]
        strict = "ge" not in self.rules
        if "unchecked_root" in self.rules:
            out = _find(tau, root, strict=strict, counter=counter)
        else:
            counter[0] += 1
            ok = (root.value > tau) if strict else (root.value >= tau)
            out = _find(tau, root, strict=strict, counter=counter) if ok else []
        self.counters["nodes_visited"] += counter[0]
        return np.array(sorted(out), dtype=np.int64)


class RefDTree(_RefBase):
    """CORRELATIONDTREE of Algorithms 1, 2 (= 10, 11, 12): ``n`` pointer trees over ``m`` leaves.

    ``paper``: ``True`` follows every printed rule, ``False`` none, or a subset of :data:`PAPER_RULES`.
    ``"max_update"``: UPDATE's ``p.value <- max{p.value, l.value}`` (Algorithm 1 line 28; else
    ``p.value <- max{left.value, right.value}``); ``"ge"`` and ``"unchecked_root"``: see QUERY.
    Line 24's "the l-th leaf" is read as the r-th leaf in every mode.
    """

    def __init__(self, W, X, paper: bool = True):
        super().__init__(paper)
        self.W = [np.array(w, dtype=float) for w in W]  # lines 11-13
        self.X = [np.array(x, dtype=float) for x in X]  # lines 8-10
        self.n, self.m = len(self.X), len(self.W)
        self.roots, self.leaves = [], []
        for i in range(self.n):  # line 14
            u = []
            for j in range(self.m):  # line 15
                u.append(float(np.dot(self.X[i], self.W[j])))  # line 16
                self.counters["inner_products"] += 1
            root, leaves, written = make_max_tree(u)  # line 18
            self.roots.append(root)
            self.leaves.append(leaves)
            self.counters["nodes_written"] += written

    def update(self, r, z):
        """UPDATE(z, r), Algorithm 1 lines 21-32."""
        self.W[r] = np.array(z, dtype=float)  # line 22
        for i in range(self.n):  # line 23
            leaf = self.leaves[i][r]  # line 24 (printed: "the l-th leaf")
            leaf.value = float(np.dot(self.W[r], self.X[i]))  # line 25
            self.counters["inner_products"] += 1
            self.counters["nodes_written"] += 1
            node = leaf
            while node.parent is not None:  # line 26
                p = node.parent  # line 27
                if "max_update" in self.rules:
                    p.value = max(p.value, node.value)  # line 28 as printed
                else:
                    p.value = max(c.value for c in (p.left, p.right) if c is not None)
                self.counters["nodes_written"] += 1
                node = p  # line 29

    def query(self, i, tau):
        """QUERY(i, tau), Algorithm 2."""
        return self._query_tree(self.roots[i], tau)

    def query_all(self, tau):
        """QUERY(i, tau) for every ``i``; ``(i, r)`` arrays sorted by ``(i, r)``."""
        parts = [(np.full(len(s), i), s) for i in range(self.n) for s in [self.query(i, tau)]]
        return (np.concatenate([p[0] for p in parts]).astype(np.int64), np.concatenate([p[1] for p in parts]))


class RefWTree(_RefBase):
    """CORRELATIONWTREE of Algorithms 13, 14, 15: ``m`` pointer trees over ``n`` leaves.

    INIT reads line 18's ``<x_i, w_j>`` (``i`` over ``[m]``, ``j`` over ``[n]``) as ``<x_j, w_i>``. UPDATE with
    rule ``"rebuild_in_loop"`` rebuilds the tree inside the loop over ``j`` as printed (Algorithm 14 line 7: after every new
    inner product, ``n`` rebuilds in all, the last one from the full new list; earlier rebuilds mix new and old
    values); without it, UPDATE computes the ``n`` inner products, then rebuilds once. QUERY as in :class:`RefDTree`.
    """

    def __init__(self, W, X, paper: bool = True):
        super().__init__(paper)
        self.W = [np.array(w, dtype=float) for w in W]
        self.X = [np.array(x, dtype=float) for x in X]
        self.n, self.m = len(self.X), len(self.W)
        self.roots, self.u = [], []
        for i in range(self.m):  # line 16 (a tree per weight)
            u = []
            for j in range(self.n):  # line 17
                u.append(float(np.dot(self.X[j], self.W[i])))  # line 18, indices read as <x_j, w_i>
                self.counters["inner_products"] += 1
            root, _, written = make_max_tree(u)  # line 20
            self.roots.append(root)
            self.u.append(u)
            self.counters["nodes_written"] += written

    def update(self, r, z):
        """UPDATE(z, r), Algorithm 14."""
        self.W[r] = np.array(z, dtype=float)  # line 4
        u = list(self.u[r])
        for j in range(self.n):  # line 5
            u[j] = float(np.dot(self.X[j], self.W[r]))  # line 6
            self.counters["inner_products"] += 1
            if "rebuild_in_loop" in self.rules:  # line 7 sits inside the loop ("T_i": read as T_r)
                self.roots[r], _, written = make_max_tree(u)
                self.counters["nodes_written"] += written
        if "rebuild_in_loop" not in self.rules:
            self.roots[r], _, written = make_max_tree(u)
            self.counters["nodes_written"] += written
        self.u[r] = u

    def query(self, r, tau):
        """QUERY(r, tau), Algorithm 15: sorted data indices."""
        return self._query_tree(self.roots[r], tau)

    def query_all(self, tau):
        """QUERY(r, tau) for every ``r``; ``(i, r)`` arrays sorted by ``(i, r)``."""
        i = [s for r in range(self.m) for s in self.query(r, tau)]
        r = [r for r in range(self.m) for _ in self.query(r, tau)]
        i, r = np.array(i, dtype=np.int64), np.array(r, dtype=np.int64)
        order = np.lexsort((r, i))
        return i[order], r[order]


def wtree_init_literal_indices(W, X):
    """Algorithm 13 lines 16-18 with the printed indices: ``u_j <- <x_i, w_j>``, ``i`` over ``[m]``, ``j`` over ``[n]``.

    Raises ``IndexError`` as soon as ``m > n`` (there is no ``x_i`` for ``i > n``); when ``m <= n`` it builds
    tree ``i`` from the wrong inner products. Returned: the list of leaf-value lists it would build.
    """
    m, n = len(W), len(X)
    out = []
    for i in range(m):
        out.append([float(np.dot(X[i], W[j])) for j in range(n)])
    return out


def run_differential(fast_cls, ref_cls, m, n, d, steps, *, paper, rng=0, values=3):
    """Run the same random sequence of UPDATE / QUERY on a fast structure and a reference one; list every difference.

    Vectors have integer entries in ``[-values, values]`` (exact inner products, many ties) and thresholds are
    drawn among the current inner products, so ties at the threshold occur. Each returned record is a dict with
    the step, the operation and the two results or the two costs that differ. The costs compared: inner
    products for every operation, nodes written by UPDATE, nodes visited by QUERY.
    """
    gen = as_rng(rng)
    W = gen.integers(-values, values + 1, (m, d)).astype(float)
    X = gen.integers(-values, values + 1, (n, d)).astype(float)
    fast, ref = fast_cls(W, X), ref_cls(W, X, paper=paper)
    ref.counters = dict.fromkeys(ref.counters, 0)  # compare operation costs, not INIT
    fast.counters.reset()
    diffs = []
    trees = n if ref_cls is RefDTree else m
    for step in range(steps):
        before_f, before_r = fast.counters.as_dict(), dict(ref.counters)
        if gen.random() < 0.5:
            r = int(gen.integers(m))
            z = gen.integers(-values, values + 1, d).astype(float)
            fast.update(r, z)
            ref.update(r, z)
            op = f"update(r={r})"
        else:
            C = fast.correlations
            tau = float(C.flat[int(gen.integers(C.size))]) - (0.5 if gen.random() < 0.3 else 0.0)
            k = int(gen.integers(trees))
            a, b = fast.query(k, tau), ref.query(k, tau)
            op = f"query({k}, tau={tau:g})"
            if not np.array_equal(a, b):
                diffs.append({"step": step, "op": op, "what": "result", "fast": a.tolist(), "reference": b.tolist()})
        after_f, after_r = fast.counters.as_dict(), dict(ref.counters)
        for key in ("inner_products", "nodes_written", "nodes_visited"):
            cf, cr = after_f[key] - before_f[key], after_r[key] - before_r[key]
            if cf != cr:
                diffs.append({"step": step, "op": op, "what": key, "fast": cf, "reference": cr})
    return diffs
