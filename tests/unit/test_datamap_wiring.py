"""Adding a store is the data map: every store of it is wired in template.yaml (its table or bucket,
its variable, its grants for fulfilment, retention and holds, the stream of its TTL deletions, the use
of an existing store's own KMS key), and a store that is not fails here."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from local import sam_template
from privacydesk.datamap.adapters.dynamodb_store import shape_problems
from privacydesk.datamap.adapters.locations import name_from_arn, physical_name
from privacydesk.datamap.domain.model import DataMap, Store, load_datamap
from privacydesk.datamap.domain.store_errors import StoreMisconfigured
from tools import datamap_wiring

pytestmark = pytest.mark.unit

DATAMAP = load_datamap()
TEXT = datamap_wiring.TEMPLATE.read_text(encoding="utf-8")
TEMPLATE = sam_template.load()
RESOURCES = TEMPLATE["Resources"]
FUNCTIONS = sam_template.functions()
STORE_FUNCTIONS = ["FulfilmentFunction", "RetentionSweepFunction", "AdminApiFunction", "RetentionTtlAccountingFunction"]


def _with_store(**changes: Any) -> DataMap:
    """The data map plus one store a newcomer added (a copy of technical_events, renamed)."""
    base = DATAMAP.store("technical_events").model_dump()
    added = Store.model_validate({**base, "name": "call_recordings", **changes})
    return DATAMAP.model_copy(update={"stores": [*DATAMAP.stores, added]})


def _policy_text(function: str) -> str:
    """Every statement the generated policies attach to this function's role, as YAML-ish text."""
    return "\n".join(
        str(resource["Properties"]["PolicyDocument"])
        for resource in RESOURCES.values()
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": f"{function}Role"} in resource["Properties"]["Roles"]
    )


def test_the_template_is_wired_for_every_store_of_the_data_map():
    assert datamap_wiring.apply(TEXT, DATAMAP) == TEXT, "run `make datamap-wiring` and commit template.yaml"


def test_a_store_added_to_the_data_map_without_rewiring_fails_the_check():
    added = _with_store(table={"env": "CALL_RECORDINGS_TABLE", "parameter": "CallRecordingsTable"})
    rewired = datamap_wiring.apply(TEXT, added)
    assert rewired != TEXT
    assert "CALL_RECORDINGS_TABLE: !Ref CallRecordingsTable" in rewired
    assert "  CallRecordingsTable:\n    Type: String" in rewired
    assert "table/${CallRecordingsTable}" in rewired


@pytest.mark.parametrize("store", DATAMAP.located, ids=lambda s: s.name)
def test_every_function_that_reaches_stores_gets_each_stores_variable(store: Store):
    location = store.location
    for function in STORE_FUNCTIONS:
        variables = FUNCTIONS[function].environment
        assert variables.get(location.env) == {"Ref": location.template_name}, f"{function} lacks {location.env}"
    if location.existing:
        assert location.parameter in TEMPLATE["Parameters"]
        assert location.parameter not in RESOURCES, "an existing store is not created by the template"
    else:
        assert RESOURCES[location.template_name]["Type"] in ("AWS::DynamoDB::Table", "AWS::S3::Bucket")


@pytest.mark.parametrize("store", DATAMAP.located, ids=lambda s: s.name)
def test_fulfilment_may_read_and_erase_every_store(store: Store):
    granted = _policy_text("FulfilmentFunction")
    name = store.location.template_name
    assert name in granted, f"fulfilment has no grant on {store.name}"


@pytest.mark.parametrize("store", [s for s in DATAMAP.stores if s.kind == "dynamodb"], ids=lambda s: s.name)
def test_the_sweep_may_query_every_tables_expiry_index(store: Store):
    granted = _policy_text("RetentionSweepFunction")
    name = store.location.template_name
    index = f"${{{name}.Arn}}/index/by_expiry" if store.location.resource else f"table/${{{name}}}/index/by_expiry"
    assert index in granted


