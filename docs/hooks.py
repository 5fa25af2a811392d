"""MkDocs hook: the reference pages are written from the code at build time, so they cannot
drift from it.

Markers in a page, each alone on its line, are replaced by Markdown:

- ``<!-- schema: CampaignRequest -->``: a pydantic model of ``tools.domain``, as field tables
  (its own and each type it uses) and its JSON Schema;
- ``<!-- cli -->``: every command of ``crmagent.cli:app``, its usage, arguments and options;
- ``<!-- context -->``: the run settings (``graph.context.Context``);
- ``<!-- import-columns -->``: the import file's header and which columns may be empty;
- ``<!-- validate: CampaignRequest -->``: the fenced JSON block that follows is validated
  against the model; an example that no longer fits the contract fails the build;
- ``<!-- examples: 20 -->``: that many real messages of ``tests/data/real_messages.jsonl``
  (every few lines, so all channels show), rewritten offline now, beside their originals.

README.md's links into ``docs/`` are checked too, since MkDocs does not build the README.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import typer
from mkdocs.exceptions import PluginError
from pydantic import BaseModel, ValidationError

README_LINK = re.compile(r"\]\(docs/([^)#\s]+)(?:#[^)\s]*)?\)")
MARKER = re.compile(
    r"^<!-- (schema|cli|context|import-columns|validate|examples)(?::\s*(\w+))? -->$", re.M
)
CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "real_messages.jsonl"
FENCED_JSON = re.compile(r"\s*```json\n(.*?)\n```", re.S)


def on_files(files: Any, config: Any) -> Any:
    """Fail the build when README.md links to a page ``docs/`` does not have."""
    readme = Path(config.config_file_path).parent / "README.md"
    if readme.exists():
        missing = sorted(
            {
                link
                for link in README_LINK.findall(readme.read_text())
                if not files.get_file_from_path(link)
            }
        )
        if missing:
            raise PluginError(f"README.md links to docs/ pages that do not exist: {missing}")
    return files


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    """Replace each marker of the page by what it names."""

    def render(match: re.Match[str]) -> str:
        kind, name = match.group(1), match.group(2)
        where = f"{page.file.src_uri}: <!-- {kind}{': ' + name if name else ''} -->"
        if kind == "schema":
            return schema_markdown(_model(name, where))
        if kind == "cli":
            return cli_markdown()
        if kind == "context":
            return context_markdown()
        if kind == "import-columns":
            return import_columns_markdown()
        if kind == "examples":
            return examples_markdown(int(name or 20))
        _validate_example(markdown[match.end() :], _model(name, where), where)
        return ""

    return MARKER.sub(render, markdown)


def _model(name: str | None, where: str) -> type[BaseModel]:
    from tools import domain

    model = getattr(domain, name or "", None)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise PluginError(f"{where}: tools.domain has no pydantic model {name!r}")
    return model


def _validate_example(rest: str, model: type[BaseModel], where: str) -> None:
    block = FENCED_JSON.match(rest)
    if block is None:
        raise PluginError(f"{where}: put a ```json block right after the marker")
    try:
        model.model_validate_json(block.group(1))
    except ValidationError as exc:
        raise PluginError(f"{where}: the example is not a valid {model.__name__}: {exc}") from exc


def _cell(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _paragraphs(text: str | None) -> str:
    """A docstring's paragraphs, each on one line."""
    blocks = re.split(r"\n\s*\n", (text or "").strip())
    return "\n\n".join(" ".join(block.split()) for block in blocks if block.strip())


# --- the contract ---------------------------------------------------------------------------


def _anchor(owner: str, name: str) -> str:
    return f"{owner}-{name}".lower()


