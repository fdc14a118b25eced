"""examples/k8s: the distributed load on Kubernetes, checked without a cluster.

Invariants:

- every manifest is valid against the Kubernetes API schemas (strict: an unknown or misspelt field is an
  error), from the schemas the ``kubernetes-validate`` package ships (no network);
- the pieces fit: the workers dial the master's Service name and port, the master waits for as many
  workers as the Deployment runs, every secret a pod reads is a key of the Secret, both mount the
  ConfigMap that holds the target file, and that file is a target recqual reads (its password variables
  are the ones the pods set);
- the commands are ones ``python -m load`` accepts (``recqual load`` execs it): the master's with
  ``--master``, the workers' as ``python -m load worker``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from load.__main__ import parser, worker_parser
from recqual.target_config import resolve

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "k8s"
KUBERNETES = "1.30"
"""The oldest Kubernetes still in common support; the manifests use nothing newer."""


def _documents() -> list[dict[str, Any]]:
    docs = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        docs += [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
    return docs


def _one(kind: str) -> dict[str, Any]:
    found = [doc for doc in _documents() if doc["kind"] == kind]
    assert len(found) == 1, f"{len(found)} {kind} manifests in {EXAMPLES}"
    return found[0]


def _container(kind: str) -> dict[str, Any]:
    return _one(kind)["spec"]["template"]["spec"]["containers"][0]


def _command(kind: str) -> list[str]:
    container = _container(kind)
    command = [*container["command"], *container.get("args", [])]
    assert command[:2] == ["recqual", "load"], command
    return command[2:]


@pytest.mark.parametrize("doc", _documents(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_each_manifest_is_valid_against_the_kubernetes_schema(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, KUBERNETES, strict=True)


def test_a_misspelt_field_is_caught_by_the_schema_check() -> None:
    """The check can fail: a Deployment with ``replica`` for ``replicas`` is refused."""
    broken = yaml.safe_load(yaml.safe_dump(_one("Deployment")))
    broken["spec"]["replica"] = broken["spec"].pop("replicas")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES, strict=True)


def test_the_workers_dial_the_master_and_the_master_waits_for_all_of_them() -> None:
    master = parser().parse_args(_command("Job"))
    worker = worker_parser().parse_args(_command("Deployment")[1:])
    assert _command("Deployment")[0] == "worker"
    service = _one("Service")
    assert worker.master_host == service["metadata"]["name"]
    assert worker.master_port == master.master_bind_port == service["spec"]["ports"][0]["targetPort"]
    assert master.master and master.expect_workers == _one("Deployment")["spec"]["replicas"]
    assert (
        service["spec"]["selector"].items() <= _one("Job")["spec"]["template"]["metadata"]["labels"].items()
    )
    assert master.expect_workers_max_wait <= worker.connect_timeout  # a worker outwaits the master's wait


def test_the_pods_read_their_passwords_from_the_secret_and_the_target_from_the_config_map(
    tmp_path: Path,
) -> None:
    secret_keys = set(_one("Secret")["stringData"])
    config_map = _one("ConfigMap")
    target = tmp_path / "target.toml"
    target.write_text(config_map["data"]["target.toml"], encoding="utf-8")
    for kind in ("Job", "Deployment"):
        container = _container(kind)
        env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"]}
        assert all(ref["name"] == _one("Secret")["metadata"]["name"] for ref in env.values())
        assert {ref["key"] for ref in env.values()} <= secret_keys
        volumes = _one(kind)["spec"]["template"]["spec"]["volumes"]
        assert {"name": "target", "configMap": {"name": config_map["metadata"]["name"]}} in volumes
        assert "--target-file=/etc/recqual/target.toml" in container["args"]
        config = resolve(target_file=target, env={name: "x" for name in env})  # what each pod resolves
        assert config.role("l10") is not None, kind
    standing = [line for line in config.lines if line.call == "standing"]
    assert len(standing) >= _one("Deployment")["spec"]["replicas"]  # every worker has a line to drive
