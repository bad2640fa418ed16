"""Read ``infra/template.yaml``, resolve its intrinsic functions for given parameters, and
build the template's event path (bucket -> EventBridge rule -> queue + DLQ) in moto.

Test tooling (the tests, the soak run and the benchmark use it); needs cfn-lint (a test
dependency) and a checkout (the template is not shipped in the wheel). Just enough of
CloudFormation: ``Ref`` (parameters - a ``CommaDelimitedList`` as a list -, pseudo
parameters, resources -> their physical name from ``physical``), ``Fn::If`` with
``Fn::Equals``/``Fn::Not``/``Fn::And``/``Fn::Or`` conditions, ``Fn::Sub``, ``Fn::Join``,
``Fn::Split``, ``Fn::Select``, ``Fn::Base64``, ``Fn::GetAtt`` (from ``physical``) and
``AWS::NoValue``.
Anything else raises, so a template change the tests cannot follow is noticed.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "template.yaml"
REGION = "us-east-1"
_NO_VALUE = object()


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template as plain dicts, intrinsics in their long form (``{"Ref": ...}``); a
    fresh copy on every call (decoding it once per process)."""
    loaded: dict[str, Any] = json.loads(_decoded(path))
    return loaded


@functools.cache
def _decoded(path: Path) -> str:
    from cfnlint.decode import decode  # type: ignore[import-untyped]

    template, problems = decode(str(path))
    if problems:
        raise ValueError(f"{path}: {problems}")
    return json.dumps(template)  # cfn-lint's nodes -> plain JSON


class Resolver:
    def __init__(
        self,
        template: dict[str, Any],
        parameters: dict[str, Any] | None = None,
        physical: dict[str, Any] | None = None,
    ) -> None:
        self.template = template
        specs = template.get("Parameters", {})
        self.parameters = {name: spec.get("Default") for name, spec in specs.items()}
        self.parameters.update(parameters or {})
        for name, value in self.parameters.items():
            if specs.get(name, {}).get("Type") == "CommaDelimitedList" and isinstance(value, str):
                self.parameters[name] = value.split(",")
        self.physical = physical or {}
        self.pseudo = {
            "AWS::AccountId": "123456789012",
            "AWS::Region": "us-east-1",
            "AWS::Partition": "aws",
            "AWS::StackName": "s3logs",
            "AWS::URLSuffix": "amazonaws.com",
        }

    def condition(self, name: str) -> bool:
        return bool(self._condition(self.template["Conditions"][name]))

    def _condition(self, node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            ((fn, args),) = node.items()
            if fn == "Fn::Equals":
                left, right = (self.resolve(a) for a in args)
                return left == right
            if fn == "Fn::Not":
                return not self._condition(args[0])
            if fn == "Fn::And":
                return all(self._condition(a) for a in args)
            if fn == "Fn::Or":
                return any(self._condition(a) for a in args)
            if fn == "Condition":
                return self.condition(args)
        return self.resolve(node)

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.physical:
            return self.physical[name]
        raise KeyError(f"Ref {name}: give its physical value")

    def _sub(self, text: str, extra: dict[str, Any]) -> str:
        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in extra:
                return str(extra[name])
            if "." in name:
                return str(self.physical[name])
            return str(self._ref(name))

        substituted = re.sub(r"\$\{([^}!][^}]*)\}", one, text)
        return substituted.replace("${!", "${")  # ${!x} is a literal ${x}

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            items = [self.resolve(n) for n in node]
            return [i for i in items if i is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((fn, args),) = node.items()
            if fn == "Ref":
                return self._ref(args)
            if fn == "Fn::If":
                name, yes, no = args
                return self.resolve(yes if self.condition(name) else no)
            if fn == "Fn::Sub":
                if isinstance(args, str):
                    return self._sub(args, {})
                text, extra = args
                return self._sub(text, {k: self.resolve(v) for k, v in extra.items()})
            if fn == "Fn::Join":
                separator, items = args
                return separator.join(str(i) for i in self.resolve(items))
            if fn == "Fn::Split":
                separator, text = args
                return str(self.resolve(text)).split(separator)
            if fn == "Fn::Select":
                index, items = args
                return self.resolve(items)[int(self.resolve(index))]
            if fn == "Fn::Base64":
                import base64

                return base64.b64encode(str(self.resolve(args)).encode()).decode()
            if fn == "Fn::GetAtt":
                name = ".".join(args) if isinstance(args, list) else args
                return self.physical[name]
            if fn.startswith("Fn::"):
                raise NotImplementedError(fn)
        out = {}
        for key, value in node.items():
            resolved = self.resolve(value)
            if resolved is not _NO_VALUE:
                out[key] = resolved
        return out


def rule_pattern(
    bucket: str, partition_root: str = "PartitionedLogs/", compacted_root: str = "CompactedLogs/"
) -> dict[str, Any]:
    """The EventBridge rule's event pattern from ``infra/template.yaml``, resolved for an
    existing bucket ``bucket``, ``partition_root`` and ``compacted_root``."""
    template = load_template()
    resolver = Resolver(
        template,
        {
            "ExistingLogBucketName": bucket,
            "PartitionRoot": partition_root,
            "CompactedRoot": compacted_root,
        },
    )
    pattern: dict[str, Any] = resolver.resolve(
        template["Resources"]["ObjectCreatedRule"]["Properties"]["EventPattern"]
    )
    return pattern


def template_max_receive_count() -> int:
    queue = load_template()["Resources"]["MoveQueue"]["Properties"]
    return int(queue["RedrivePolicy"]["maxReceiveCount"])


def build_pipeline(bucket: str, partition_root: str = "PartitionedLogs/") -> dict[str, str]:
    """In moto: ``bucket`` with EventBridge notifications, the template's rule, the queue
    and its DLQ (the template's maxReceiveCount). Returns the queue URLs."""
    import boto3

    s3 = boto3.client("s3", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    events = boto3.client("events", region_name=REGION)
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    dlq_url = sqs.create_queue(QueueName="mover-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": template_max_receive_count()}
    queue_url = sqs.create_queue(
        QueueName="mover", Attributes={"RedrivePolicy": json.dumps(redrive)}
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    events.put_rule(
        Name="object-created", EventPattern=json.dumps(rule_pattern(bucket, partition_root))
    )
    events.put_targets(Rule="object-created", Targets=[{"Id": "queue", "Arn": queue_arn}])
    return {"queue": queue_url, "dlq": dlq_url}
