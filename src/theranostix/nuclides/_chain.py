"""Decay chains: progeny in equilibrium and full chain decay with daughters.

References
----------
.. [1] Bateman H. The solution of a system of differential equations occurring
   in the theory of radioactive transformations. Proc Camb Phil Soc
   1910;15:423-427.
.. [2] Malins A, Lemoine T. radioactivedecay: A Python package for radioactive
   decay calculations. JOSS 2022;7(71):3318. doi:10.21105/joss.03318
.. [3] Cherry SR, Sorenson JA, Phelps ME. Physics in Nuclear Medicine, 4th ed.
   Elsevier, 2012, ch. 5 (transient and secular equilibrium).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from theranostix.nuclides import _data
from theranostix.nuclides._names import normalize_name
from theranostix.nuclides._nuclide import Nuclide, RadiationType

__all__ = ["ChainMember", "EquilibriumChain", "chain_decay", "equilibrium_chain"]


@dataclass(frozen=True)
class ChainMember:
    """A radionuclide of a chain and its equilibrium activity per parent activity."""

    nuclide: Nuclide
    activity_ratio: float

    @property
    def name(self) -> str:
        """Canonical name."""
        return self.nuclide.name


@dataclass(frozen=True)
class EquilibriumChain:
    """A parent and the progeny that reach equilibrium with it.

    Attributes
    ----------
    parent : Nuclide
        The parent.
    members : tuple of ChainMember
        The parent (ratio 1) and every radioactive progeny shorter-lived than it,
        with its activity per unit parent activity at equilibrium.
    excluded : tuple of str
        Progeny that cannot be in equilibrium: stable, or at least as long-lived as
        the parent (their descendants are left out too).
    """

    parent: Nuclide
    members: tuple[ChainMember, ...]
    excluded: tuple[str, ...]

    def mean_energy_mev(self, radiation: RadiationType | str) -> float:
        """Energy of one kind emitted per parent decay, progeny included (MeV)."""
        return sum(m.activity_ratio * m.nuclide.mean_energy_mev(radiation) for m in self.members)

    def mean_energies_mev(self) -> dict[RadiationType, float]:
        """Energy per parent decay of every kind of radiation, progeny included (MeV)."""
        return {kind: self.mean_energy_mev(kind) for kind in RadiationType}

    @property
    def electron_energy_mev(self) -> float:
        """Electron energy per parent decay, progeny included (MeV)."""
        return sum(m.activity_ratio * m.nuclide.electron_energy_mev for m in self.members)

    @property
    def photon_energy_mev(self) -> float:
        """Photon energy per parent decay, progeny included (MeV)."""
        return sum(m.activity_ratio * m.nuclide.photon_energy_mev for m in self.members)


def equilibrium_chain(nuclide: Nuclide | str) -> EquilibriumChain:
    r"""Progeny in (transient or secular) equilibrium with a parent.

    In equilibrium every member decays with the parent's constant λp, and the
    Bateman solution [1]_ reduces to the recursion [3]_

    .. math::

        \\frac{A_d}{A_p} = \\frac{\\lambda_d}{\\lambda_d - \\lambda_p}
        \\sum_k b_{k \\to d} \\frac{A_k}{A_p}

    over the direct precursors k of d with branching fractions b. Only progeny
    with λd > λp can reach equilibrium; a stable or longer-lived progeny ends
    its branch and is reported in ``excluded``.

    Examples
    --------
    >>> chain = equilibrium_chain("At-211")
    >>> [(m.name, round(m.activity_ratio, 4)) for m in chain.members]
    [('At-211', 1.0), ('Po-211', 0.582)]
    >>> chain.excluded
    ('Bi-207', 'Pb-207')
    >>> round(chain.mean_energy_mev("alpha"), 2)  # per At-211 decay, with Po-211
    6.78
    """
    parent = nuclide if isinstance(nuclide, Nuclide) else Nuclide(nuclide)
    members, excluded = _equilibrium(parent.name)
    return EquilibriumChain(
        parent=parent,
        members=tuple(ChainMember(Nuclide(n), r) for n, r in members),
        excluded=excluded,
    )


@cache
def _equilibrium(parent: str) -> tuple[tuple[tuple[str, float], ...], tuple[str, ...]]:
    from theranostix.nuclides._nuclide import _decay_record

    lam_p = Nuclide(parent).decay_constant_per_s
    names = _data.icrp107_names()
    # Collect the sub-graph of progeny that can be in equilibrium.
    inside: set[str] = {parent}
    excluded: list[str] = []
    edges: list[tuple[str, str, float]] = []
    stack = [parent]
    while stack:
        current = stack.pop()
        for branch in _decay_record(current).branches:
            child = branch.progeny
            if child not in names or Nuclide(child).decay_constant_per_s <= lam_p:
                if child not in excluded:
                    excluded.append(child)
                continue
            edges.append((current, child, branch.fraction))
            if child not in inside:
                inside.add(child)
                stack.append(child)
    # Exclude descendants of excluded nuclides that are not also reached otherwise.
    for name in list(excluded):
        for descendant in _descendants(name):
            if descendant not in inside and descendant not in excluded:
                excluded.append(descendant)
    # Kahn's topological order, then the recursion for the activity ratios.
    indegree = dict.fromkeys(inside, 0)
    for _, child, _ in edges:
        indegree[child] += 1
    order: list[str] = []
    ready = [parent]
    while ready:
        current = ready.pop(0)
        order.append(current)
        for src, child, _ in edges:
            if src == current:
                indegree[child] -= 1
                if indegree[child] == 0:
                    ready.append(child)
    ratio: dict[str, float] = {parent: 1.0}
    for name in order[1:]:
        lam_d = Nuclide(name).decay_constant_per_s
        feed = sum(b * ratio[src] for src, child, b in edges if child == name)
        ratio[name] = lam_d / (lam_d - lam_p) * feed
    return tuple((n, ratio[n]) for n in order), tuple(excluded)


def _descendants(name: str) -> list[str]:
    from theranostix.nuclides._nuclide import _decay_record

    names = _data.icrp107_names()
    if name not in names:
        return []
    found: list[str] = []
    stack = [name]
    while stack:
        current = stack.pop()
        for branch in _decay_record(current).branches:
            if branch.progeny not in found:
                found.append(branch.progeny)
                if branch.progeny in names:
                    stack.append(branch.progeny)
    return found


def chain_decay(
    initial_bq: Mapping[str, float] | Mapping[Nuclide, float], elapsed_s: npt.ArrayLike
) -> dict[str, Any]:
    """Activities of every radioactive member of the chains after ``elapsed_s``.

    Uses the Bateman solution in the matrix form of ``radioactivedecay`` [2]_:
    N(t) = C · diag(exp(−λt)) · C⁻¹ · N(0), with its pre-computed matrices C and
    C⁻¹ restricted to the members of the chains, and evaluated for all times at
    once (vectorised over ``elapsed_s``).

    Parameters
    ----------
    initial_bq : mapping
        Activity (Bq) of each nuclide at time zero, e.g. ``{"Mo-99": 10e9}``.
    elapsed_s : float or array_like
        Time(s) after time zero, in seconds (not negative).

    Returns
    -------
    dict
        Nuclide name -> activity (Bq), a float or an array shaped like
        ``elapsed_s``. Stable members are omitted.

    Examples
    --------
    >>> a = chain_decay({"Mo-99": 10e9}, 23 * 3600)
    >>> round(a["Mo-99"] / 1e9, 3), round(a["Tc-99m"] / 1e9, 3)
    (7.852, 6.899)
    """
    data = _data.decay_data()
    scipy_data = data.scipy_data
    times = np.asarray(elapsed_s, dtype=np.float64)
    if np.any(times < 0):
        raise ValueError("elapsed_s must not be negative for chain decay")
    indices: set[int] = set()
    n0: dict[int, float] = {}
    for key, activity in initial_bq.items():
        name = key.name if isinstance(key, Nuclide) else normalize_name(key)
        idx = int(data.nuclide_dict[name])
        lam = float(scipy_data.decay_consts[idx])
        n0[idx] = n0.get(idx, 0.0) + float(activity) / lam
        indices.update(int(i) for i in scipy_data.matrix_c[:, idx].nonzero()[0])
    ix = np.array(sorted(indices))
    c = scipy_data.matrix_c[ix][:, ix].toarray()
    c_inv = scipy_data.matrix_c_inv[ix][:, ix].toarray()
    lam_chain = np.asarray(scipy_data.decay_consts[ix], dtype=np.float64)
    vector = np.array([n0.get(int(i), 0.0) for i in ix])
    coeff = c_inv @ vector
    flat = times.reshape(-1)
    atoms = c @ (np.exp(-np.outer(lam_chain, flat)) * coeff[:, None])  # (members, times)
    result: dict[str, Any] = {}
    for row, idx in enumerate(ix):
        if lam_chain[row] == 0.0:
            continue
        activity = np.clip(lam_chain[row] * atoms[row], 0.0, None).reshape(times.shape)
        result[str(data.nuclides[idx])] = float(activity) if activity.ndim == 0 else activity
    return result
