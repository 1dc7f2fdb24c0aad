"""Local fakes of the vendors' APIs (connectors.md), one module per vendor."""
