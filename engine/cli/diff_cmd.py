"""``driftline diff RUN_A RUN_B``: what changed between two runs, on one screen or as JSON.

Reads both runs (and, when their training data differ, their training profiles) through
the store's standard-library read path; the diff itself is ``driftline.engine.lineage.diff``.  The text
rendering lists only differences, grouped, each section bounded so the whole fits a
screen; ``--json`` has everything.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from driftline.engine.errors import ExitCode

#: Keys (config, packages), columns (shift) and metric rows shown per section.
MAX_ROWS = 12
#: Column names listed in one line of the data section.
MAX_NAMES = 8
#: Features listed under the model's importance changes.
MAX_IMPORTANCE = 5
#: Slice metric changes named in the metrics section.
MAX_SLICES = 3
#: Longest value shown (longer ones are cut; --json has them whole).
MAX_VALUE_CHARS = 48
#: Longest line of the data section before its details go to a line of their own.
MAX_LINE = 100
#: Characters of a hash or commit shown.
SHORT = 12
#: What "identical" covers, as the text says it.
IDENTICAL_IN = "config, code, data, model and metrics"
MORE_HINT = "--json shows all"


def add_parser(sub: Any) -> None:
    p = sub.add_parser("diff", help="what changed between two runs: config, code, packages, "
                       "data, training-data distribution, model, metrics")
    ref = "run id, unique id prefix, alias, latest or latest~N"
    p.add_argument("run_a", metavar="RUN_A", help=f"the run before ({ref})")
    p.add_argument("run_b", metavar="RUN_B", help=f"the run after ({ref})")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--store", metavar="URL", help="lineage store URL (default: "
                   "$DRIFTLINE_STORE_URL or <project>/runs/lineage.db)")
    p.set_defaults(func=diff_command)


def diff_command(args: argparse.Namespace) -> int:
    from driftline.engine.cli.query_cmds import open_store
    from driftline.engine.output.render import to_json
    from driftline.engine.lineage.diff import diff_runs, needs_profiles

    with open_store(args) as store:
        a, b = store.get_run(args.run_a), store.get_run(args.run_b)
        profiles_a = profiles_b = None
        if needs_profiles(a, b):
            profiles_a = store.get_profiles(a["id"], "train") if a.get("has_profiles") else {}
            profiles_b = store.get_profiles(b["id"], "train") if b.get("has_profiles") else {}
    diff = diff_runs(a, b, profiles_a, profiles_b)
    print(to_json(diff) if args.json else render_diff(diff, args.run_a, args.run_b))
    return ExitCode.OK


# -- text ----------------------------------------------------------------------------------
def render_diff(diff: Mapping[str, Any], ref_a: str = "", ref_b: str = "") -> str:
    """The diff for people: a headline, then one short block per changed section."""
    ida, idb = diff["a"]["id"], diff["b"]["id"]
    if diff["same_run"]:
        return (f"'{ref_a or ida}' and '{ref_b or idb}' name the same run {ida[:SHORT]}: "
                f"nothing to compare")
    if diff["identical"]:
        return f"runs {ida[:SHORT]} and {idb[:SHORT]} are identical in {IDENTICAL_IN}"
    lines = [f"runs {ida[:SHORT]} -> {idb[:SHORT]} differ in: {_headline(diff)}",
             _run_line("A", diff["a"]), _run_line("B", diff["b"])]
    blocks = {
        "config": _keyed, "overrides": _overrides, "code": _code, "packages": _keyed,
        "data": _data, "shift": _shift, "model": _model,
        "metrics": _metrics, "checks": _checks,
    }
    titles = {"shift": "training-data shift (estimated from the profiles: PSI on A's deciles, "
                       "Wasserstein / A's std)"}
    for name in diff["changed"]:
        lines += ["", titles.get(name, name), *blocks[name](diff[name])]
    shift = diff.get("shift") or {}
    if shift.get("status") == "unavailable" and \
            diff["data"].get("train", {}).get("status") == "changed":
        lines += ["", f"training-data shift: not available ({shift['note']})"]
    return "\n".join(lines)


def _headline(diff: Mapping[str, Any]) -> str:
    parts = []
    for name in diff["changed"]:
        section = diff[name]
        if name in ("config", "packages"):
            n = sum(len(section[k]) for k in ("added", "removed", "changed"))
            parts.append(f"{name} ({_plural(n, 'key' if name == 'config' else 'package')})")
        elif name == "data":
            roles = [r for r, d in section.items() if d["status"] != "same"]
            parts.append(f"data ({', '.join(roles)})")
        elif name == "shift":
            n = len(section["columns"]) + len(section["added"]) + len(section["removed"])
            parts.append(f"training-data distribution ({_plural(n, 'column')})")
        elif name == "metrics":
            n = sum(len(v) for v in section["overall"].values())
            n += len(section["added"]) + len(section["removed"])
            parts.append(f"metrics ({_plural(n, 'value')})" if n else "metrics (slices only)")
        else:
            parts.append(name)
    return ", ".join(parts)


def _run_line(label: str, run: Mapping[str, Any]) -> str:
    when = str(run.get("started_at") or "")[:19].replace("T", " ")
    error = f"  ({run['error']})" if run.get("error") else ""
    return f"  {label} {run['id'][:SHORT]}  {run.get('experiment')}  {run.get('status')}  " \
           f"{when}{error}"


def _keyed(section: Mapping[str, Any]) -> list[str]:
    rows = [("~", k, f"{_show(v['a'])} -> {_show(v['b'])}") for k, v in section["changed"].items()]
    rows += [("+", k, _show(v)) for k, v in section["added"].items()]
    rows += [("-", k, _show(v)) for k, v in section["removed"].items()]
    shown = rows[:MAX_ROWS]
    width = max(len(k) for _, k, _ in shown)
    lines = [f"  {mark} {key.ljust(width)}  {text}" for mark, key, text in shown]
    return lines + _more(len(rows) - len(shown))


def _overrides(section: Mapping[str, Any]) -> list[str]:
    lines = [f"  + {o}" for o in section["added"]] + [f"  - {o}" for o in section["removed"]]
    if not lines:
        lines = [f"  order changed: {' '.join(section['a'])}  ->  {' '.join(section['b'])}"]
    return lines[:MAX_ROWS] + _more(len(lines) - MAX_ROWS)


def _code(section: Mapping[str, Any]) -> list[str]:
    return [f"  {field:<10} {_short(v['a'], '-')} -> {_short(v['b'], '-')}"
            for field, v in section.items()]


def _data(section: Mapping[str, Any]) -> list[str]:
    lines, same = [], []
    for role, d in section.items():
        if d["status"] == "same":
            same.append(role)
        elif d["status"] in ("added", "removed"):
            side = "B" if d["status"] == "added" else "A"
            lines.append(f"  {role:<7} only in {side}  {d['hash'][:SHORT]} ({d.get('rows')} rows)")
        else:
            line = f"  {role:<7} changed  {d['hash']['a'][:SHORT]} -> {d['hash']['b'][:SHORT]}"
            details = _data_details(d)
            if len(line) + 2 + len(details) <= MAX_LINE:
                lines.append(f"{line}  {details}" if details else line)
            else:
                lines += [line, f"{'':10}{details}"]
    if same:
        lines.append(f"  {'same':<7} {', '.join(same)}")
    return lines


def _data_details(d: Mapping[str, Any]) -> str:
    parts = []
    if "rows" in d:
        parts.append(f"rows {d['rows']['a']} -> {d['rows']['b']}")
    if "hash_scheme" in d:
        parts.append(f"hash scheme {d['hash_scheme']['a']} -> {d['hash_scheme']['b']}")
    for key, label in (("columns_changed", "columns changed"), ("columns_added", "added"),
                       ("columns_removed", "removed")):
        if d.get(key):
            parts.append(f"{label}: {_names(d[key])}")
    if d.get("columns_renamed"):
        parts.append("renamed: " + _names([f"{o} -> {n}" for o, n in d["columns_renamed"].items()]))
    if d.get("dtypes_changed"):
        parts.append("dtypes: " + _names([f"{n} {v['a']} -> {v['b']}"
                                          for n, v in d["dtypes_changed"].items()]))
    if d.get("column_order_changed"):
        parts.append("column order changed")
    return "; ".join(parts)


def _shift(section: Mapping[str, Any]) -> list[str]:
    from driftline.engine.output.render import table

    rows = []
    for name, s in list(section["columns"].items())[:MAX_ROWS]:
        if "kind_changed" in s:
            rows.append([name, f"{s['kind_changed']['a']} -> {s['kind_changed']['b']}",
                         "", "", "", _pair(s["null_rate"])])
            continue
        rows.append([name, s["kind"], _fixed(s.get("psi")), _fixed(s.get("wasserstein_norm")),
                     _fixed(s.get("jensen_shannon")), _pair(s["null_rate"])])
    lines = []
    if rows:
        text = table(["column", "kind", "psi", "wasserstein/std", "jensen-shannon", "null rate"],
                     rows)
        lines = ["  " + line for line in text.splitlines()]
    lines += _more(len(section["columns"]) - len(rows))
    if section["added"]:
        lines.append(f"  profiled in B only: {_names(section['added'])}")
    if section["removed"]:
        lines.append(f"  profiled in A only: {_names(section['removed'])}")
    return lines


def _model(section: Mapping[str, Any]) -> list[str]:
    lines = [f"  {field:<15} {_short(v['a'], '-')} -> {_short(v['b'], '-')}"
             for field, v in section.items() if isinstance(v, dict) and set(v) == {"a", "b"}]
    if section.get("features_added"):
        lines.append(f"  features added    {_names(section['features_added'])}")
    if section.get("features_removed"):
        lines.append(f"  features removed  {_names(section['features_removed'])}")
    importance = section.get("importance") or []
    if importance:
        lines.append("  importance (share of total gain, largest changes)")
        width = max(len(r["feature"]) for r in importance[:MAX_IMPORTANCE])
        for r in importance[:MAX_IMPORTANCE]:
            a, b = r["share_a"] or 0.0, r["share_b"] or 0.0
            lines.append(f"    {r['feature'].ljust(width)}  {a:6.1%} -> {b:6.1%}  "
                         f"({(b - a) * 100:+.1f} pts)")
    return lines


def _metrics(section: Mapping[str, Any]) -> list[str]:
    from driftline.engine.output.render import table

    rows = [[split, name, c["a"], c["b"], _signed(c["delta"]), _percent(c["rel_delta"])]
            for split, names in section["overall"].items() for name, c in names.items()]
    lines = []
    if rows:
        text = table(["split", "metric", "A", "B", "delta", "relative"], rows[:MAX_ROWS])
        lines = ["  " + line for line in text.splitlines()] + _more(len(rows) - MAX_ROWS)
    if section["added"]:
        lines.append(f"  only in B: {_names(section['added'])}")
    if section["removed"]:
        lines.append(f"  only in A: {_names(section['removed'])}")
    changes = [(split, sl, name, c) for split, by_slice in section["slices"].items()
               for sl, names in by_slice.items() for name, c in names.items()]
    if changes:
        n_slices = len({(split, sl) for split, sl, _, _ in changes})
        changes.sort(key=lambda x: -abs(x[3]["delta"]) if x[3]["delta"] is not None else 0.0)
        verb = "differs" if len(changes) == 1 else "differ"
        lines.append(f"  slices: {_plural(len(changes), 'value')} {verb} in "
                     f"{_plural(n_slices, 'slice')}; largest:")
        lines += [f"    {split} {sl} {name}  {_fixed(c['a'])} -> {_fixed(c['b'])}  "
                  f"({_signed(c['delta'])})" for split, sl, name, c in changes[:MAX_SLICES]]
    return lines


def _checks(section: Mapping[str, Any]) -> list[str]:
    lines = [f"  ~ {n}  {_check(v['a'])} -> {_check(v['b'])}"
             for n, v in section["changed"].items()]
    lines += [f"  + {n}  {_check(v)}" for n, v in section["added"].items()]
    lines += [f"  - {n}  {_check(v)}" for n, v in section["removed"].items()]
    return lines[:MAX_ROWS] + _more(len(lines) - MAX_ROWS)


def _check(result: Mapping[str, Any]) -> str:
    """A check result in a few words: its status, then its other fields."""
    status = result.get("status")
    if status is None and "passed" in result:
        status = "passed" if result["passed"] else "failed"
    rest = [f"{k} {_show(v)}" for k, v in result.items() if k not in ("status", "passed")]
    return " ".join([str(status or "-"), *([f"({', '.join(rest)})"] if rest else [])])


# -- formatting ----------------------------------------------------------------------------
def _show(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        text = str(value)
    else:
        text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS - 3] + "..."


def _short(value: Any, none: str | None = None) -> str:
    if isinstance(value, str) and len(value) >= 32:  # a hash or a commit
        return value[:SHORT]
    return none if value is None and none is not None else _show(value)


def _fixed(value: Any) -> str:
    if value is None:
        return "-"
    return "nan" if isinstance(value, float) and math.isnan(value) else f"{value:.4f}"


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+.4f}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1%}"


def _pair(change: Mapping[str, Any]) -> str:
    a, b = change.get("a"), change.get("b")
    if a == b:
        return _fixed(a)
    return f"{_fixed(a)} -> {_fixed(b)}"


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:MAX_NAMES])
    return shown + (f" (+{len(names) - MAX_NAMES} more)" if len(names) > MAX_NAMES else "")


def _more(n: int) -> list[str]:
    return [f"  ... {n} more ({MORE_HINT})"] if n > 0 else []


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
