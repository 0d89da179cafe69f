"""Process-wide engines of a layer, by name: ``builtin``, ``farasa`` or ``auto``.

One engine object per name per process (a Farasa engine holds a warm JVM). ``auto`` is
the Farasa engine when its jar is on disk, else the builtin one, and the layer's entry in
``result["engines"]`` then says why (``fallback``) — DESIGN: which engine produced a result
is always stated.
"""
from __future__ import annotations

import logging
import os
import threading
from typing import Callable

log = logging.getLogger(__name__)

NAMES = ("builtin", "farasa", "auto")


class EngineRegistry:
    def __init__(self, layer: str, env_var: str, *, builtin: Callable[[], object],
                 farasa: Callable[[], object]):
        self.layer = layer
        self.env_var = env_var
        self._factories = {"builtin": builtin, "farasa": farasa}
        self.engines: dict[str, object] = {}
        self._fallbacks: dict[str, str] = {}
        self._lock = threading.RLock()

    def key(self, name: str | None) -> str:
        """The engine name asked for: ``name``, else $env_var, else builtin."""
        return (name or os.environ.get(self.env_var) or "builtin").strip().lower()

    def get(self, name: str | None = None):
        from nlp import PipelineError

        key = self.key(name)
        with self._lock:
            engine = self.engines.get(key)
            if engine is None:
                if key == "auto":
                    engine = self._auto()
                elif key in self._factories:
                    engine = self._factories[key]()
                else:
                    raise PipelineError(f"unknown {self.layer} engine {key!r}; use "
                                        f"{', '.join(NAMES[:-1])} or {NAMES[-1]}",
                                        code="unknown-engine")
                self.engines[key] = engine
        return engine

    def _auto(self):
        from nlp.farasa_process import EngineUnavailable

        try:
            return self.get("farasa")  # one JVM per process, whichever name asked for it
        except EngineUnavailable as exc:
            # The detail names paths on this host: it goes to the log, not into results.
            log.warning("%s engine auto -> builtin: %s", self.layer, exc)
            self._fallbacks["auto"] = "farasa engine unavailable on this host (jar or java missing)"
            return self.get("builtin")

    def describe(self, engine, asked=None) -> dict:
        """The ``result["engines"]`` entry for ``engine``, got by asking for ``asked``
        (a name, or an engine object passed in directly)."""
        info = {"name": engine.name, "version": engine.version}
        if asked is None or isinstance(asked, str):
            fallback = self._fallbacks.get(self.key(asked))
            if fallback:
                info["fallback"] = fallback
        return info
