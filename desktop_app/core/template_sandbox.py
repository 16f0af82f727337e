"""Bounded template rendering: a Jinja2 sandbox whose operators, calls, filters, loops and output all check limits.

Jinja's sandbox stops a template from reaching Python internals, but not from asking for ``10**5000``,
``"あ" * 10**8`` or two nested ``range(100000)`` loops. A letter template is a file a staff member or a
shared folder can change, so every way a template can make a value bigger or spend time passes through
here:

- operators ``*``, ``**``, ``+``, ``%``, ``/``, ``//`` (the sandbox's ``intercepted_binops``/``call_binop``):
  integer size, string and list repetition, printf widths;
- method calls (``call``) and ``str.format``: padding widths, ``replace``/``join``/``translate`` estimates,
  macro nesting depth;
- every filter: int arguments such as ``center(10**8)``, ``indent``/``replace``/``join`` estimates;
- every ``for`` loop, ``~`` concatenation and every piece of output (literal text included): a clock, the
  total number of loop steps and the total number of characters produced.

Nothing is evaluated while a template is compiled (the optimizer's constant folding is off and output goes
through a context finalizer), so a hostile expression costs nothing until it is rendered, and then it is
stopped by a limit with a message instead of taking the machine's memory.

A render is stopped cooperatively: the checks run on the rendering thread and raise ``RenderLimitError``
once the deadline passes or ``RenderBudget.cancel()`` was called from another thread.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import re
import string
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import Macro, markup_join
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import Namespace, pass_context


@dataclass(frozen=True)
class RenderLimits:
    """Limits for one render. A real letter is a few thousand characters and renders in milliseconds."""

    max_output: int = 1_000_000  # characters in the finished letter
    max_seconds: float = 2.0  # wall-clock time for one render
    max_size: int = 1_000_000  # characters (or items) of any one string or list a template builds
    max_work: int = 8_000_000  # characters produced in all, buffers of macros, blocks and {% set %} included
    max_loop_steps: int = 1_000_000  # iterations of all for loops together
    max_int_bits: int = 256  # about 77 decimal digits
    max_width: int = 10_000  # padding width in a format: "{:>N}", "%Nd"
    max_depth: int = 60  # nested macro calls


DEFAULT_LIMITS = RenderLimits()


class RenderLimitError(Exception):
    """A template asked for more than a letter can need. The message is for the person who wrote it."""


class RenderBudget:
    """The state of one render: its limits, its clock and counters. ``cancel()`` may come from any thread."""

    def __init__(self, limits: RenderLimits = DEFAULT_LIMITS):
        self.limits = limits
        self.deadline = time.monotonic() + limits.max_seconds
        self.produced = 0
        self.loop_steps = 0
        self.depth = 0
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def tick(self) -> None:
        if self._cancelled.is_set():
            raise RenderLimitError("作成を中止しました")
        if time.monotonic() > self.deadline:
            raise RenderLimitError(f"テンプレートの処理が{self.limits.max_seconds:g}秒を超えたため中止しました"
                                   "（繰り返しが多すぎる可能性があります）")


_BUDGET: contextvars.ContextVar[RenderBudget | None] = contextvars.ContextVar("render_budget", default=None)


def _budget() -> RenderBudget:
    """The running render's budget; outside a render (tests, tools) a fresh default one (no clock yet)."""
    return _BUDGET.get() or RenderBudget()


def _limits() -> RenderLimits:
    b = _BUDGET.get()
    return b.limits if b else DEFAULT_LIMITS


@contextlib.contextmanager
def active_budget(budget: RenderBudget) -> Iterator[RenderBudget]:
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)


# ---- checks -----------------------------------------------------------------------------------
def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _too_big(what: str, size: int, limit: int) -> RenderLimitError:
    return RenderLimitError(f"{what}が大きすぎます（{size:,} > 上限 {limit:,}）")


def check_value(value: Any) -> Any:
    """Refuse a value bigger than any letter needs: a huge integer, string or list."""
    lim = _limits()
    if _is_int(value):
        if value.bit_length() > lim.max_int_bits:
            raise RenderLimitError(f"整数が大きすぎます（{lim.max_int_bits}ビットまで）")
    elif isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)):
        if len(value) > lim.max_size:
            raise _too_big("文字列またはリスト", len(value), lim.max_size)
    return value


def _length(v: Any) -> int | None:
    return len(v) if isinstance(v, (str, bytes, list, tuple)) else None


