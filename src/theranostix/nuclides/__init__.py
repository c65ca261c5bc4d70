"""Radionuclide data and decay.

Built on ICRP Publication 107 as distributed by ``radioactivedecay`` (half-lives,
decay modes, branching fractions, chains) and ``icrp107-database`` (emission
lines, beta spectra); both load on first use.

Main entry points
-----------------
Nuclide
    One radionuclide: half-life, decay modes, progeny, emissions, mean energies,
    dose constants, air-kerma rate constant.
decay, decay_factor, decay_between, decay_correct
    Exponential decay of one radionuclide, vectorised, between aware datetimes.
equilibrium_chain, chain_decay
    Progeny in equilibrium; full chain decay with daughters.
catalogue, pairs, list_nuclides
    The clinical radionuclides and theranostic pairs.

Examples
--------
>>> from theranostix.nuclides import Nuclide
>>> Nuclide("lu177").name
'Lu-177'
"""

from theranostix.nuclides._catalogue import (
    CatalogueEntry,
    Role,
    TheranosticPair,
    catalogue,
    list_nuclides,
    pairs,
)
from theranostix.nuclides._chain import (
    ChainMember,
    EquilibriumChain,
    chain_decay,
    equilibrium_chain,
)
from theranostix.nuclides._decay import decay, decay_between, decay_correct, decay_factor
from theranostix.nuclides._names import normalize_name, suggest_names
from theranostix.nuclides._nuclide import DecayBranch, DecayMode, Emission, Nuclide, RadiationType
from theranostix.nuclides._physics import air_kerma_rate_constant, air_mu_en_rho

__all__ = [
    "CatalogueEntry",
    "ChainMember",
    "DecayBranch",
    "DecayMode",
    "Emission",
    "EquilibriumChain",
    "Nuclide",
    "RadiationType",
    "Role",
    "TheranosticPair",
    "air_kerma_rate_constant",
    "air_mu_en_rho",
    "catalogue",
    "chain_decay",
    "decay",
    "decay_between",
    "decay_correct",
    "decay_factor",
    "equilibrium_chain",
    "list_nuclides",
    "normalize_name",
    "pairs",
    "suggest_names",
]
