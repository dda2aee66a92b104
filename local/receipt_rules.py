"""What moto's CloudFormation drops for email receiving, applied through the service APIs.

- AWS::SES::ReceiptRuleSet / ReceiptRule: created with SES v1 (moto stores them; it never
  receives mail, which local/smtp.py plays instead);
- AWS::Lambda::Permission: added to the function's policy.
Each gets its physical id in the stack, as CloudFormation would give it.
"""

from __future__ import annotations

from typing import Any

from local import sam_template


def apply(stack: Any, client: Any, resolve_deep: Any) -> None:
    resources = sam_template.load()["Resources"]
    resolver = stack.resolver()
    ordered = sorted(
        ((logical_id, r) for logical_id, r in resources.items() if logical_id not in stack.physical),
        key=lambda item: item[1]["Type"] != "AWS::SES::ReceiptRuleSet",  # rule sets before their rules
    )
    for logical_id, resource in ordered:
        props = resolve_deep(resolver, resource.get("Properties", {}))
        kind = resource["Type"]
        if kind == "AWS::SES::ReceiptRuleSet":
            name = props.get("RuleSetName") or f"{logical_id}-local"
            client("ses").create_receipt_rule_set(RuleSetName=name)
            stack.physical[logical_id] = name
        elif kind == "AWS::SES::ReceiptRule":
            rule_set = resolver.resolve(resource["Properties"]["RuleSetName"])
            client("ses").create_receipt_rule(RuleSetName=rule_set, Rule=props["Rule"])
            stack.physical[logical_id] = props["Rule"]["Name"]
        elif kind == "AWS::Lambda::Permission":
            statement = f"{logical_id}-local"
            extra = {k: props[k] for k in ("SourceAccount", "SourceArn") if props.get(k)}
            client("lambda").add_permission(
                FunctionName=props["FunctionName"],
                StatementId=statement,
                Action=props["Action"],
                Principal=props["Principal"],
                **extra,
            )
            stack.physical[logical_id] = statement
        else:
            continue
        stack.types[logical_id] = kind