def _check_repeat(left: Any, right: Any) -> None:
    lim = _limits()
    if _is_int(left) and _is_int(right):
        if left.bit_length() + right.bit_length() > lim.max_int_bits + 1:
            raise RenderLimitError(f"整数が大きすぎます（{lim.max_int_bits}ビットまで）")
        return
    for seq, n in ((left, right), (right, left)):
        size = _length(seq)
        if size is not None and _is_int(n) and size * max(n, 0) > lim.max_size:
            raise _too_big("繰り返した文字列", size * n, lim.max_size)


def _check_power(base: Any, exp: Any) -> None:
    lim = _limits()
    if _is_int(base) and _is_int(exp) and exp > 0 and abs(base) > 1:
        if base.bit_length() * exp > lim.max_int_bits + exp:
            raise RenderLimitError(f"累乗の結果が大きすぎます（{lim.max_int_bits}ビットまで）")
    if isinstance(base, float) or isinstance(exp, float):
        try:
            if abs(base) > 1 and exp > 0 and math.log10(abs(base)) * exp > 308:
                raise RenderLimitError("累乗の結果が大きすぎます（小数の上限を超えます）")
        except TypeError:
            pass


_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[diouxXeEfFgGcrsa%]")


def _numbers(spec: str) -> list[int]:
    return [int(d) for d in re.findall(r"\d+", spec)]


def check_printf(fmt: Any, args: Any) -> None:
    """``"%0100000000d" % 1``: the width alone can ask for any amount of memory."""
    if not isinstance(fmt, str):
        return
    lim = _limits()
    values = args if isinstance(args, tuple) else (args,)
    for m in _PRINTF_SPEC.finditer(fmt):
        for g in m.groups():
            if g == "*":
                if any(_is_int(v) and abs(v) > lim.max_width for v in values):
                    raise RenderLimitError(f"書式の幅が大きすぎます（{lim.max_width:,}まで）")
            elif g and int(g) > lim.max_width:
                raise RenderLimitError(f"書式の幅が大きすぎます（{lim.max_width:,}まで）")


def check_format_string(fmt: str) -> None:
    """``"{:>100000000}".format(x)``: widths inside replacement fields, and no nested ``{:{w}}`` widths."""
    lim = _limits()
    try:
        fields = [spec for _, name, spec, _ in string.Formatter().parse(fmt) if name is not None]
    except ValueError:
        return  # malformed: str.format itself will say so
    for spec in fields:
        if "{" in (spec or ""):
            raise RenderLimitError("入れ子の書式指定（{:{幅}}）は使えません")
        if any(n > lim.max_width for n in _numbers(spec or "")):
            raise RenderLimitError(f"書式の幅が大きすぎます（{lim.max_width:,}まで）")


def _estimate_replace(s: Any, old: Any, new: Any, count: Any = -1) -> None:
    if isinstance(s, str) and isinstance(old, str) and isinstance(new, str):
        n = s.count(old) if old else len(s) + 1
        if _is_int(count) and count >= 0:
            n = min(n, count)
        size = len(s) + n * (len(new) - len(old))
        if size > _limits().max_size:
            raise _too_big("置き換えた文字列", size, _limits().max_size)


def _estimate_join(sep: Any, items: Any) -> list | None:
    """Returns the items as a list (so a generator is not consumed twice), after checking the size."""
    if not isinstance(sep, str) or isinstance(items, (str, bytes, dict)):
        return None
    items = list(_guarded_iter(items))
    size = len(sep) * max(len(items) - 1, 0) + sum(len(x) if isinstance(x, str) else 8 for x in items)
    if size > _limits().max_size:
        raise _too_big("連結した文字列", size, _limits().max_size)
    return items


def _check_int_args(args: Iterable[Any]) -> None:
    lim = _limits()
    for a in args:
        if _is_int(a) and abs(a) > lim.max_size:
            raise RenderLimitError(f"引数の数値が大きすぎます（{a:,} > 上限 {lim.max_size:,}）")


_SIZED_FILTERS = {"center", "indent", "truncate", "wordwrap", "batch", "slice", "tojson", "filesizeformat", "round"}
_PADDING_METHODS = {"center", "ljust", "rjust", "zfill", "expandtabs"}


