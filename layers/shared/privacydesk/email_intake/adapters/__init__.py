"""Implementations of the domain's ports on DynamoDB, S3, SES, SNS and SQS."""
