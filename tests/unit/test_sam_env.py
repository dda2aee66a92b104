"""`make sam-env` (tools/sam_local/sam_env.py): what a `sam local invoke` container is given, and the
forwarder that lets it reach the stand-in's moto. No Docker needed."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from local import sam_template
from local.provision import LocalStack
from tools.sam_local.sam_env import Forwarder, function_env_vars, moto_address

pytestmark = pytest.mark.unit

CONTAINER_ENDPOINT = "http://172.17.0.1:40101"


def _stack_file() -> dict[str, object]:
    """A stack file as the stand-in writes it (local/provision.py write_stack_file)."""
    physical = {name: f"privacydesk-local-{name}-X1" for name in sam_template.load()["Resources"]}
    stack = LocalStack(
        region="ap-southeast-1",
        account="123456789012",
        endpoint_url="http://127.0.0.1:45678",
        physical=physical,
        parameters=sam_template.parameter_defaults(),
    )
    return {**stack.to_json(), "api_url": "http://127.0.0.1:3000"}


def test_every_function_gets_the_stand_ins_physical_names_not_logical_ids():
    env_vars = function_env_vars(_stack_file(), CONTAINER_ENDPOINT)

    assert set(env_vars) == set(sam_template.functions())
    assert env_vars["PublicApiFunction"]["REQUESTS_TABLE"] == "privacydesk-local-RequestsTable-X1"
    assert env_vars["EmailIntakeFunction"]["INBOUND_BUCKET"] == "privacydesk-local-InboundMailBucket-X1"
    for variables in env_vars.values():  # each function has only its own names (function_config)
        names = [value for name, value in variables.items() if name.endswith(("_TABLE", "_BUCKET"))]
        assert names
        # a store that already existed is named by its parameter (the stand-in's demo stores)
        assert all(value.startswith(("privacydesk-local-", "privacydesk-demo-")) for value in names)


def test_every_function_talks_to_the_endpoint_the_container_can_reach():
    env_vars = function_env_vars(_stack_file(), CONTAINER_ENDPOINT)

    assert {variables["AWS_ENDPOINT_URL"] for variables in env_vars.values()} == {CONTAINER_ENDPOINT}


def test_links_in_emails_point_at_the_stand_ins_api_when_no_public_url_is_set():
    env_vars = function_env_vars(_stack_file(), CONTAINER_ENDPOINT)

    declared = [variables for variables in env_vars.values() if "PUBLIC_BASE_URL" in variables]
    assert len(declared) > 1
    assert {variables["PUBLIC_BASE_URL"] for variables in declared} == {"http://127.0.0.1:3000"}


def test_moto_address_comes_from_the_stack_files_endpoint():
    assert moto_address(_stack_file()) == ("127.0.0.1", 45678)


@pytest.fixture
def echo_server() -> Iterator[tuple[str, int]]:
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                while data := connection.recv(65536):
                    connection.sendall(data.upper())

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[:2]
    server.close()


def test_the_forwarder_relays_both_ways_and_passes_on_the_end(echo_server: tuple[str, int]):
    forwarder = Forwarder("127.0.0.1", echo_server).start()
    try:
        with socket.create_connection((forwarder.host, forwarder.port), timeout=10) as client:
            client.sendall(b"x" * 200_000)
            client.shutdown(socket.SHUT_WR)  # the reply still flows after the request's end
            received = b""
            while chunk := client.recv(65536):
                received += chunk
        assert received == b"X" * 200_000
    finally:
        forwarder.stop()


def test_the_forwarder_sees_when_the_stand_in_is_gone():
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        free_port = placeholder.getsockname()[1]
    forwarder = Forwarder("127.0.0.1", ("127.0.0.1", free_port))
    try:
        assert forwarder.target_answers() is False
    finally:
        forwarder.stop()