@pytest.mark.parametrize(
    "store", [s for s in DATAMAP.stores if s.kind == "dynamodb" and s.owner_lookup], ids=lambda s: s.name
)
def test_legal_holds_may_switch_the_expiry_of_every_owned_store(store: Store):
    assert store.location.template_name in _policy_text("AdminApiFunction")


@pytest.mark.parametrize("store", [s for s in DATAMAP.stores if s.table and s.table.resource], ids=lambda s: s.name)
def test_every_table_the_template_creates_streams_its_ttl_deletions_to_the_accounting_function(store: Store):
    streams = [
        event["Properties"]["Stream"]
        for event in RESOURCES["RetentionTtlAccountingFunction"]["Properties"]["Events"].values()
        if event["Type"] == "DynamoDB"
    ]
    assert {"Fn::GetAtt": [store.location.template_name, "StreamArn"]} in streams


# ------------------------------------------------------------------ TTL streams, created or existing tables
TTL_EVENTS = RESOURCES["RetentionTtlAccountingFunction"]["Properties"]["Events"]


def _parsed(text: str) -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse

    parsed: dict[str, Any] = yaml_parse(text)
    return parsed


def _existing_recordings() -> dict[str, Any]:
    """The template rewired for a newcomer's existing table `call_recordings` (parameter CallRecordingsTable)."""
    added = _with_store(table={"env": "CALL_RECORDINGS_TABLE", "parameter": "CallRecordingsTable"})
    return _parsed(datamap_wiring.apply(TEXT, added))


def test_an_existing_table_with_retention_gets_a_stream_parameter_condition_mapping_and_grant():
    template = _existing_recordings()
    parameter = template["Parameters"]["CallRecordingsTableStreamArn"]
    assert parameter["Default"] == ""
    assert "not audited" in parameter["Description"]
    condition = template["Conditions"]["CallRecordingsTableStreamGiven"]
    assert condition == {"Fn::Not": [{"Fn::Equals": [{"Ref": "CallRecordingsTableStreamArn"}, ""]}]}
    mapping = template["Resources"]["RetentionTtlAccountingFunctionCallRecordingsTtl"]
    assert mapping["Type"] == "AWS::Lambda::EventSourceMapping"
    assert mapping["Condition"] == "CallRecordingsTableStreamGiven"
    assert mapping["Properties"]["FunctionName"] == {"Ref": "RetentionTtlAccountingFunction"}
    assert mapping["Properties"]["EventSourceArn"] == {"Ref": "CallRecordingsTableStreamArn"}
    grant = template["Resources"]["CallRecordingsTableStreamGrant"]
    assert grant["Condition"] == "CallRecordingsTableStreamGiven"
    assert mapping["DependsOn"] == "CallRecordingsTableStreamGrant"
    assert grant["Properties"]["Roles"] == [{"Ref": "RetentionTtlAccountingFunctionRole"}]
    read, listing, dead_letters = grant["Properties"]["PolicyDocument"]["Statement"]
    assert sorted(read["Action"]) == ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
    assert read["Resource"] == [{"Ref": "CallRecordingsTableStreamArn"}], "exactly that stream, nothing else"
    assert listing["Action"] == ["dynamodb:ListStreams"]
    stream = "arn:aws:dynamodb:ap-southeast-1:123456789012:table/recordings/stream/2026-12-02T00:00:00.000"
    resolver = sam_template.Resolver({}, {}, {"CallRecordingsTableStreamArn": stream}, "ap-southeast-1", "123456789012")
    (table_streams,) = listing["Resource"]
    assert (
        resolver.resolve(table_streams) == "arn:aws:dynamodb:ap-southeast-1:123456789012:table/recordings/stream/*"
    ), "ListStreams names no stream: it is granted on that table's streams only"
    assert dead_letters == {
        "Sid": "SendTtlStreamFailures",
        "Effect": "Allow",
        "Action": ["sqs:SendMessage"],
        "Resource": [{"Fn::GetAtt": ["RetentionDeadLetterQueue", "Arn"]}],
    }


