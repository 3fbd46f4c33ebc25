#!/usr/bin/env python3
"""Reference checks of axolotl's config JSON Schema (`axolotl config-schema`), with the jsonschema
package (Debian 12: python3-jsonschema 4.10), not with our own code.

  config_schema_check.py SCHEMA.json [--yaml-schema SCHEMA.yaml] [--list FILES.txt] [FILE.yml ...]

1. SCHEMA is a valid draft-07 schema: the meta-schema check, every $ref resolves, every pattern
   compiles, and every property's default validates against that property.
2. --yaml-schema: the YAML rendering (`--format yaml`) is the same document.
3. Each config (FILEs, and the paths listed one per line in --list) validates, read both ways a
   config is read: YAML 1.1 (PyYAML, as Python Axolotl reads it: `2e-5` is a string, `no` is false)
   and YAML 1.2 core (yaml-language-server, as editors read it: `yes` and `500_000` are strings).

Prints "ok FILE" or "invalid FILE [yaml1.x] at PATH: message" per config. Exit status: 0 all valid,
1 some config invalid, 2 the schema itself is bad, 77 jsonschema or PyYAML is missing (skip).
"""
import datetime
import json
import re
import sys

try:
    import jsonschema
    import yaml
except ImportError as e:  # the test skips
    print(f"skip: {e}")
    sys.exit(77)


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML with the YAML 1.2 core schema's implicit types (spec 1.2.2, 10.3.2) instead of 1.1's."""


Yaml12Loader.yaml_implicit_resolvers = {}
for tag, regexp, first in [
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
              r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789."),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
]:
    Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:" + tag, re.compile(regexp), list(first))


def plain(x):
    """PyYAML's non-JSON values (dates, non-string keys) as JSON ones."""
    if isinstance(x, dict):
        return {str(k): plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [plain(v) for v in x]
    if isinstance(x, (datetime.date, datetime.datetime)):
        return x.isoformat()
    return x


def walk(node, path=""):
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from walk(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, f"{path}/{i}")


def check_schema(schema):
    problems = []
    cls = jsonschema.Draft7Validator
    if schema.get("$schema") != "http://json-schema.org/draft-07/schema#":
        problems.append("$schema is not draft-07")
    problems += [f"meta-schema: {e.message} at {'/'.join(map(str, e.path))}"
                 for e in cls(cls.META_SCHEMA).iter_errors(schema)]
    if problems:  # what follows assumes a well-formed schema
        return problems
    resolver = jsonschema.RefResolver.from_schema(schema)
    for path, node in walk(schema):
        ref = node.get("$ref")
        if isinstance(ref, str):
            try:
                resolver.resolve(ref)
            except jsonschema.RefResolutionError as e:
                problems.append(f"{path}: $ref {ref}: {e}")
        patterns = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        patterns += list(node.get("patternProperties", {}) or {})
        for p in patterns:
            try:
                re.compile(p)
            except re.error as e:
                problems.append(f"{path}: pattern {p!r}: {e}")
        if "default" in node and "description" in node:
            v = cls(node, resolver=resolver)
            problems += [f"{path}: default {node['default']!r}: {e.message}" for e in v.iter_errors(node["default"])]
    return problems


def errors_of(schema, doc):
    """The errors of the dialect (root anyOf branch) that fits best, so messages name real keys."""
    branches = schema.get("anyOf") or [schema]
    best = None
    for b in branches:
        sub = dict(b, definitions=schema.get("definitions", {}))
        errs = sorted(jsonschema.Draft7Validator(sub).iter_errors(doc), key=lambda e: list(e.path))
        if not errs:
            return []
        if best is None or len(errs) < len(best):
            best = errs
    return best


def main(argv):
    args, files, yaml_schema = list(argv), [], None
    schema_path = args.pop(0)
    while args:
        a = args.pop(0)
        if a == "--yaml-schema":
            yaml_schema = args.pop(0)
        elif a == "--list":
            with open(args.pop(0), encoding="utf-8") as f:
                files += [line.rstrip("\n") for line in f if line.strip()]
        else:
            files.append(a)
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    problems = check_schema(schema)
    if yaml_schema:
        with open(yaml_schema, encoding="utf-8") as f:
            if yaml.load(f, Loader=Yaml12Loader) != schema:
                problems.append("the YAML rendering is not the same document as the JSON")
    for p in problems:
        print("schema:", p)
    if problems:
        return 2
    status = 0
    for path in files:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        bad = None
        for name, loader in (("yaml1.1", yaml.SafeLoader), ("yaml1.2", Yaml12Loader)):
            errs = errors_of(schema, plain(yaml.load(text, Loader=loader)))
            if errs:
                e = errs[0]
                bad = f"[{name}] at /{'/'.join(map(str, e.path))}: {e.message}"
                break
        print(f"invalid {path} {bad}" if bad else f"ok {path}")
        status = 1 if bad else status
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
