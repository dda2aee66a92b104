"""Pure domain logic: no boto3, botocore or PynamoDB (checked by import-linter)."""