def test_an_existing_tables_mapping_has_the_settings_of_a_created_tables_ttl_event():
    mapping = copy.deepcopy(RESOURCES["RetentionTtlAccountingFunctionSupportTicketsTtl"]["Properties"])
    event = copy.deepcopy(TTL_EVENTS["AccountsTtl"]["Properties"])
    assert mapping.pop("EventSourceArn") == {"Ref": "SupportTicketsTableStreamArn"}
    assert event.pop("Stream") == {"Fn::GetAtt": ["AccountsTable", "StreamArn"]}
    assert mapping.pop("FunctionName") == {"Ref": "RetentionTtlAccountingFunction"}
    # SAM's event names the destination's type; a plain mapping infers it from the ARN
    assert event["DestinationConfig"]["OnFailure"].pop("Type") == "SQS"
    assert mapping == event


def test_an_existing_tables_stream_is_read_only_when_its_arn_is_given():
    assert not _resolver().condition("SupportTicketsTableStreamGiven"), "the default deploys no mapping"
    stream = "arn:aws:dynamodb:ap-southeast-1:123456789012:table/tickets/stream/2026-12-01T00:00:00.000"
    assert _resolver(SupportTicketsTableStreamArn=stream).condition("SupportTicketsTableStreamGiven")


@pytest.mark.parametrize(
    ("arn", "accepted"),
    [
        ("", True),
        ("arn:aws:dynamodb:ap-southeast-1:123456789012:table/tickets/stream/2026-12-01T00:00:00.000", True),
        ("arn:aws:dynamodb:ap-southeast-1:123456789012:table/tickets", False),  # the table's, not its stream's
        ("tickets", False),
    ],
)
def test_an_existing_tables_stream_parameter_takes_only_a_stream_arn(arn: str, accepted: bool):
    pattern = TEMPLATE["Parameters"]["SupportTicketsTableStreamArn"]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, arn)) is accepted


def test_a_created_table_with_retention_gets_its_ttl_event_written_by_the_generator():
    added = _with_store(table={"env": "CALL_RECORDINGS_TABLE", "resource": "CallRecordingsTable"})
    event = _parsed(datamap_wiring.apply(TEXT, added))["Resources"]["RetentionTtlAccountingFunction"]
    recordings = event["Properties"]["Events"]["CallRecordingsTtl"]
    assert recordings["Properties"]["Stream"] == {"Fn::GetAtt": ["CallRecordingsTable", "StreamArn"]}
    assert {**recordings["Properties"], "Stream": None} == {**TTL_EVENTS["AccountsTtl"]["Properties"], "Stream": None}


@pytest.mark.parametrize("location", ["parameter", "resource"])
def test_a_table_without_a_retention_period_gets_no_ttl_stream(location: str):
    kept = {**DATAMAP.store("technical_events").retention.model_dump(), "period_days": None}
    added = _with_store(table={"env": "CALL_RECORDINGS_TABLE", location: "CallRecordingsTable"}, retention=kept)
    template = _parsed(datamap_wiring.apply(TEXT, added))
    assert "CallRecordingsTableStreamArn" not in template["Parameters"]
    assert "CallRecordingsTableStreamGiven" not in template.get("Conditions", {})
    assert "RetentionTtlAccountingFunctionCallRecordingsTtl" not in template["Resources"]
    assert "CallRecordingsTableStreamGrant" not in template["Resources"]
    assert "CallRecordingsTtl" not in template["Resources"]["RetentionTtlAccountingFunction"]["Properties"]["Events"]