def check_method_call(obj: Any, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """Methods of str/bytes/list that can multiply their size; returns the (possibly materialised) args."""
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", "")
    if not isinstance(owner, (str, bytes, list, tuple)):
        return args, kwargs
    if name in _PADDING_METHODS:
        _check_int_args([*args, *kwargs.values()])
    elif name == "replace":
        _estimate_replace(owner, *args[:3])
    elif name == "join" and args:
        items = _estimate_join(owner, args[0])
        if items is not None:
            args = (items, *args[1:])
    elif name == "translate" and args and isinstance(args[0], dict) and isinstance(owner, str):
        longest = max((len(v) for v in args[0].values() if isinstance(v, str)), default=1)
        if len(owner) * longest > _limits().max_size:
            raise _too_big("置き換えた文字列", len(owner) * longest, _limits().max_size)
    return args, kwargs


def check_filter_call(name: str, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """Filters: numeric arguments after the value (widths, counts), and the filters that multiply text."""
    if name in _SIZED_FILTERS:
        _check_int_args([*args[1:], *kwargs.values()])
    if name == "replace" and len(args) >= 3:
        _estimate_replace(str(args[0]), args[1], args[2], args[3] if len(args) > 3 else -1)
    elif name == "join":
        sep = args[1] if len(args) > 1 else kwargs.get("d", "")
        if not kwargs.get("attribute") and len(args) < 3:
            items = _estimate_join(str(sep), args[0])
            if items is not None:
                args = (items, *args[1:])
    elif name == "indent":
        width = args[1] if len(args) > 1 else kwargs.get("width", 4)
        if isinstance(width, str) and isinstance(args[0], str):
            size = len(args[0]) + (args[0].count("\n") + 1) * len(width)
            if size > _limits().max_size:
                raise _too_big("字下げした文字列", size, _limits().max_size)
    elif name == "wordwrap" and isinstance(args[0], str):
        wrap = args[3] if len(args) > 3 else kwargs.get("wrapstring")
        if isinstance(wrap, str) and len(args[0]) * (len(wrap) + 1) > _limits().max_size:
            raise _too_big("折り返した文字列", len(args[0]) * len(wrap), _limits().max_size)
    elif name == "format" and args:
        check_printf(args[0], tuple(args[1:]) or tuple(kwargs.values()))
    return args, kwargs


def _guarded_iter(iterable: Any) -> Iterator[Any]:
    budget = _budget()
    limit = budget.limits.max_loop_steps
    for item in iterable:
        budget.loop_steps += 1
        if budget.loop_steps > limit:
            raise RenderLimitError(f"繰り返しの回数が多すぎます（全体で{limit:,}回まで）")
        if budget.loop_steps & 0xFF == 0:
            budget.tick()
        yield item


# ---- runtime hooks the compiled template calls ----------------------------------------------------
@pass_context
def _loop_guard(_context: Any, iterable: Any) -> Any:
    budget = _budget()
    budget.tick()
    if isinstance(iterable, jinja2.Undefined):
        return iterable  # let Jinja report the undefined name as usual
    return _guarded_iter(iterable)


@pass_context
def _finalize(_context: Any, value: Any) -> Any:
    """Every piece of output passes here, literal text included: the total produced is counted."""
    budget = _budget()
    budget.tick()
    size = len(value) if isinstance(value, str) else len(str(value)) if value is not None else 4
    budget.produced += size
    if budget.produced > budget.limits.max_work:
        raise _too_big("作成中の文章", budget.produced, budget.limits.max_work)
    return value


class GuardedNamespace(Namespace):
    """``namespace()`` whose attributes are size-checked when set (``{% set ns.s = ns.s ~ ns.s %}`` in a loop)."""

    def __setitem__(self, name: str, value: Any) -> None:
        check_value(value)
        super().__setitem__(name, value)


def _guard_filter(name: str, fn: Any) -> Any:
    if getattr(fn, "_bounded", False):
        return fn
    pass_arg = getattr(fn, "jinja_pass_arg", None)
    kind = getattr(pass_arg, "name", None)

    @pass_context  # also keeps the optimizer from running the filter at compile time
    def guarded(context: Any, *args: Any, **kwargs: Any) -> Any:
        _budget().tick()
        args, kwargs = check_filter_call(name, args, kwargs)
        if kind == "context":
            result = fn(context, *args, **kwargs)
        elif kind == "eval_context":
            result = fn(context.eval_ctx, *args, **kwargs)
        elif kind == "environment":
            result = fn(context.environment, *args, **kwargs)
        else:
            result = fn(*args, **kwargs)
        return check_value(result)

    guarded._bounded = True  # type: ignore[attr-defined]
    guarded.__name__ = getattr(fn, "__name__", name)
    guarded.__doc__ = getattr(fn, "__doc__", None)
    return guarded


class GuardedFilters(dict):
    """Filter table that wraps every filter put into it, however it is added."""

    def __init__(self, filters: dict | None = None):
        super().__init__()
        self.update(filters or {})

    def __setitem__(self, name: str, fn: Any) -> None:
        super().__setitem__(name, _guard_filter(name, fn))

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        for name, fn in dict(*args, **kwargs).items():
            self[name] = fn


class _BoundedCodeGenerator(CodeGenerator):
    """Wraps every for-loop's iterable in the loop guard, routes literal text through finalize, and
    compiles ``~`` to a size-checked join."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        for loop in node.find_all(nodes.For):
            if not (isinstance(loop.iter, nodes.Filter) and loop.iter.name == LOOP_GUARD):
                loop.iter = nodes.Filter(loop.iter, LOOP_GUARD, [], [], None, None, lineno=loop.lineno)
        for output in node.find_all(nodes.Output):
            output.nodes = [nodes.MarkSafeIfAutoescape(nodes.Const(child.data, lineno=child.lineno),
                                                      lineno=child.lineno)
                            if isinstance(child, nodes.TemplateData) else child for child in output.nodes]
        super().visit_Template(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded_concat(context.eval_ctx, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


LOOP_GUARD = "_bounded_loop"


class BoundedSandbox(SandboxedEnvironment):
    """The sandbox letters are rendered in. See the module docstring for what it bounds."""

    intercepted_binops = frozenset({"*", "**", "+", "%", "//", "/"})
    code_generator_class = _BoundedCodeGenerator

    def __init__(self, **options: Any):
        options.setdefault("finalize", _finalize)
        options["optimized"] = False  # no constant folding: nothing in a template runs at load time
        super().__init__(**options)
        self.filters = GuardedFilters(self.filters)
        self.filters[LOOP_GUARD] = _loop_guard
        self.globals["namespace"] = GuardedNamespace
        self.globals.pop("lipsum", None)  # lipsum(100000) makes megabytes of Latin; no letter needs it

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _budget().tick()
        if operator == "**":
            _check_power(left, right)
        elif operator == "*":
            _check_repeat(left, right)
        elif operator == "+":
            a, b = _length(left), _length(right)
            if a is not None and b is not None and a + b > _limits().max_size:
                raise _too_big("連結した文字列", a + b, _limits().max_size)
        elif operator == "%" and isinstance(left, str):
            check_printf(left, right)
        return check_value(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        budget = _budget()
        budget.tick()
        args, kwargs = check_method_call(__obj, args, kwargs)
        if isinstance(__obj, Macro):
            budget.depth += 1
            try:
                if budget.depth > budget.limits.max_depth:
                    raise RenderLimitError(f"マクロの呼び出しが深すぎます（{budget.limits.max_depth}段まで）")
                return check_value(super().call(__context, __obj, *args, **kwargs))
            finally:
                budget.depth -= 1
        return check_value(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Any:
        fmt = super().wrap_str_format(value)
        if fmt is None:
            return None
        check_format_string(value.__self__)

        def bounded(*args: Any, **kwargs: Any) -> str:
            _budget().tick()
            return check_value(fmt(*args, **kwargs))

        return bounded

    def bounded_concat(self, eval_ctx: Any, parts: tuple) -> str:
        if eval_ctx.autoescape:
            out = markup_join(parts)
        else:
            strings = [p if isinstance(p, str) else str(p) for p in parts]
            total = sum(map(len, strings))
            if total > _limits().max_size:
                raise _too_big("連結した文字列", total, _limits().max_size)
            out = "".join(strings)
        return check_value(out)


def render_bounded(template: jinja2.Template, variables: dict, budget: RenderBudget) -> str:
    """Render, checking the clock and the size of the letter as each piece comes out."""
    pieces: list[str] = []
    size = 0
    with active_budget(budget):
        for piece in template.generate(**variables):
            size += len(piece)
            if size > budget.limits.max_output:
                raise _too_big("作成した手紙", size, budget.limits.max_output)
            budget.tick()
            pieces.append(piece)
    return "".join(pieces)
