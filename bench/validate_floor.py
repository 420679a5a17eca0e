"""The floor of `cspsync validate`: parse every file with yaml-rs and validate it with jsonschema-rs.

    python bench/validate_floor.py FOLDER SCHEMAS

Run by bench/validate.py in a fresh process, as ``cspsync validate`` is: it imports only yaml_rs and
jsonschema_rs, reads FOLDER/cspsync.yaml and FOLDER/customers/*.yaml once each, parses each with
``yaml_rs.loads`` (its defaults), turns the dates yaml-rs returns into ISO text (jsonschema-rs refuses
date objects) and checks the document with the schema of SCHEMAS compiled once (formats checked, as
cspsync does). No line numbers, no rules across files, no messages: the least any YAML + JSON Schema
validator in Python can do. Prints the number of valid files; exits 1 if any file is not valid.
"""

import datetime
import json
import sys
from pathlib import Path

import jsonschema_rs
import yaml_rs

_DATES = (datetime.date, datetime.datetime, datetime.time)


def plain(value: object) -> object:
    """yaml-rs's dates as ISO text, everything else as it is."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, _DATES):
        return value.isoformat()
    return value


def validator(schemas: Path, name: str) -> jsonschema_rs.Validator:
    schema = json.loads((schemas / f"{name}.schema.json").read_text(encoding="utf-8"))
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def main(folder: Path, schemas: Path) -> int:
    config = validator(schemas, "config")
    customer = validator(schemas, "customer")
    config_valid = config.is_valid(plain(yaml_rs.loads((folder / "cspsync.yaml").read_text(encoding="utf-8"))))
    files = sorted((folder / "customers").glob("*.yaml"))
    invalid = 0
    for path in files:
        if not customer.is_valid(plain(yaml_rs.loads(path.read_text(encoding="utf-8")))):
            invalid += 1
    config_word = "valid" if config_valid else "not valid"
    print(f"{len(files) - invalid} of {len(files)} customer files valid, cspsync.yaml {config_word}")
    return 0 if config_valid and not invalid else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