def test_reference_models_read_the_variable_the_data_map_names(monkeypatch: pytest.MonkeyPatch):
    from privacydesk.datamap.adapters.reference_stores import STORE_OF_MODEL
    from privacydesk.kernel.dynamo import bind_tables

    for store_name in STORE_OF_MODEL.values():
        monkeypatch.setenv(DATAMAP.store(store_name).location.env, f"probe-{store_name}")
    try:
        bind_tables()
        assert {model.Meta.table_name for model in STORE_OF_MODEL} == {f"probe-{n}" for n in STORE_OF_MODEL.values()}
    finally:
        monkeypatch.undo()
        bind_tables()


def test_an_unset_store_variable_is_named_in_a_clear_error(monkeypatch: pytest.MonkeyPatch):
    store = DATAMAP.store("support_tickets")
    monkeypatch.delenv(store.location.env, raising=False)
    with pytest.raises(StoreMisconfigured) as error:
        physical_name(store)
    assert error.value.store == "support_tickets"
    assert "SUPPORT_TICKETS_TABLE is not set" in str(error.value)


def test_an_existing_store_may_be_named_by_arn():
    assert name_from_arn("arn:aws:dynamodb:ap-southeast-1:123456789012:table/tickets") == "tickets"
    assert name_from_arn("arn:aws:s3:::support-files") == "support-files"
    assert name_from_arn("tickets") == "tickets"


def _description(keys: list[str], indexes: dict[str, str]) -> dict[str, Any]:
    return {
        "KeySchema": [{"AttributeName": k, "KeyType": t} for k, t in zip(keys, ["HASH", "RANGE"], strict=False)],
        "GlobalSecondaryIndexes": [
            {"IndexName": name, "KeySchema": [{"AttributeName": attribute, "KeyType": "HASH"}]}
            for name, attribute in indexes.items()
        ],
    }


def test_a_table_shaped_as_the_data_map_says_has_no_problems():
    store = DATAMAP.store("support_tickets")
    assert shape_problems(store, _description(["ticket_id"], {"by_account": "account_id", "by_email": "email"})) == []


def test_a_missing_lookup_index_is_named():
    store = DATAMAP.store("support_tickets")
    problems = shape_problems(store, _description(["ticket_id"], {"by_account": "account_id"}))
    assert problems == ["the email lookup's index by_email does not exist"]


def test_a_wrong_key_schema_is_named():
    store = DATAMAP.store("support_tickets")
    problems = shape_problems(store, _description(["id"], {"by_account": "account_id", "by_email": "mail"}))
    assert problems == [
        "its key is ['id'], the data map says ['ticket_id']",
        "index by_email is keyed by mail, not email",
    ]


def test_a_store_that_names_no_table_is_refused_by_the_data_map():
    base = DATAMAP.store("technical_events").model_dump()
    with pytest.raises(ValueError, match="needs table and key_attributes"):
        Store.model_validate({**base, "table": None})


def test_a_linked_object_must_name_an_s3_store_of_the_data_map():
    accounts = DATAMAP.store("accounts").model_dump()
    accounts["linked_objects"] = [{"bucket_store": "nowhere", "prefix": "x/{account_id}/"}]
    with pytest.raises(ValueError, match="linked objects name no s3 store"):
        DataMap.model_validate({"version": "t", "stores": [accounts]})


# ------------------------------------------------------------------ webhook stores, one wiring each
SHIPPED = datamap_wiring.shipped()


def _resolver(**parameters: str) -> sam_template.Resolver:
    values = {**sam_template.parameter_defaults(), **parameters}
    return sam_template.Resolver({}, {}, values, "ap-southeast-1", "123456789012")


def _webhook(name: str, parameter: str, env: str = "CRM_SERVICE") -> dict[str, Any]:
    base = SHIPPED["datamap.services.yaml"].store("billing_service").model_dump(exclude_none=True)
    return {**base, "name": name, "service": {"env": env, "parameter": parameter}}


