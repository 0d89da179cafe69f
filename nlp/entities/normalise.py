"""The entity layer's letter-normalised forms of Arabic words (features, gazetteer,
proclitic trimming, grouping): ``norm`` and ``loose``, defined in ``nlp.arabic`` as
``fold_for_entities`` and ``fold_loose`` (see there for what each folds and why)."""
from __future__ import annotations

from nlp.arabic import fold_for_entities as norm, fold_loose as loose

__all__ = ["norm", "loose"]
