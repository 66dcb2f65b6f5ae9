"""The contracts' moto fixtures (`dynamodb`, its `table_spec`, `provisioned`) for the adapters' own tests."""

from tests.contracts.conftest import dynamodb, provisioned, table_spec

__all__ = ["dynamodb", "provisioned", "table_spec"]