def test_the_default_data_map_creates_no_signing_secret_and_grants_no_secret():
    resolver = _resolver()
    assert not resolver.condition("CreatesBillingServiceSigningSecret")
    assert not resolver.condition("BillingServiceInDataMap")
    assert RESOURCES["BillingServiceSigningSecret"]["Condition"] == "CreatesBillingServiceSigningSecret"
    assert RESOURCES["BillingServiceSigningKeysGrant"]["Condition"] == "BillingServiceInDataMap"
    hand_written = [
        logical_id
        for logical_id, resource in RESOURCES.items()
        if resource["Type"] == "AWS::SecretsManager::Secret" and "Condition" not in resource
    ]
    assert hand_written == [], "every secret follows the data map"


def test_a_data_map_with_a_webhook_store_creates_its_secret_unless_one_is_given():
    assert _resolver(DataMapFile="datamap.services.yaml").condition("CreatesBillingServiceSigningSecret")
    given = _resolver(DataMapFile="datamap.services.yaml", BillingServiceSigningSecretArn="arn:aws:secretsmanager:x")
    assert not given.condition("CreatesBillingServiceSigningSecret")
    assert given.condition("BillingServiceInDataMap")  # the grant then names the given ARN


@pytest.mark.parametrize("function", ["FulfilmentFunction", "PublicApiFunction"])
def test_the_functions_that_call_or_check_a_webhook_store_get_its_url_and_secret_id(function: str):
    variables = FUNCTIONS[function].environment
    assert variables["BILLING_SERVICE_URL"] == {"Ref": "BillingServiceUrl"}
    assert variables["BILLING_SERVICE_SECRET_ID"]["Fn::If"][0] == "BillingServiceSigningSecretGiven"
    assert variables["DATAMAP_FILE"] == {"Ref": "DataMapFile"}


def test_two_webhook_stores_get_two_urls_two_secrets_and_two_grants():
    services = SHIPPED["datamap.services.yaml"]
    second = Store.model_validate(_webhook("crm_service", "CrmService"))
    both = {**SHIPPED, "datamap.services.yaml": services.model_copy(update={"stores": [*services.stores, second]})}
    rewired = datamap_wiring.apply(TEXT, both)
    for parameter, env in (("BillingService", "BILLING_SERVICE"), ("CrmService", "CRM_SERVICE")):
        assert f"  {parameter}Url:\n    Type: String" in rewired
        assert f"  {parameter}SigningSecret: #" in rewired
        assert f"  {parameter}SigningKeysGrant: #" in rewired
        assert f"{env}_URL: !Ref {parameter}Url" in rewired
        assert f"{env}_SECRET_ID: !If [{parameter}SigningSecretGiven" in rewired
    assert "${AWS::StackName}-webhook-crm-service" in rewired


def test_two_webhook_stores_may_not_share_a_parameter():
    services = SHIPPED["datamap.services.yaml"]
    twin = Store.model_validate(
        {**_webhook("crm_service", "BillingService"), "service": {"env": "CRM", "parameter": "BillingService"}}
    )
    with pytest.raises(ValueError, match="its own parameter"):
        DataMap.model_validate(
            {"version": "t", "stores": [*(s.model_dump() for s in services.stores), twin.model_dump()]}
        )


def test_a_webhook_store_without_its_service_is_refused_by_the_data_map():
    base = _webhook("crm_service", "CrmService")
    del base["service"]
    with pytest.raises(ValueError, match="names its service"):
        Store.model_validate(base)


def test_an_unset_webhook_secret_variable_is_named_in_a_clear_error(monkeypatch: pytest.MonkeyPatch):
    from privacydesk.datamap.adapters.locations import service_secret_id

    store = SHIPPED["datamap.services.yaml"].store("billing_service")
    monkeypatch.delenv("BILLING_SERVICE_SECRET_ID", raising=False)
    with pytest.raises(StoreMisconfigured, match="BILLING_SERVICE_SECRET_ID is not set"):
        service_secret_id(store)


def test_the_services_data_map_extends_the_default_one_with_a_webhook_and_a_manual_store():
    default, services = SHIPPED["datamap.yaml"], SHIPPED["datamap.services.yaml"]
    assert [s.name for s in services.stores] == [*(s.name for s in default.stores), "billing_service", "paper_archive"]
    assert services.processors == default.processors
    assert not [s for s in default.stores if s.external], "the default data map waits for no service or DPO"


