"""The benign variants: different-but-correct servers the suite must pass (the no-false-alarm rule).

Invariant: ``pytest contract --quick`` in its default strict mode is green against every variant of
``variants.py`` (each changes the emulator's answers only in ways the reference, documented items and
assumptions alike, allows), and each variant actually changed answers (``fired > 0``), or the green
run proves nothing.

- ``test_stacked_variants_stay_green`` (every CI run, under a minute): all variants at once;
- ``test_variant_framing_on_the_wire`` (seconds): gzip, chunked and ``Connection: close`` really reach
  the client through a real socket (an in-process transport cannot show framing);
- ``test_benign_variant_passes`` (slow, ~20 min): each variant alone, recorded in
  ``reports/kill-matrix.json`` under ``variants``.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from .harness import CONTRACT_TIMEOUT_S, Service, free_port
from .matrix import Matrix
from .ops import RECORDINGS
from .runner import DEFAULT_SEED, benign
from .variants import ALL, VARIANTS, Variant, behaviour


@pytest.mark.timeout(CONTRACT_TIMEOUT_S + 60)
def test_stacked_variants_stay_green() -> None:
    """Every benign variant stacked: the suite stays green, and every component changed answers."""
    result = benign(ALL, DEFAULT_SEED)
    assert result.ok, result.explain()
    stacked = behaviour(ALL)
    assert isinstance(stacked, Variant)
    parts = [name for name, _ in stacked.steps] + ["latency"]
    idle = [name for name in parts if not result.steps.get(name)]
    assert not idle, f"stacked variant parts that never changed an answer (they prove nothing): {idle}"


def _proxy_cli(variant: str, upstream: str, workdir: Path) -> Service:
    """The proxy started with the ``--variant`` option (the harness uses ``--fault variant:NAME``)."""
    port = free_port()
    args = ["-m", "tests.faults.proxy", "--variant", variant, "--upstream", upstream, "--port", str(port)]
    return Service.start(f"proxy[{variant}]", args, workdir / "proxy.log", port=port)


def test_variant_framing_on_the_wire(emulator: Service, tmp_path: Path) -> None:
    """gzip, chunked and ``Connection: close`` as a client really receives them; the JSON survives."""
    proxy = _proxy_cli(ALL, emulator.url, tmp_path)
    try:
        with httpx.Client(auth=("admin", "admin"), timeout=10) as client:
            direct = client.get(emulator.url + RECORDINGS)
            through = client.get(proxy.url + RECORDINGS)
        status = httpx.get(proxy.url + "/_faults/status", timeout=5).json()
    finally:
        proxy.stop()
    assert through.status_code == direct.status_code == 200
    assert through.headers["content-encoding"] == "gzip"
    assert through.headers["transfer-encoding"] == "chunked" and "content-length" not in through.headers
    assert through.headers["connection"] == "close"
    assert through.json()["totalCount"] == direct.json()["totalCount"]
    assert status["fault"] == "variant:all" and status["fired"] == 1 and status["steps"]["gzip"] == 1


@pytest.mark.slow
@pytest.mark.timeout(CONTRACT_TIMEOUT_S + 120)
@pytest.mark.parametrize("name", list(VARIANTS))
def test_benign_variant_passes(name: str, matrix: Matrix) -> None:
    """One variant alone: green (else a false alarm in the suite) and fired (else it proves nothing)."""
    result = benign(name, matrix.seed or DEFAULT_SEED)
    matrix.variants.append(result)
    assert result.ok, result.explain()
