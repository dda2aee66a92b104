"""`make sam-env`: lets `sam local invoke` run a function against the running stand-in.

Writes `.local/sam-env.json` (for `sam local invoke -n`), which gives every function in template.yaml
the stand-in's physical names (SAM CLI would resolve `!Ref RequestsTable` to "RequestsTable") and an
AWS endpoint the function's container can reach. moto listens on 127.0.0.1 only, and a container's
127.0.0.1 is itself, so a small TCP forwarder listens on the Docker bridge's gateway address (this
machine's side of the bridge, nowhere else) and relays to moto. `make sam-env` leaves that forwarder
running in the background; it stops by itself once the stand-in has stopped.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
STACK_FILE = ROOT / ".local" / "stack.json"
ENV_FILE = ROOT / ".local" / "sam-env.json"
PID_FILE = ROOT / ".local" / "sam-forwarder.pid"
DEFAULT_BRIDGE_GATEWAY = "172.17.0.1"
# Set by the stand-in's own machinery or by SAM CLI itself; not the function's configuration.
_NOT_PASSED = {"AWS_LAMBDA_FUNCTION_NAME"}


def bridge_gateway() -> str:
    """The host's address on Docker's default bridge: what a container reaches this machine by."""
    try:
        answer = subprocess.run(
            ["docker", "network", "inspect", "bridge", "-f", "{{range .IPAM.Config}}{{.Gateway}} {{end}}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return DEFAULT_BRIDGE_GATEWAY
    gateways = [address for address in answer.stdout.split() if "." in address]
    return gateways[0] if gateways else DEFAULT_BRIDGE_GATEWAY


def moto_address(stack_data: dict[str, Any]) -> tuple[str, int]:
    endpoint = urlsplit(str(stack_data["endpoint_url"]))
    if endpoint.hostname is None or endpoint.port is None:
        raise ValueError(f"the stack file's endpoint_url has no host and port: {stack_data['endpoint_url']!r}")
    return endpoint.hostname, endpoint.port


def function_env_vars(stack_data: dict[str, Any], endpoint_url: str) -> dict[str, dict[str, str]]:
    """SAM CLI's env-vars file: {function logical id: {variable: value}} for every function."""
    from local import sam_template
    from local.provision import LocalStack

    stack = LocalStack.from_json(stack_data)
    env_vars: dict[str, dict[str, str]] = {}
    for logical_id in sorted(sam_template.functions()):
        variables = {k: v for k, v in stack.function_environment(logical_id).items() if k not in _NOT_PASSED}
        variables["AWS_ENDPOINT_URL"] = endpoint_url
        # As `make run` and `make invoke` do: links in emails point at the stand-in's API.
        # (SAM passes only the variables a function declares: those that read PUBLIC_BASE_URL.)
        if variables.get("PUBLIC_BASE_URL") == "" and stack_data.get("api_url"):
            variables["PUBLIC_BASE_URL"] = str(stack_data["api_url"])
        env_vars[logical_id] = variables
    return env_vars


class Forwarder:
    """Relays TCP connections from (listen_host, listen_port) to (target_host, target_port)."""

    def __init__(self, listen_host: str, target: tuple[str, int], listen_port: int = 0) -> None:
        self.target = target
        self._server = socket.create_server((listen_host, listen_port))
        self.host, self.port = self._server.getsockname()[:2]
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="sam-forwarder", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Forwarder:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._server.close()

    def target_answers(self) -> bool:
        try:
            with socket.create_connection(self.target, timeout=2):
                return True
        except OSError:
            return False

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._relay_connection, args=(client,), daemon=True).start()

    def _relay_connection(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=30)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        replies = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
        replies.start()
        _pump(client, upstream)
        replies.join()
        client.close()
        upstream.close()


def _pump(source: socket.socket, destination: socket.socket) -> None:
    """Copies one direction until its end; then passes the end on (half-close), so replies still flow."""
    try:
        while chunk := source.recv(65536):
            destination.sendall(chunk)
    except OSError:
        pass
    with contextlib.suppress(OSError):
        destination.shutdown(socket.SHUT_WR)


def _stop_previous_forwarder() -> None:
    """The forwarder an earlier `make sam-env` left running (its pid is in .local/)."""
    if not PID_FILE.exists():
        return
    try:
        pid = int(PID_FILE.read_text().split()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if b"tools.sam_local.sam_env" in cmdline and b"forward" in cmdline:
            os.kill(pid, 15)
    except (OSError, ValueError):
        pass
    PID_FILE.unlink(missing_ok=True)


def _write(args: argparse.Namespace) -> int:
    if not args.stack_file.exists():
        print(f"sam-env: {args.stack_file} not found: start the stand-in first (`make run`)", file=sys.stderr)
        return 1
    stack_data = json.loads(args.stack_file.read_text())
    target = moto_address(stack_data)
    gateway = bridge_gateway()
    _stop_previous_forwarder()
    # The forwarder outlives this command; it picks its own free port on the bridge address and
    # reports it on its first line of output.
    forwarder = subprocess.Popen(
        [sys.executable, "-m", "tools.sam_local.sam_env", "forward", gateway, target[0], str(target[1])],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    assert forwarder.stdout is not None
    endpoint_url = forwarder.stdout.readline().strip()
    if not endpoint_url.startswith("http://"):
        print(f"sam-env: the forwarder could not listen on {gateway} (is dockerd running?)", file=sys.stderr)
        return 1
    PID_FILE.write_text(f"{forwarder.pid}\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(function_env_vars(stack_data, endpoint_url), indent=2, sort_keys=True) + "\n")
    print(f"sam-env: wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    print(f"sam-env: containers reach the stand-in's AWS at {endpoint_url} (forwarder pid {forwarder.pid})")
    return 0


def _forward(args: argparse.Namespace) -> int:
    forwarder = Forwarder(args.listen_host, (args.target_host, args.target_port)).start()
    print(forwarder.url, flush=True)
    # Stop once the stand-in is gone (nothing answers on moto's port any more).
    while forwarder.target_answers():
        time.sleep(5)
    forwarder.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command")
    write = commands.add_parser("write", help="write the env-vars file and start the forwarder (default)")
    write.add_argument("--stack-file", type=Path, default=STACK_FILE)
    write.add_argument("--out", type=Path, default=ENV_FILE)
    forward = commands.add_parser("forward", help="relay listen_host:<free port> to target_host:target_port")
    forward.add_argument("listen_host")
    forward.add_argument("target_host")
    forward.add_argument("target_port", type=int)
    args = parser.parse_args(argv or sys.argv[1:] or ["write"])
    return _forward(args) if args.command == "forward" else _write(args)


if __name__ == "__main__":
    sys.exit(main())