def test_parameter_overrides_are_checked_like_sam_deploy_checks_them():
    from local.provision import ParameterError, parse_parameter_overrides

    assert parse_parameter_overrides(
        ["DataMapFile=datamap.services.yaml", "BillingServiceUrl='http://127.0.0.1:9'"]
    ) == {
        "DataMapFile": "datamap.services.yaml",
        "BillingServiceUrl": "http://127.0.0.1:9",
    }
    with pytest.raises(ParameterError, match=re.escape("allowed values are datamap.yaml, datamap.services.yaml")):
        parse_parameter_overrides(["DataMapFile=datamap.prod.yaml"])
    with pytest.raises(ParameterError, match=re.escape("NoSuchParameter: template.yaml has no such parameter")):
        parse_parameter_overrides(["NoSuchParameter=1"])
    with pytest.raises(ParameterError, match="Key=Value"):
        parse_parameter_overrides(["DataMapFile"])


def test_a_data_map_is_read_only_from_the_layer_by_a_data_map_file_name():
    from privacydesk.datamap.domain.model import load_datamap_file

    with pytest.raises(ValueError, match="is not a data-map file name"):
        load_datamap_file("../../etc/datamap.yaml")


@pytest.mark.parametrize("function", STORE_FUNCTIONS)
def test_an_existing_stores_grants_are_the_same_whether_its_parameter_names_it_or_gives_its_arn(function: str):
    """The parameters take a name or an ARN (README, adding a store): both give the same grants."""
    from local.iam_policy import resolve_deep

    def resolver(**parameters: str) -> sam_template.Resolver:
        physical = {logical_id: f"physical-{logical_id}" for logical_id in RESOURCES}
        attributes = {logical_id: {"Arn": f"arn:test:{logical_id}"} for logical_id in RESOURCES}
        values = {**sam_template.parameter_defaults(), **parameters}
        return sam_template.Resolver(physical, attributes, values, "ap-southeast-1", "123456789012")

    by_name = resolver(SupportTicketsTable="tickets", SupportAttachmentsBucket="support-files")
    by_arn = resolver(
        SupportTicketsTable="arn:aws:dynamodb:ap-southeast-1:123456789012:table/tickets",
        SupportAttachmentsBucket="arn:aws:s3:::support-files",
    )
    policies = [
        resource["Properties"]["PolicyDocument"]
        for resource in RESOURCES.values()
        if resource["Type"] == "AWS::IAM::Policy"
        and {"Ref": f"{function}Role"} in resource["Properties"]["Roles"]
        and ("Condition" not in resource or by_name.condition(resource["Condition"]))  # created with these values
    ]
    named, given = resolve_deep(by_name, policies), resolve_deep(by_arn, policies)
    assert named == given
    resources = str(named)
    if function in ("FulfilmentFunction", "RetentionSweepFunction"):
        assert "arn:aws:dynamodb:ap-southeast-1:123456789012:table/tickets" in resources
    assert "table/arn:" not in resources
    assert ":::arn:" not in resources


# ------------------------------------------------------------------ an existing store's own KMS key
KEY = "arn:aws:kms:ap-southeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
STREAM = "arn:aws:dynamodb:ap-southeast-1:123456789012:table/tickets/stream/2026-12-02T00:00:00.000"
WRITES_ITEMS = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]


