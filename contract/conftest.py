"""Loads the recqual plugin for ``pytest contract``.

``pytest contract`` finds this conftest before parsing options, so the plugin's options exist.
With ``--pyargs contract`` (as the CLI runs it) conftests load too late for options: pass
``-p contract.plugin`` there; this hook then sees the plugin registered and does nothing.
"""

from __future__ import annotations

import pytest

from contract.corpus_support import uploaded_corpus  # noqa: F401 - one corpus shared by filters and paging

PLUGIN = "contract.plugin"


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    if pluginmanager.get_plugin(PLUGIN) is None:
        pluginmanager.import_plugin(PLUGIN)
