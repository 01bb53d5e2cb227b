"""A typed Python client generated from the OpenAPI schema, the way an integrating system makes one: a dataclass per
component the chosen operations answer with (fields typed from the schema: nullability, enums as ``Literal``,
lists, maps, nested objects) and a method per operation with keyword-only typed parameters. Reading an answer
converts it strictly: a missing required field, a field the schema does not name, a wrong type, a null where the
schema says never or a value outside an enum raises ``SchemaMismatch``."""

import dataclasses
import datetime
import keyword
import re
import types
import typing

HEADER = '''"""Generated from the OpenAPI schema by tests/typed_client.py: do not edit."""
import dataclasses
import datetime
import typing
from typing import Literal

from tests.typed_client import convert

'''


class SchemaMismatch(AssertionError):
    pass


def _class_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


class _Generator:
    def __init__(self, schema: dict):
        self.components = schema["components"]["schemas"]
        self.classes: dict[str, str] = {}  # name → source
        self.order: list[str] = []

    def type_of(self, node: dict, context: str) -> str:
        """The annotation for a schema node (classes for referenced and inline objects are generated)."""
        nullable = node.get("nullable", False)
        if "$ref" in node:
            text = self.ref(node["$ref"])
        elif "allOf" in node and len(node["allOf"]) == 1:
            text = self.type_of(node["allOf"][0], context)
        elif "oneOf" in node:
            options = [o for o in node["oneOf"] if _class_name(o.get("$ref", "")) != "NullEnum"]
            nullable = nullable or len(options) < len(node["oneOf"])
            text = " | ".join(self.type_of(o, f"{context}Option{i}") for i, o in enumerate(options))
        elif "enum" in node:
            text = "Literal[" + ", ".join(repr(v) for v in node["enum"] if v is not None) + "]"
            nullable = nullable or None in node["enum"]
        else:
            kind = node.get("type", "object")
            if kind == "string":
                text = "datetime.datetime" if node.get("format") == "date-time" else "str"
                text = "datetime.date" if node.get("format") == "date" else text
            elif kind == "integer":
                text = "int"
            elif kind == "number":
                text = "float"
            elif kind == "boolean":
                text = "bool"
            elif kind == "array":
                text = f"list[{self.type_of(node.get('items', {}), context + 'Item')}]"
            elif "properties" in node:
                text = self.object_class(context, node)
            else:
                extra = node.get("additionalProperties")
                text = f"dict[str, {self.type_of(extra, context + 'Value')}]" if isinstance(extra, dict) else "dict"
        return f"{text} | None" if nullable and not text.endswith("| None") else text

    def ref(self, ref: str) -> str:
        name = _class_name(ref)
        node = self.components[name]
        if "properties" not in node:
            return self.type_of(node, name)  # an enum or a map: an alias, not a class
        return self.object_class(name, node)

    def object_class(self, name: str, node: dict) -> str:
        if name in self.classes:
            return name
        self.classes[name] = ""  # recursion guard
        required = set(node.get("required", []))
        lines = ["@dataclasses.dataclass(frozen=True)", f"class {name}:"]
        fields = sorted(node["properties"].items(), key=lambda item: item[0] not in required)
        for field, sub in fields:
            attr = field + "_" if keyword.iskeyword(field) else field
            annotation = self.type_of(sub, name + field.title().replace("_", ""))
            lines.append(f"    {attr}: {annotation}" + ("" if field in required else " = None"))
        lines += [
            "",
            "    @classmethod",
            f"    def from_json(cls, data: typing.Any) -> '{name}':",
            "        return convert(data, cls)",
        ]
        self.classes[name] = "\n".join(lines)
        self.order.append(name)
        return name


def _method_name(operation_id: str) -> str:
    return re.sub(r"\W", "_", operation_id)