def _type(prop: dict[str, Any], owner: str) -> str:
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{_anchor(owner, name)})"
    if "anyOf" in prop:
        kinds = [_type(option, owner) for option in prop["anyOf"]]
        return " or ".join(dict.fromkeys(kinds))
    if "const" in prop:
        return f"`{json.dumps(prop['const'])}`"
    if "enum" in prop:
        return "one of " + ", ".join(f"`{value}`" for value in prop["enum"])
    kind = prop.get("type", "any")
    if kind == "array":
        return f"list of {_type(prop.get('items', {}), owner)}"
    if kind == "string" and prop.get("format") in {"date", "date-time"}:
        return f"{prop['format']} (`YYYY-MM-DD`)" if prop["format"] == "date" else prop["format"]
    return str(kind)


_LIMITS = {
    "minLength": "at least {} character(s)",
    "maxLength": "at most {} characters",
    "minimum": "at least {}",
    "maximum": "at most {}",
    "exclusiveMinimum": "above {}",
    "exclusiveMaximum": "below {}",
}


def _limits(prop: dict[str, Any]) -> list[str]:
    found = [text.format(prop[key]) for key, text in _LIMITS.items() if key in prop]
    for option in prop.get("anyOf", []):
        found += _limits(option)
    return found


def _meaning(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    """A field's description, else that of its type; then its limits."""
    described = prop.get("description")
    if described is None:
        refs = [prop, *prop.get("anyOf", [])]
        names = [ref["$ref"].rsplit("/", 1)[-1] for ref in refs if "$ref" in ref]
        described = next((defs[n].get("description") for n in names if n in defs), "")
    limits = _limits(prop)
    return " ".join([described or "", f"({'; '.join(limits)})" if limits else ""]).strip()


def _object_table(schema: dict[str, Any], owner: str, defs: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    rows = ["| field | type | required | default | meaning |", "|---|---|---|---|---|"]
    for name, prop in schema.get("properties", {}).items():
        default = f"`{json.dumps(prop['default'])}`" if "default" in prop else ""
        meaning = _meaning(prop, defs)
        rows.append(
            f"| `{name}` | {_cell(_type(prop, owner))} | {'yes' if name in required else ''} "
            f"| {_cell(default)} | {_cell(meaning)} |"
        )
    return "\n".join(rows)


def schema_markdown(model: type[BaseModel]) -> str:
    """A model's fields, then each type it uses, then its whole JSON Schema (a request as it
    is validated, a result as it is written)."""
    is_result = not model.__name__.endswith("Request")
    schema = model.model_json_schema(mode="serialization" if is_result else "validation")
    owner, defs = model.__name__, schema.get("$defs", {})
    parts = [_paragraphs(schema.get("description")), _object_table(schema, owner, defs)]
    for name, sub in sorted(defs.items()):
        parts.append(f"#### {name} {{#{_anchor(owner, name)}}}")
        if sub.get("description"):
            parts.append(_paragraphs(sub["description"]))
        if "enum" in sub:
            parts.append("One of " + ", ".join(f"`{value}`" for value in sub["enum"]) + ".")
        else:
            parts.append(_object_table(sub, owner, defs))
    whole = _indent("```json\n" + json.dumps(schema, indent=2) + "\n```")
    parts.append(f'??? note "{owner} as JSON Schema"\n\n{whole}')
    return "\n\n".join(part for part in parts if part)


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.splitlines())


# --- the command line -------------------------------------------------------------------------


def _param_rows(command: Any) -> tuple[list[str], list[str]]:
    arguments, rows = [], []
    for param in command.params:
        if getattr(param, "hidden", False):
            continue
        help_text = _cell(getattr(param, "help", None) or "")
        if getattr(param, "param_type_name", "") == "argument":
            arguments.append(param.name.upper())
            rows.append(f"| `{param.name.upper()}` | {help_text} | required |")
            continue
        names = ", ".join(f"`{opt}`" for opt in [*param.opts, *param.secondary_opts])
        if getattr(param, "is_flag", False):
            default = "off"
        elif param.required:
            default = "required"
        elif param.default in (None, ""):
            default = ""
        elif isinstance(param.default, list | tuple):
            default = ", ".join(f"`{item}`" for item in param.default)
        else:
            default = f"`{param.default}`"
        rows.append(f"| {names} | {help_text} | {default} |")
    return arguments, rows


def _command_markdown(command: Any, path: list[str]) -> list[str]:
    arguments, rows = _param_rows(command)
    usage = " ".join(["crmagent", *path, "[OPTIONS]", *arguments])
    parts = [f"## `{' '.join(['crmagent', *path])}`", _paragraphs(command.help)]
    if hasattr(command, "commands"):
        parts.append("Subcommands: " + ", ".join(f"`{name}`" for name in command.commands) + ".")
    else:
        parts.append(f"```\n{usage}\n```")
        if rows:
            parts.append("\n".join(["| argument or option | meaning | default |", "|---|---|---|"]))
            parts[-1] += "\n" + "\n".join(rows)
    for name, sub in getattr(command, "commands", {}).items():
        parts += _command_markdown(sub, [*path, name])
    return parts


def cli_markdown() -> str:
    """Every command of the ``crmagent`` CLI, in the order ``crmagent --help`` lists them."""
    from crmagent.cli import app

    root = typer.main.get_command(app)
    parts = [_paragraphs(root.help)]
    for name, command in getattr(root, "commands", {}).items():
        parts += _command_markdown(command, [name])
    return "\n\n".join(part for part in parts if part)


# --- run settings and the import file -----------------------------------------------------------


def context_markdown() -> str:
    """The fields of the run's ``Context``: name, default, meaning."""
    from graph.context import Context

    rows = ["| setting | default | meaning |", "|---|---|---|"]
    for field in dataclasses.fields(Context):
        description = field.metadata.get("description", "")
        if field.default is not dataclasses.MISSING:
            default = f"`{json.dumps(field.default)}`"
        elif "$CRMAGENT" in description:  # read from the environment when the run starts
            default = "from the environment"
        else:
            default = f"`{json.dumps(field.default_factory())}`"  # type: ignore[misc]
        rows.append(f"| `{field.name}` | {_cell(default)} | {_cell(description)} |")
    return "\n".join(rows)


def import_columns_markdown() -> str:
    """The import header, and which columns may be left empty or out."""
    from tools.crm.ingest import IMPORT_COLUMNS, OPTIONAL_COLUMNS

    optional = [column for column in IMPORT_COLUMNS if column in OPTIONAL_COLUMNS]
    required = [column for column in IMPORT_COLUMNS if column not in OPTIONAL_COLUMNS]
    return "\n\n".join(
        [
            "```\n" + ",".join(IMPORT_COLUMNS) + "\n```",
            "Required: " + ", ".join(f"`{c}`" for c in required) + ".",
            "May be empty or absent: " + ", ".join(f"`{c}`" for c in optional) + ".",
        ]
    )


def examples_markdown(count: int) -> str:
    """``count`` real messages rewritten offline in a fresh home (the rules mode a new
    merchant gets), each with its original, the rewrite and the edits' kinds."""
    import tempfile

    from crmagent.api import BatchError, generate_batch

    lines = [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]
    english = [q for q in lines if q.get("locale", "en") == "en"]
    step = max(1, len(english) // count)
    picked = english[::step][:count]
    with tempfile.TemporaryDirectory() as home:
        results = generate_batch(picked, home=home, model="offline")
    out: list[str] = []
    for request, result in zip(picked, results, strict=True):
        if isinstance(result, BatchError):
            raise PluginError(f"examples: {request['id']}: {result.error}")
        offer = request["voucher"]["type"].replace("_", " ") if request["voucher"] else "no offer"
        out.append(f"### {request['id']} ({request['channel']}, {offer})\n")
        for title, subject, body in (
            ("Original", request.get("original_subject"), request["original_template"]),
            ("CRMAgent", result.template.subject, result.template.body),
        ):
            shown = f"Subject: {subject}\n\n{body}" if subject else body
            out.append(f"**{title}**\n\n```text\n{shown}\n```\n")
        kinds = ", ".join(dict.fromkeys(e.kind for e in result.edits)) or "none"
        out.append(f"Purpose: `{result.purpose.value}`; edits: {kinds}.\n")
    return "\n".join(out)
