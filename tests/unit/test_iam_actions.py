"""The IAM action and resource ARN AWS checks for each kind of call PrivacyDesk makes."""

from __future__ import annotations

from local.iam_actions import Need, Place, needs

HERE = Place("aws", "ap-southeast-1", "123456789012")
TABLE = "arn:aws:dynamodb:ap-southeast-1:123456789012:table"


def test_a_single_item_call_needs_its_action_on_the_table():
    assert needs("dynamodb", "UpdateItem", {"TableName": "reviews"}, HERE, "dynamodb") == [
        Need("dynamodb:UpdateItem", f"{TABLE}/reviews")
    ]


def test_a_query_on_an_index_needs_the_index_arn():
    found = needs("dynamodb", "Query", {"TableName": "requests", "IndexName": "by_status"}, HERE, "dynamodb")
    assert found == [Need("dynamodb:Query", f"{TABLE}/requests/index/by_status")]


def test_a_transaction_is_authorised_item_by_item():
    params = {
        "TransactItems": [
            {"Update": {"TableName": "requests"}},
            {"Put": {"TableName": "audit"}},
            {"ConditionCheck": {"TableName": "tokens"}},
        ]
    }
    assert needs("dynamodb", "TransactWriteItems", params, HERE, "dynamodb") == [
        Need("dynamodb:UpdateItem", f"{TABLE}/requests"),
        Need("dynamodb:PutItem", f"{TABLE}/audit"),
        Need("dynamodb:ConditionCheckItem", f"{TABLE}/tokens"),
    ]


def test_a_batch_write_is_authorised_per_table():
    params = {"RequestItems": {"accounts": [], "logs": []}}
    assert needs("dynamodb", "BatchWriteItem", params, HERE, "dynamodb") == [
        Need("dynamodb:BatchWriteItem", f"{TABLE}/accounts"),
        Need("dynamodb:BatchWriteItem", f"{TABLE}/logs"),
    ]


def test_reading_an_object_needs_the_object_arn_and_listing_needs_the_bucket_arn():
    assert needs("s3", "GetObject", {"Bucket": "mail", "Key": "inbound/1"}, HERE, "s3") == [
        Need("s3:GetObject", "arn:aws:s3:::mail/inbound/1")
    ]
    assert needs("s3", "ListObjectsV2", {"Bucket": "mail", "Prefix": "inbound/"}, HERE, "s3") == [
        Need("s3:ListBucket", "arn:aws:s3:::mail")
    ]


def test_versions_are_their_own_actions():
    assert needs("s3", "ListObjectVersions", {"Bucket": "docs"}, HERE, "s3") == [
        Need("s3:ListBucketVersions", "arn:aws:s3:::docs")
    ]
    deleted = {"Bucket": "docs", "Delete": {"Objects": [{"Key": "a", "VersionId": "v1"}, {"Key": "b"}]}}
    assert needs("s3", "DeleteObjects", deleted, HERE, "s3") == [
        Need("s3:DeleteObjectVersion", "arn:aws:s3:::docs/a"),
        Need("s3:DeleteObject", "arn:aws:s3:::docs/b"),
    ]


def test_a_multipart_upload_is_a_put_and_its_abort_is_its_own_action():
    assert needs("s3", "UploadPart", {"Bucket": "x", "Key": "exports/1.zip"}, HERE, "s3") == [
        Need("s3:PutObject", "arn:aws:s3:::x/exports/1.zip")
    ]
    assert needs("s3", "AbortMultipartUpload", {"Bucket": "x", "Key": "exports/1.zip"}, HERE, "s3") == [
        Need("s3:AbortMultipartUpload", "arn:aws:s3:::x/exports/1.zip")
    ]


def test_a_batch_send_to_a_queue_is_a_send_message_on_the_queue():
    url = "http://127.0.0.1:5000/123456789012/notices"
    assert needs("sqs", "SendMessageBatch", {"QueueUrl": url, "Entries": []}, HERE, "sqs") == [
        Need("sqs:SendMessage", "arn:aws:sqs:ap-southeast-1:123456789012:notices")
    ]


def test_put_events_needs_each_bus_named_and_the_default_bus_otherwise():
    params = {"Entries": [{"EventBusName": "privacydesk"}, {"EventBusName": "privacydesk"}, {}]}
    assert needs("eventbridge", "PutEvents", params, HERE, "events") == [
        Need("events:PutEvents", "arn:aws:events:ap-southeast-1:123456789012:event-bus/privacydesk"),
        Need("events:PutEvents", "arn:aws:events:ap-southeast-1:123456789012:event-bus/default"),
    ]


def test_an_email_needs_the_sending_identity_and_its_configuration_set():
    params = {"FromEmailAddress": "PrivacyDesk <privacy@example.com>", "ConfigurationSetName": "notices"}
    assert needs("sesv2", "SendEmail", params, HERE, "ses") == [
        Need("ses:SendEmail", "arn:aws:ses:ap-southeast-1:123456789012:identity/example.com"),
        Need("ses:SendEmail", "arn:aws:ses:ap-southeast-1:123456789012:configuration-set/notices"),
    ]


def test_a_text_to_a_phone_has_no_resource_and_a_topic_publish_has_the_topic():
    assert needs("sns", "Publish", {"PhoneNumber": "+15550100", "Message": "x"}, HERE, "sns") == [
        Need("sns:Publish", "*")
    ]
    topic = "arn:aws:sns:ap-southeast-1:123456789012:alarms"
    assert needs("sns", "Publish", {"TopicArn": topic, "Message": "x"}, HERE, "sns") == [Need("sns:Publish", topic)]


def test_invoking_a_function_by_name_needs_invoke_function_on_its_arn():
    assert needs("lambda", "Invoke", {"FunctionName": "sweep"}, HERE, "lambda") == [
        Need("lambda:InvokeFunction", "arn:aws:lambda:ap-southeast-1:123456789012:function:sweep")
    ]


def test_a_call_nobody_mapped_needs_a_grant_on_everything():
    assert needs("cloudwatch", "PutMetricData", {"Namespace": "x"}, HERE, "monitoring") == [
        Need("monitoring:PutMetricData", "*")
    ]


def test_asking_who_one_is_needs_no_permission():
    assert needs("sts", "GetCallerIdentity", {}, HERE, "sts") == []


def test_reading_a_secret_by_name_needs_its_arn_with_the_random_suffix_a_wildcard_covers():
    found = needs("secrets-manager", "GetSecretValue", {"SecretId": "privacydesk/processors/x"}, HERE, "secretsmanager")
    arn = "arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:privacydesk/processors/x-??????"
    assert found == [Need("secretsmanager:GetSecretValue", arn)]
