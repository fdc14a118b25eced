"""Against a server that is not the emulator, the load uses the target file: its credentials and lines.

The "real" server is the emulator behind a proxy that hides ``/_emulator`` (so the load cannot place calls
or create users); the test sets the scene beforehand through the emulator's own port, as a lab would with
real phones. Invariant: the call-control mix runs clean on exactly the listed lines, ``/Mine`` is used
only through the line owner's credentials, and nothing of ours is left live.
"""

from __future__ import annotations

import uuid

from load.runner import run


def test_call_control_on_target_file_lines(real_looking_server, emulator, tmp_path, monkeypatch):
    monkeypatch.delenv("RECQUAL_USER", raising=False)
    monkeypatch.delenv("RECQUAL_PASSWORD", raising=False)
    tag = uuid.uuid4().hex[:8].upper()
    lines = [(f"SEP{tag}{i:04X}", f"55{int(tag, 16) % 10**6:06d}{i}") for i in range(4)]
    owner = f"agent{tag.lower()}"
    status, _ = emulator.control(
        "POST",
        "/users",
        {
            "username": owner,
            "password": "pw",
            "level": 1,
            "extension": lines[0][1],
            "deviceName": lines[0][0],
        },
    )
    assert status == 201
    for i, (device, dn) in enumerate(lines):
        status, _ = emulator.control(
            "POST",
            "/calls",
            {"deviceName": device, "directoryNumber": dn, "username": owner if i == 0 else "admin"},
        )
        assert status == 201
    entries = [
        f'{{deviceName = "{device}", directoryNumber = "{dn}"' + (', user = "agent"' if i == 0 else "") + "}"
        for i, (device, dn) in enumerate(lines)
    ]
    target_file = tmp_path / "target.toml"
    target_file.write_text(
        "lines = [\n  " + ",\n  ".join(entries) + "\n]\n"
        '[credentials.admin]\nusername = "admin"\npassword = "admin"\n'
        f'[credentials.agent]\nusername = "{owner}"\npassword = "pw"\n'
    )
    result = run(
        "call-control",
        target=real_looking_server.url,
        users=2,
        spawn_rate=2,
        run_time="4s",
        out_dir=tmp_path / "run",
        slo_file=None,
        rate=None,
        target_file=target_file,
        extra=["--recqual-think-min", "0.01", "--recqual-think-max", "0.03"],
    )
    log = (tmp_path / "run" / "locust-master.log").read_text()
    assert result.exit_code == 0, log[-3000:]
    assert "(real server)" in log and "password" not in log.lower()
    summary = result.summary
    assert summary["totals"]["failures"] == 0 and summary["cleanup"]["leftover_live"] == 0
    assert summary["cleanup"]["lines"] == 4
    assert summary["operations"]["stopMyRecording"]["count"] > 0  # the owned line, as its owner
    assert emulator.live_recordings() == []
