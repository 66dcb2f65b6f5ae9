def test_dynamodb_json_decoder_matches_boto3():
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    from smsflows.adapters.ddb_json import item

    values = {"s": "x", "n": 42, "f": __import__("decimal").Decimal("1.5"), "b": True, "z": None,
              "m": {"a": [1, "b", {"c": False}]}, "ss": {"a", "b"}}  # fmt: skip
    raw = {k: TypeSerializer().serialize(v) for k, v in values.items()}
    expected = {k: TypeDeserializer().deserialize(v) for k, v in raw.items()}
    assert item(raw) == expected