def _key_statements(function: str, **parameters: str) -> list[dict[str, Any]]:
    """The statements on a store's own key that this function's role gets when deployed with these
    parameters (only the policies whose condition holds are created), resolved as AWS would."""
    from local.iam_policy import resolve_deep

    physical = {logical_id: f"physical-{logical_id}" for logical_id in RESOURCES}
    attributes = {logical_id: {"Arn": f"arn:test:{logical_id}"} for logical_id in RESOURCES}
    values = {**sam_template.parameter_defaults(), **parameters}
    resolver = sam_template.Resolver(physical, attributes, values, "ap-southeast-1", "123456789012")
    documents = [
        resource["Properties"]["PolicyDocument"]
        for resource in RESOURCES.values()
        if resource["Type"] == "AWS::IAM::Policy"
        and {"Ref": f"{function}Role"} in resource["Properties"]["Roles"]
        and ("Condition" not in resource or resolver.condition(resource["Condition"]))
    ]
    return [
        statement
        for document in resolve_deep(resolver, documents)
        for statement in document["Statement"]
        if any(action.startswith("kms:") for action in statement["Action"])
    ]


def test_an_existing_store_gets_a_key_parameter_that_is_empty_unless_its_own_key_is_given():
    for parameter in ("SupportTicketsTableKmsKeyArn", "SupportAttachmentsBucketKmsKeyArn"):
        declared = TEMPLATE["Parameters"][parameter]
        assert declared["Default"] == ""
        assert "customer-managed KMS key" in declared["Description"]
        assert "AWS-owned or AWS-managed" in declared["Description"]
    assert not _resolver().condition("SupportTicketsTableKmsKeyGiven")
    assert _resolver(SupportTicketsTableKmsKeyArn=KEY).condition("SupportTicketsTableKmsKeyGiven")
    assert not _resolver(SupportTicketsTableKmsKeyArn=KEY).condition("SupportAttachmentsBucketKmsKeyGiven")


@pytest.mark.parametrize(
    ("arn", "accepted"),
    [
        ("", True),
        (KEY, True),
        ("arn:aws:kms:ap-southeast-1:123456789012:alias/tickets", False),  # IAM grants key use on the key's ARN
        ("1234abcd-12ab-34cd-56ef-1234567890ab", False),
        ("arn:aws:dynamodb:ap-southeast-1:123456789012:table/tickets", False),
    ],
)
def test_a_key_parameter_takes_only_a_key_arn(arn: str, accepted: bool):
    pattern = TEMPLATE["Parameters"]["SupportTicketsTableKmsKeyArn"]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, arn)) is accepted


@pytest.mark.parametrize("function", [*STORE_FUNCTIONS, "PublicApiFunction", "RequestOutboxFunction"])
def test_without_a_key_arn_no_function_may_use_a_stores_own_key(function: str):
    assert [
        s for s in _key_statements(function, SupportTicketsTableStreamArn=STREAM) if s["Sid"] == "UseStoreKey"
    ] == []


@pytest.mark.parametrize(
    ("function", "actions"),
    [
        ("FulfilmentFunction", WRITES_ITEMS),  # finds, erases, corrects
        ("RetentionSweepFunction", WRITES_ITEMS),  # batch-deletes, switches expiry
        ("AdminApiFunction", WRITES_ITEMS),  # legal holds switch the expiry of the owner's items
    ],
)
def test_each_function_that_reaches_an_existing_table_may_use_exactly_its_key_through_dynamodb(
    function: str, actions: list[str]
):
    (statement,) = _key_statements(function, SupportTicketsTableKmsKeyArn=KEY)
    assert statement["Action"] == actions
    assert statement["Resource"] == [KEY], "that key and no other"
    assert statement["Condition"] == {"StringEquals": {"kms:ViaService": "dynamodb.ap-southeast-1.amazonaws.com"}}


def test_fulfilment_may_decrypt_an_existing_buckets_objects_with_its_key_through_s3_and_nothing_more():
    (statement,) = _key_statements("FulfilmentFunction", SupportAttachmentsBucketKmsKeyArn=KEY)
    assert statement["Action"] == ["kms:Decrypt"], "it reads and deletes objects, never uploads one"
    assert statement["Resource"] == [KEY]
    assert statement["Condition"] == {"StringEquals": {"kms:ViaService": "s3.ap-southeast-1.amazonaws.com"}}


