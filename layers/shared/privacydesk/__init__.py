"""PrivacyDesk: the privacy back office shared by every PrivacyDesk Lambda function."""

__version__ = "0.1.0"
