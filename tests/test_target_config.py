"""The one target model: flags, environment and target file become one validated ``TargetConfig``.

Every configuration mistake must be one line naming the key, before any request (exit 2), and a
relative path must mean what it means to the person who wrote it: from the cwd for a flag, from the
target file's folder for a path inside the file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from recqual.target_config import ConfigError, child_arguments, resolve

LAB = """
[target]
url = "https://ucx.example/"
tls_verify = false
max_rps = 3
retention_days = 90

[credentials.l10]
username = "root"
password_env = "UCX_ROOT"
[credentials.l1]
username = "rec"
password = "s3cr3t-one"

[[lines]]
deviceName = "SEP1"
directoryNumber = "1001"
role = "l1"
[[lines]]
deviceName = "SEP9"
directoryNumber = 999
call = "none"
"""


def write(tmp_path: Path, text: str, name: str = "lab.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_lab_file_resolves_to_one_frozen_config(tmp_path: Path) -> None:
    path = write(tmp_path, LAB)
    config = resolve(target_file=path, env={"UCX_ROOT": "s3cr3t-root"}, cwd=tmp_path)
    assert config.url == "https://ucx.example" and config.tls_verify is False and config.max_rps == 3
    assert config.retention_days == 90 and config.target_file == path
    assert {r: c.username for r, c in config.credentials.items()} == {"l10": "root", "l1": "rec"}
    assert [ln.call for ln in config.lines] == ["standing", "none"]
    assert config.idle_lines[0].directory_number == "999"
    assert "s3cr3t" not in repr(config)
    with pytest.raises(AttributeError):
        config.url = "x"  # type: ignore[misc]


def test_flags_win_over_environment_over_file(tmp_path: Path) -> None:
    path = write(tmp_path, LAB)
    env = {"UCX_ROOT": "pw", "RECQUAL_USER": "envroot", "RECQUAL_PASSWORD": "envpw"}
    config = resolve(target="http://other:8080", target_file=path, tls_verify="true", env=env, cwd=tmp_path)
    assert config.url == "http://other:8080" and config.source == "--target" and config.tls_verify is True
    assert config.credentials["l10"].username == "envroot"


def test_relative_paths_resolve_from_the_cwd_and_the_files_folder(tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    lab.mkdir()
    (lab / "CA-Bundle.PEM").write_text("x")
    write(lab, '[target]\nurl = "https://ucx.example"\ntls_verify = "CA-Bundle.PEM"\n')
    config = resolve(target_file="lab/lab.toml", env={}, cwd=tmp_path)
    assert config.target_file == lab / "lab.toml"
    assert config.tls_verify == str(lab / "CA-Bundle.PEM")  # the file's folder, case kept
    args = child_arguments(config)
    assert args[args.index("--target-file") + 1] == str(lab / "lab.toml")
    assert args[args.index("--tls-verify") + 1] == str(lab / "CA-Bundle.PEM")


def test_no_target_means_the_embedded_emulator() -> None:
    config = resolve(env={}, cwd=Path("/"))
    assert config.url is None and config.embedded and config.credentials == {}


@pytest.mark.parametrize(
    ("text", "env", "fragment"),
    [
        ('[target]\nurl = "https://x"\nretention = 3\n', {}, "unknown key 'retention'"),
        ('[target]\nurl = "https://x"\n[extra]\n', {}, "unknown key 'extra'"),
        ("[target]\nurl = 5\n", {}, "[target].url must be a string"),
        ('[target]\nurl = "https://x"\nmax_rps = "fast"\n', {}, "max_rps must be"),
        ('[target]\nurl = "https://x"\nretention_days = true\n', {}, "retention_days must be an integer"),
        ("[target]\ntls_verify = false\n", {}, "[target] url is missing"),
        ('[target]\nurl = "https://x/fw/Apps"\n', {}, "without an API path"),
        ('[target]\nurl = "https://x"\n[credentials.l10]\npassword = "p"\n', {}, "username is missing"),
        ('[target]\nurl = "https://x"\n[credentials.l10]\nusername = "u"\n', {}, "password or password_env"),
        (
            '[target]\nurl = "https://x"\n[credentials.l10]\nusername = "u"\npassword_env = "NOPE"\n',
            {},
            "NOPE",
        ),
        (
            '[target]\nurl = "https://x"\n[credentials.boss]\nusername = "u"\npassword = "p"\n',
            {},
            "not a role",
        ),
        ('[target]\nurl = "https://x"\n[[lines]]\ndeviceName = "SEP1"\n', {}, "directoryNumber"),
        (
            '[target]\nurl = "https://x"\n[[lines]]\ndeviceName = "S"\ndirectoryNumber = "1"\n'
            'call = "maybe"\n',
            {},
            "call must be one of",
        ),
        (
            '[target]\nurl = "https://x"\n[[lines]]\ndeviceName = "S"\ndirectoryNumber = "1"\nrole = "l2"\n',
            {},
            "no [credentials.l2]",
        ),
        ('[target]\nurl = "https://x"\ntls_verify = "missing.pem"\n', {}, "no CA bundle file"),
        ('[target]\nurl = "https://x"\nmax_json_bytes = 10\n', {}, "max_json_bytes must be between"),
        ('[target]\nurl = "https://x"\nmax_media_bytes = "big"\n', {}, "max_media_bytes must be an integer"),
        ("not toml [", {}, "not valid TOML"),
        ('[target]\nurl = "https://x"\n', {"RECQUAL_PASSWORD": "p"}, "RECQUAL_USER is not"),
    ],
)
def test_each_mistake_is_one_line_naming_the_key(
    tmp_path: Path, text: str, env: dict[str, str], fragment: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        resolve(target_file=path, env=env, cwd=tmp_path)
    message = str(caught.value)
    assert fragment in message and "\n" not in message


def test_old_files_keep_working(tmp_path: Path) -> None:
    """The README's earlier format and the load pass's ``[credentials.admin]`` spelling."""
    path = write(
        tmp_path,
        '[target]\nurl = "https://x"\n[credentials.admin]\nusername = "a"\npassword = "p"\n'
        '[[lines]]\ndeviceName = "SEP1"\ndirectoryNumber = "1001"\n',
    )
    config = resolve(target_file=path, env={}, cwd=tmp_path)
    assert config.credentials["l10"].username == "a" and config.lines[0].call == "standing"


def test_an_unreadable_or_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="target file not found"):
        resolve(target_file="nope.toml", env={}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="is a folder"):
        resolve(target_file=tmp_path, env={}, cwd=tmp_path)


def test_user_flag_needs_its_password_from_the_environment(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="RECQUAL_PASSWORD"):
        resolve(target="http://x", user="bob", env={}, cwd=tmp_path)
    config = resolve(target="http://x", user="bob", env={"RECQUAL_PASSWORD": "p"}, cwd=tmp_path)
    assert config.credentials["l10"].username == "bob"


def test_secrets_cover_password_token_and_pair(tmp_path: Path) -> None:
    config = resolve(
        target="http://x", env={"RECQUAL_USER": "bob", "RECQUAL_PASSWORD": "hunter2"}, cwd=tmp_path
    )
    secrets = config.secrets()
    assert "hunter2" in secrets and "bob:hunter2" in secrets
    assert config.credentials["l10"].basic().removeprefix("Basic ") in secrets


def test_a_standing_calls_far_end_may_be_declared_with_its_names(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[target]\nurl = "https://x"\n[[lines]]\ndeviceName = "S"\ndirectoryNumber = "1"\n'
        'remoteParty = { phoneNumber = "+39 02", firstName = "Ada", lastName = "Rossi" }\n'
        '[[lines]]\ndeviceName = "T"\ndirectoryNumber = "2"\nremoteParty = "+41"\n',
    )
    first, second = resolve(target_file=path, env={}, cwd=tmp_path).lines
    assert (first.remote_party, first.remote_first, first.remote_last) == ("+39 02", "Ada", "Rossi")
    assert (second.remote_party, second.remote_first) == ("+41", None)
    write(
        tmp_path,
        '[target]\nurl = "https://x"\n[[lines]]\ndeviceName = "S"\ndirectoryNumber = "1"\n'
        'remoteParty = { number = "+39" }\n',
    )
    with pytest.raises(ConfigError, match="remoteParty: unknown key 'number'"):
        resolve(target_file=path, env={}, cwd=tmp_path)


def test_response_size_caps_default_and_can_be_set(tmp_path: Path) -> None:
    default = resolve(target_file=write(tmp_path, '[target]\nurl = "https://x"\n'), env={}, cwd=tmp_path)
    assert (default.max_json_bytes, default.max_media_bytes) == (16 * 2**20, 64 * 2**20)
    path = write(
        tmp_path, '[target]\nurl = "https://x"\nmax_json_bytes = 1048576\nmax_media_bytes = 200000000\n'
    )
    config = resolve(target_file=path, env={}, cwd=tmp_path)
    assert (config.max_json_bytes, config.max_media_bytes) == (1048576, 200000000)