@pytest.mark.parametrize("function", ["RetentionSweepFunction", "AdminApiFunction", "RetentionTtlAccountingFunction"])
def test_a_function_that_never_reads_an_existing_buckets_objects_gets_no_use_of_its_key(function: str):
    assert _key_statements(function, SupportAttachmentsBucketKmsKeyArn=KEY) == []


def test_the_ttl_stream_poller_may_decrypt_with_the_tables_key_only_when_the_stream_is_read():
    assert _key_statements("RetentionTtlAccountingFunction", SupportTicketsTableKmsKeyArn=KEY) == []
    given = {"SupportTicketsTableKmsKeyArn": KEY, "SupportTicketsTableStreamArn": STREAM}
    statements = _key_statements("RetentionTtlAccountingFunction", **given)
    (statement,) = [s for s in statements if s["Sid"] == "UseStoreKey"]
    assert statement["Action"] == ["kms:Decrypt"], "it reads the stream's records, writes nothing there"
    assert statement["Resource"] == [KEY]


def test_no_other_function_may_use_a_stores_own_key():
    given = {
        "SupportTicketsTableKmsKeyArn": KEY,
        "SupportAttachmentsBucketKmsKeyArn": KEY,
        "SupportTicketsTableStreamArn": STREAM,
    }
    users = {
        function for function in FUNCTIONS if any(s["Sid"] == "UseStoreKey" for s in _key_statements(function, **given))
    }
    assert users == set(STORE_FUNCTIONS)


def test_a_newcomers_existing_table_gets_its_key_parameter_and_grants_from_the_data_map():
    template = _existing_recordings()
    assert template["Parameters"]["CallRecordingsTableKmsKeyArn"]["Default"] == ""
    assert template["Conditions"]["CallRecordingsTableKmsKeyGiven"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "CallRecordingsTableKmsKeyArn"}, ""]}]
    }
    for purpose, function in (
        ("Fulfilment", "FulfilmentFunction"),
        ("RetentionSweep", "RetentionSweepFunction"),
        ("LegalHold", "AdminApiFunction"),
        ("TtlStream", "RetentionTtlAccountingFunction"),
    ):
        grant = template["Resources"][f"CallRecordingsTableKey{purpose}Grant"]
        assert grant["Properties"]["Roles"] == [{"Ref": f"{function}Role"}]
        (statement,) = grant["Properties"]["PolicyDocument"]["Statement"]
        assert statement["Resource"] == [{"Ref": "CallRecordingsTableKmsKeyArn"}]
    assert template["Resources"]["CallRecordingsTableKeyTtlStreamGrant"]["Condition"] == (
        "CallRecordingsTableStreamKmsKeyGiven"
    )


def test_a_table_fulfilment_only_reads_gets_only_decrypt_from_fulfilment():
    kept = {"method": "keep", "reason": "accounting records the law keeps"}
    added = _with_store(table={"env": "CALL_RECORDINGS_TABLE", "parameter": "CallRecordingsTable"}, erasure=kept)
    template = _parsed(datamap_wiring.apply(TEXT, added))
    (statement,) = template["Resources"]["CallRecordingsTableKeyFulfilmentGrant"]["Properties"]["PolicyDocument"][
        "Statement"
    ]
    assert statement["Action"] == ["kms:Decrypt"], "no erasure and no correctable field: fulfilment only reads it"


def test_the_stand_in_refuses_a_key_override_that_is_not_a_key_arn_as_sam_deploy_does():
    from local.provision import ParameterError, parse_parameter_overrides

    assert parse_parameter_overrides([f"SupportTicketsTableKmsKeyArn={KEY}"]) == {"SupportTicketsTableKmsKeyArn": KEY}
    with pytest.raises(ParameterError, match="not an alias"):
        parse_parameter_overrides(["SupportTicketsTableKmsKeyArn=arn:aws:kms:ap-southeast-1:123456789012:alias/t"])