def generate(schema: dict, path_regex: str) -> str:
    """The client module's source for the operations whose path matches."""
    gen = _Generator(schema)
    methods = []
    for path, item in sorted(schema["paths"].items()):
        if not re.search(path_regex, path) or "get" not in item:
            continue
        operation = item["get"]
        ok = operation["responses"].get("200", {}).get("content", {}).get("application/json")
        if ok is None:
            continue
        result = gen.type_of(ok["schema"], _method_name(operation["operationId"]).title().replace("_", "") + "Ok")
        args, query, path_args = [], [], []
        for parameter in operation.get("parameters", []):
            if parameter["in"] not in ("query", "path"):
                continue
            name = parameter["name"]
            annotation = gen.type_of(parameter.get("schema", {}), "Param")
            if parameter["in"] == "path":
                path_args.append(f"{name}: {annotation}")
            elif parameter.get("required"):
                args.append(f"{name}: {annotation}")
                query.append(name)
            else:
                args.append(f"{name}: {annotation} | None = None")
                query.append(name)
        signature = ", ".join(["self", *path_args, *(["*", *args] if args else [])])
        names = [a.split(":")[0] for a in path_args]
        fill = ", ".join(f"{n}={n}" for n in names)
        given = ", ".join(f"{q!r}: {q}" for q in query)
        methods.append(
            f"    def {_method_name(operation['operationId'])}({signature}) -> {result}:\n"
            f"        path = {path!r}.format({fill})\n"
            f"        params = {{k: v for k, v in {{{given}}}.items() if v is not None}}\n"
            f"        return convert(self.transport(path, params), {result})\n"
        )
    client = [
        "class Client:",
        '    """Each method reads one operation; ``transport(path, params)`` answers the parsed JSON of a 200."""',
        "",
        "    def __init__(self, transport: typing.Callable[[str, dict], typing.Any]):",
        "        self.transport = transport",
        "",
        *methods,
    ]
    return HEADER + "\n\n".join(gen.classes[name] for name in gen.order) + "\n\n\n" + "\n".join(client)


def convert(value, hint, where: str = "$"):
    """``value`` (parsed JSON) as the type ``hint``, strictly."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if isinstance(hint, str):
        raise SchemaMismatch(f"{where}: unresolved type {hint}")
    if origin in (typing.Union, types.UnionType):
        if value is None:
            if type(None) in args:
                return None
            raise SchemaMismatch(f"{where}: null where the schema says never")
        errors = []
        for option in (a for a in args if a is not type(None)):
            try:
                return convert(value, option, where)
            except SchemaMismatch as exc:
                errors.append(str(exc))
        raise SchemaMismatch(f"{where}: matches no option: {errors}")
    if value is None:
        raise SchemaMismatch(f"{where}: null where the schema says never")
    if origin is typing.Literal:
        if value not in args:
            raise SchemaMismatch(f"{where}: {value!r} is not one of {args}")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise SchemaMismatch(f"{where}: expected a list, got {type(value).__name__}")
        return [convert(v, args[0], f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise SchemaMismatch(f"{where}: expected an object, got {type(value).__name__}")
        return {k: convert(v, args[1], f"{where}.{k}") for k, v in value.items()} if args else value
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise SchemaMismatch(f"{where}: expected an object, got {type(value).__name__}")
        hints = typing.get_type_hints(hint, globalns=vars(__import__(hint.__module__, fromlist=["_"])))
        fields = {f.name.rstrip("_"): f for f in dataclasses.fields(hint)}
        if unknown := set(value) - set(fields):
            raise SchemaMismatch(f"{where}: fields the schema does not name: {sorted(unknown)}")
        out = {}
        for name, field in fields.items():
            if name not in value:
                if field.default is dataclasses.MISSING:
                    raise SchemaMismatch(f"{where}: required field {name} is missing")
                continue
            out[field.name] = convert(value[name], hints[field.name], f"{where}.{name}")
        return hint(**out)
    if hint is datetime.datetime:
        try:
            return datetime.datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise SchemaMismatch(f"{where}: {value!r} is not a date-time") from None
    if hint is datetime.date:
        try:
            return datetime.date.fromisoformat(value)
        except (TypeError, ValueError):
            raise SchemaMismatch(f"{where}: {value!r} is not a date") from None
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SchemaMismatch(f"{where}: expected a number, got {value!r}")
        return float(value)
    if hint in (int, str, bool):
        if type(value) is not hint:
            raise SchemaMismatch(f"{where}: expected {hint.__name__}, got {value!r}")
        return value
    raise SchemaMismatch(f"{where}: no conversion to {hint}")
