"""boto3 works against the twin for every service the product and its tests use (moto behind the front)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from botocore.exceptions import ClientError

from emulator.readiness import create_function_and_wait_until_active, create_table_and_wait_until_active

pytestmark = pytest.mark.twin

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def test_ec2_launches_and_describes_an_instance(aws):
    ec2 = aws.client("ec2")
    image_id = ec2.describe_images()["Images"][0]["ImageId"]
    instance_id = ec2.run_instances(ImageId=image_id, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]

    described = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]

    assert described["InstanceId"] == instance_id
    assert described["ImageId"] == image_id


def test_ec2_unknown_instance_is_not_found(aws):
    with pytest.raises(ClientError) as raised:
        aws.client("ec2").describe_instances(InstanceIds=["i-0123456789abcdef0"])
    assert raised.value.response["Error"]["Code"] == "InvalidInstanceID.NotFound"


def test_sns_delivers_a_published_message_to_an_sqs_subscriber(aws):
    sns, sqs = aws.client("sns"), aws.client("sqs")
    topic_arn = sns.create_topic(Name="twin-services-topic")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="twin-services-queue")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})

    sns.publish(TopicArn=topic_arn, Message=json.dumps({"outcome": "success"}))

    messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    assert json.loads(messages[0]["Body"]) == {"outcome": "success"}


def test_iam_role_and_sts_identity(aws):
    iam = aws.client("iam")
    trust = LAMBDA_TRUST
    role = iam.create_role(RoleName="twin-services-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]

    assert role["Arn"] == "arn:aws:iam::123456789012:role/twin-services-role"
    assert aws.client("sts").get_caller_identity()["Account"] == "123456789012"


def _zipped_handler() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return {'statusCode': 200}\n")
    return buffer.getvalue()


def test_lambda_function_is_created_from_a_zip(aws):
    iam = aws.client("iam")
    trust = LAMBDA_TRUST
    role_arn = iam.create_role(RoleName="twin-lambda-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    awslambda = aws.client("lambda")

    created = create_function_and_wait_until_active(
        awslambda,
        FunctionName="twin-services-function",
        Runtime="python3.11",
        Role=role_arn,
        Handler="handler.handler",
        Code={"ZipFile": _zipped_handler()},
    )

    assert created["FunctionName"] == "twin-services-function"
    configuration = awslambda.get_function(FunctionName="twin-services-function")["Configuration"]
    assert configuration["Handler"] == "handler.handler"


def test_dynamodb_stores_and_reads_an_item(aws):
    dynamodb = aws.client("dynamodb")
    create_table_and_wait_until_active(
        dynamodb,
        TableName="twin-services-table",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName="twin-services-table", Item={"id": {"S": "alert-1"}, "count": {"N": "2"}})

    item = dynamodb.get_item(TableName="twin-services-table", Key={"id": {"S": "alert-1"}})["Item"]

    assert item["count"] == {"N": "2"}


def test_ssm_parameters_round_trip(aws):
    ssm = aws.client("ssm")
    ssm.put_parameter(Name="/twin/services/setting", Value="on", Type="String")

    assert ssm.get_parameter(Name="/twin/services/setting")["Parameter"]["Value"] == "on"


def test_ssm_command_document_is_stored_without_automation_checks(aws):
    ssm = aws.client("ssm")
    content = {
        "schemaVersion": "2.2",
        "mainSteps": [{"action": "aws:runShellScript", "name": "hello", "inputs": {"runCommand": ["echo hi"]}}],
    }

    ssm.create_document(Name="twin-services-command", Content=json.dumps(content), DocumentType="Command")

    described = ssm.describe_document(Name="twin-services-command")["Document"]
    assert described["DocumentType"] == "Command"
    assert described["Status"] == "Active"
