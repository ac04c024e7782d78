"""Validates specs against docs/cnnc-spec.schema.json with the `jsonschema` package, an implementation
independent of cnnc. Every file after --valid must pass and every file after --invalid must fail.

    tools/.venv/bin/python tools/check_spec_schema.py --valid models/*.yaml --invalid bad.yaml

Exit status 0 when every file behaves as stated, 1 otherwise (each surprise is listed)."""
import json
import pathlib
import sys

import jsonschema
import yaml

SCHEMA = pathlib.Path(__file__).resolve().parent.parent / "docs" / "cnnc-spec.schema.json"


def main(arguments):
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    expect_valid = None
    surprises, counts = [], {True: 0, False: 0}
    for argument in arguments:
        if argument in ("--valid", "--invalid"):
            expect_valid = argument == "--valid"
            continue
        if expect_valid is None:
            sys.exit("say --valid or --invalid before the files")
        with open(argument, encoding="utf-8") as file:
            document = yaml.safe_load(file)
        errors = list(validator.iter_errors(document))
        counts[expect_valid] += 1
        if expect_valid and errors:
            surprises.append(f"{argument}: rejected: {errors[0].message[:300]} at {list(errors[0].absolute_path)}")
        elif not expect_valid and not errors:
            surprises.append(f"{argument}: accepted, but it is structurally invalid")
    for surprise in surprises:
        print(surprise)
    print(f"{counts[True]} valid and {counts[False]} invalid specs checked; {len(surprises)} surprises")
    return 1 if surprises or counts[True] == 0 or counts[False] == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
