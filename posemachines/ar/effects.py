"""The effects by name, for the API and `posemachines ar --effect`."""

from __future__ import annotations

from collections.abc import Sequence

from posemachines.ar.effects_back import Cape, Wings
from posemachines.ar.effects_body import Armour, Flames, Gloves, Glow
from posemachines.ar.effects_floor import Footprints, Trail
from posemachines.ar.effects_head import Crown, Glasses, Helmet
from posemachines.ar.scene import Effect
from posemachines.errors import PoseInputError

EFFECTS: dict[str, type[Effect]] = {
    effect.name: effect
    for effect in (Crown, Helmet, Glasses, Cape, Wings, Gloves, Flames, Glow, Armour,
                   Footprints, Trail)
}


def effect_names(spec: str | Sequence[str]) -> tuple[str, ...]:
    """Effect names from 'a,b' or a sequence; PoseInputError naming the known ones otherwise."""
    names = [n.strip() for n in spec.split(",")] if isinstance(spec, str) else list(spec)
    names = [n for n in names if n]
    unknown = [n for n in names if n not in EFFECTS]
    if unknown or not names:
        raise PoseInputError(f"Unknown AR effect {', '.join(unknown) or '(none given)'}; "
                             f"known: {', '.join(EFFECTS)}.")
    return tuple(dict.fromkeys(names))


def describe_effects() -> str:
    """One line per effect: name and what it draws."""
    width = max(len(name) for name in EFFECTS)
    return "\n".join(f"{name:<{width}}  {effect.description}" for name, effect in EFFECTS.items())
