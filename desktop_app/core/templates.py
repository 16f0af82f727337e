"""Letter templates: Jinja2 sandbox rendering, TOML field schemas, discovery with user overrides."""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
import traceback
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from desktop_app.core import japanese
from desktop_app.core.context import CheckContext, Facility, facility_from_dict
from desktop_app.core.letter_roles import LAYOUTS, MARK, StructuredText, role_marker, tidy_structured
from desktop_app.core.template_sandbox import (
    DEFAULT_LIMITS,
    BoundedSandbox,
    RenderBudget,
    RenderLimitError,
    RenderLimits,
    render_bounded,
)

FIELD_TYPES = ("text", "multiline", "date", "choice", "person", "number")
KINDS = ("formal", "notice", "reply", "condolence", "card", "urgent", "brief", "respectful")
# ビジネス文書 (number and date top right, sender block under the 宛名) or 手紙 (後付け at the end)
DEFAULT_LAYOUT = {"notice": "business"}
PERSON_ROLES = ("recipient", "subject", "sender")
MAX_TEMPLATE_BYTES = 512_000  # a .j2 or .toml file; bundled ones are a few KB
MAX_NUMBER = 10**15  # a number field: yen amounts and counts, never more


class TemplateError(Exception):
    """A template or its schema is broken. Names the file and, where known, the line."""

    def __init__(self, path: Path | str, message: str, line: int | None = None):
        self.path = Path(path)
        self.line = line
        where = f"{self.path.name}" + (f" {line}行目" if line else "")
        super().__init__(f"{where}: {message}")
        self.message = message


class MissingFieldsError(Exception):
    def __init__(self, fields: list[FieldSpec]):
        self.fields = fields
        names = "、".join(f"{f.label}（{f.name}）" for f in fields)
        super().__init__(f"必須項目が入力されていません: {names}")


FACILITY_NAME_FIELD_NAME = "facility.name"
_FACILITY_NAME_RE = re.compile(r"facility\s*(?:\.\s*name\b|\[\s*['\"]name['\"]\s*\])")
FACILITY_NAME_MESSAGE = "施設名が設定されていません。「設定」で施設の名前を入力してから手紙を作成してください。"


class FacilityNameMissing(MissingFieldsError):
    """The template signs with the facility's name and the profile has none: a letter with a blank
    sender line must not be generated. Listed with any missing form fields."""

    def __init__(self, fields: list[FieldSpec] | None = None):
        facility_field = FieldSpec(name=FACILITY_NAME_FIELD_NAME, label="施設名（「設定」の施設の情報）")
        super().__init__([*(fields or []), facility_field])
        others = "、".join(f"{f.label}（{f.name}）" for f in fields or [])
        self.args = (FACILITY_NAME_MESSAGE + (f" ほかに必須項目が入力されていません: {others}" if others else ""),)


@dataclass
class FieldSpec:
    name: str
    label: str
    type: str = "text"
    required: bool = False
    default: Any = None
    help: str = ""
    choices: list[str] = field(default_factory=list)
    role: str | None = None  # person fields: recipient | subject | sender
    example: str = ""  # what staff might type, shown greyed in the empty field (`example` in the .toml)

    @property
    def placeholder(self) -> str:
        """The example the form shows in the empty field: the `example` key, or, for a template that
        keeps its example in `help` (「例：…」, as older and users' own templates do), that example."""
        if self.example:
            return f"例：{self.example}"
        m = re.match(r"\s*例[：:]\s*([^。\n]+)", self.help or "")
        return f"例：{m.group(1).strip()}" if m else ""

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in (None, [], "")}


@dataclass
class TemplateInfo:
    id: str
    title: str
    kind: str
    letter_type: str
    description: str
    fields: list[FieldSpec]
    path: Path  # the .j2 file
    schema_path: Path
    source: str  # bundled | user | shared
    sample: dict = field(default_factory=dict)
    layout: str = "letter"  # business | letter (templates/*.toml `layout`, default from the kind)

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    def date_field(self) -> FieldSpec | None:
        return self.field("date") or next((f for f in self.fields if f.type == "date"), None)


def _toml_line(exc: Exception) -> int | None:
    m = re.search(r"line (\d+)", str(exc))
    return int(m.group(1)) if m else None


def _read_template_file(path: Path, what: str) -> str:
    """A template or schema file, refused before reading when it is far larger than any letter template."""
    try:
        size = path.stat().st_size
        if size > MAX_TEMPLATE_BYTES:
            raise TemplateError(path, f"{what}が大きすぎます（{size:,} バイト、上限 {MAX_TEMPLATE_BYTES:,} バイト）")
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(path, f"{what}を読み込めません（{exc}）") from exc


def _nth_line(text: str, pattern: str, nth: int = 1) -> int | None:
    """Line of the nth line matching pattern in a TOML file (tomllib gives no positions for wrong values)."""
    count = 0
    for n, line in enumerate(text.splitlines(), 1):
        if re.match(pattern, line):
            count += 1
            if count == nth:
                return n
    return None


def _key_line(text: str, key: str, nth: int = 1) -> int | None:
    """Line of the nth `key = ...`."""
    return _nth_line(text, rf"\s*{re.escape(key)}\s*=", nth)


def _table_line(text: str, nth: int) -> int | None:
    """Line of the nth [[fields]] table."""
    return _nth_line(text, r"\s*\[\[\s*fields\s*\]\]", nth)


_SCALAR = (str, int, float, bool, dt.date, dt.time, dt.datetime)


def parse_schema(path: Path, source: str) -> TemplateInfo:
    text = _read_template_file(path, "設定ファイル")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(path, f"設定ファイルの書式が正しくありません（{exc}）", _toml_line(exc)) from exc
    except RecursionError as exc:
        raise TemplateError(path, "設定ファイルの入れ子が深すぎます") from exc
    tid = path.stem
    for key in ("title",):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise TemplateError(path, f"「{key}」がありません（文字で書いてください）", _key_line(text, key))
    for key in ("kind", "letter_type", "description"):
        if key in raw and not isinstance(raw[key], str):
            raise TemplateError(path, f"「{key}」は文字（\"…\"）で書いてください", _key_line(text, key))
    kind = raw.get("kind", "formal")
    if kind not in KINDS:
        raise TemplateError(path, f"kind「{kind}」は使えません（{', '.join(KINDS)}）", _key_line(text, "kind"))
    raw_fields = raw.get("fields", [])
    if not isinstance(raw_fields, list):
        raise TemplateError(path, "fields は [[fields]] の表で書いてください", _key_line(text, "fields"))
    fields = []
    names = set()
    for i, f in enumerate(raw_fields, 1):
        line = _table_line(text, i) or _key_line(text, "fields")
        if not isinstance(f, dict) or not isinstance(f.get("name"), str) or not isinstance(f.get("label"), str):
            raise TemplateError(path, f"{i}番目の項目（fields）に name と label が必要です", line)
        for key, types, what in (("type", str, "文字"), ("help", str, "文字"), ("example", str, "文字"),
                                 ("role", str, "文字"),
                                 ("required", bool, "true か false"), ("choices", list, "文字のリスト"),
                                 ("default", _SCALAR, "文字か数値")):
            if key in f and not isinstance(f[key], types):
                raise TemplateError(path, f"項目「{f['name']}」の {key} は{what}で書いてください", line)
        if "choices" in f and not all(isinstance(c, str) for c in f["choices"]):
            raise TemplateError(path, f"項目「{f['name']}」の choices は文字のリストで書いてください", line)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", f["name"]):
            raise TemplateError(path, f"項目名「{f['name']}」は半角英数字と _ で書いてください", line)
        if f["name"] in names:
            raise TemplateError(path, f"項目名「{f['name']}」が重複しています", line)
        names.add(f["name"])
        ftype = f.get("type", "text")
        if ftype not in FIELD_TYPES:
            raise TemplateError(path, f"項目「{f['name']}」の type「{ftype}」は使えません（{', '.join(FIELD_TYPES)}）",
                                line)
        if ftype == "choice" and not f.get("choices"):
            raise TemplateError(path, f"項目「{f['name']}」は choice なので choices が必要です", line)
        role = f.get("role")
        if role is not None and role not in PERSON_ROLES:
            raise TemplateError(path, f"項目「{f['name']}」の role「{role}」は使えません", line)
        fields.append(FieldSpec(name=f["name"], label=f["label"], type=ftype, required=bool(f.get("required", False)),
                                default=f.get("default"), help=f.get("help", ""), choices=list(f.get("choices", [])),
                                role=role, example=f.get("example", "").strip()))
    layout = raw.get("layout", DEFAULT_LAYOUT.get(kind, "letter"))
    if layout not in LAYOUTS:
        raise TemplateError(path, f"layout「{layout}」は使えません（{', '.join(LAYOUTS)}）")
    j2 = path.with_suffix(".j2")
    if not j2.exists():
        raise TemplateError(path, f"本文のテンプレート {j2.name} が見つかりません")
    return TemplateInfo(id=tid, title=raw["title"].strip(), kind=kind, letter_type=raw.get("letter_type", tid),
                        description=raw.get("description", ""), fields=fields, path=j2, schema_path=path,
                        source=source, sample=raw.get("sample", {}) if isinstance(raw.get("sample"), dict) else {},
                        layout=layout)


def make_environment(loader: jinja2.BaseLoader | None = None) -> SandboxedEnvironment:
    # BoundedSandbox wraps every filter added below (or later) in its limits
    env = BoundedSandbox(loader=loader, undefined=jinja2.StrictUndefined, autoescape=False,
                               keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update({
        "wareki": japanese.wareki, "jikou": japanese.season_greeting, "season": japanese.season_greeting,
        "tougo": japanese.opening, "ketsugo": japanese.closing, "sama": japanese.sama,
        "given_name": japanese.given_name, "surname": japanese.surname, "yen": japanese.yen,
        "youbi": japanese.youbi, "wareki_youbi": japanese.wareki_youbi, "md_youbi": japanese.month_day_youbi,
        # {{ summary|ending(phrase="がございました") }}: a noun phrase gets the predicate, a sentence is kept
        "is_sentence": japanese.is_sentence, "ending": japanese.ending,
    })
    env.globals["role"] = role_marker  # {{ role("sender") }} on its own line: see core/letter_roles.py
    return env


def _template_line(exc: BaseException, path: Path) -> int | None:
    """Line in the template file where a render error happened (Jinja keeps it in the traceback)."""
    line = getattr(exc, "lineno", None)
    if line:
        return line
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename and Path(frame.filename).name == path.name:
            return frame.lineno
    return None


class TemplateLibrary:
    """Bundled templates, overridden by the shared folder, overridden by the user's own folder."""

    def __init__(self, bundled: Path, user: Path | None = None, shared: Path | None = None):
        self.bundled = Path(bundled)
        self.user = Path(user) if user else None
        self.shared = Path(shared) if shared else None
        self.templates: dict[str, TemplateInfo] = {}
        self.errors: list[TemplateError] = []
        self.reload()

    def folders(self) -> list[tuple[str, Path]]:
        """In priority order, highest first."""
        out = []
        if self.user:
            out.append(("user", self.user))
        if self.shared:
            out.append(("shared", self.shared))
        out.append(("bundled", self.bundled))
        return out

    def signature(self) -> tuple:
        """Changes when a template file is added, removed or edited (for reloading without restart)."""
        sig = []
        for _, folder in self.folders():
            if folder.is_dir():
                for p in sorted(folder.glob("*")):
                    if p.suffix in (".toml", ".j2"):
                        try:
                            sig.append((str(p), p.stat().st_mtime_ns))
                        except OSError:
                            pass
        return tuple(sig)

    def reload(self) -> None:
        templates: dict[str, TemplateInfo] = {}
        errors: list[TemplateError] = []
        for source, folder in reversed(self.folders()):  # lowest priority first; later ones override
            if not folder.is_dir():
                continue
            for schema in sorted(folder.glob("*.toml")):
                try:
                    info = parse_schema(schema, source)
                    self._compile(info)
                except TemplateError as exc:
                    errors.append(exc)
                    continue
                except Exception as exc:  # one broken file must never stop the others from loading
                    errors.append(TemplateError(schema, f"読み込めませんでした（{type(exc).__name__}: {exc}）"))
                    continue
                templates[info.id] = info
        self.templates = dict(sorted(templates.items(), key=lambda kv: kv[0]))
        self.errors = errors
        self._signature = self.signature()

    def reload_if_changed(self) -> bool:
        if self.signature() != self._signature:
            self.reload()
            return True
        return False

    def _env(self, info: TemplateInfo) -> SandboxedEnvironment:
        # partials (_signature.j2) are found beside the template, then among the bundled ones
        return make_environment(jinja2.FileSystemLoader([str(info.path.parent), str(self.bundled)]))

    def _compile(self, info: TemplateInfo) -> jinja2.Template:
        source = _read_template_file(info.path, "テンプレート")
        env = self._env(info)
        try:
            code = env.compile(source, name=info.path.name, filename=str(info.path))
            return env.template_class.from_code(env, code, env.make_globals(None))
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(info.path, f"テンプレートの書き方に誤りがあります（{exc.message}）", exc.lineno) from exc
        except (RecursionError, SyntaxError, MemoryError) as exc:
            raise TemplateError(info.path, f"テンプレートが複雑すぎて読み込めません（{type(exc).__name__}）",
                                getattr(exc, "lineno", None)) from exc

    def get(self, template_id: str) -> TemplateInfo:
        try:
            return self.templates[template_id]
        except KeyError:
            known = ", ".join(self.templates) or "なし"
            raise KeyError(f"テンプレート「{template_id}」はありません（利用できるもの: {known}）") from None

    def prepare(self, info: TemplateInfo, data: dict) -> dict:
        """Defaults, types and required fields; returns the values the template sees."""
        values: dict[str, Any] = {}
        missing = []
        for f in info.fields:
            v = data.get(f.name, f.default)
            if isinstance(v, str):
                v = v.strip()
            elif isinstance(v, (list, dict, tuple, set)):
                raise TemplateError(info.schema_path, f"項目「{f.label}」には一つの値を入力してください（{type(v).__name__} は使えません）")
            if f.type == "date":
                if v in (None, "", "today") and f.default == "today":
                    v = dt.date.today()
                if v not in (None, ""):
                    try:
                        v = japanese.to_date(v)
                    except ValueError as exc:
                        raise TemplateError(info.schema_path, f"項目「{f.label}」: {exc}") from exc
            if f.type == "number" and v not in (None, ""):
                v = _to_number(v, f.label, info.schema_path)
            elif f.type != "date" and isinstance(v, (int, float)) and not isinstance(v, bool):
                v = str(v)  # a number given for a text field is shown as written
            if f.type == "choice" and v not in (None, "") and v not in f.choices:
                raise TemplateError(info.schema_path, f"項目「{f.label}」の値「{v}」は選択肢にありません")
            if v in (None, ""):
                if f.required:
                    missing.append(f)
                v = ""
            values[f.name] = v
        if missing:
            raise MissingFieldsError(missing)
        return values

    def render(self, template_id: str, data: dict | None = None, facility: dict | None = None,
               limits: RenderLimits = DEFAULT_LIMITS, budget: RenderBudget | None = None) -> str:
        """Fill a template. Rendering is bounded (time, size, loops; see template_sandbox) and every failure,
        whatever the template does, is a TemplateError naming the file and, where known, the line.
        Pass a budget to be able to cancel() the render from another thread."""
        return tidy_structured(self._render_raw(template_id, data, facility, limits, budget)).text

    def render_structured(self, template_id: str, data: dict | None = None, facility: dict | None = None,
                          limits: RenderLimits = DEFAULT_LIMITS, budget: RenderBudget | None = None) -> StructuredText:
        """The letter and the role of each line (from the template's `role()` markers), for the Word layout."""
        return tidy_structured(self._render_raw(template_id, data, facility, limits, budget))

    def _render_raw(self, template_id: str, data: dict | None, facility: dict | None,
                    limits: RenderLimits, budget: RenderBudget | None) -> str:
        info = self.get(template_id)
        template = self._compile(info)
        fac = {"name": "", "address": "", "phone": "", "fax": "", "email": "", "director": ""}
        # the role marker character cannot come from the user's data
        fac.update({k: v.strip().replace(MARK, "") for k, v in (facility or {}).items() if isinstance(v, str)})
        try:
            values = self.prepare(info, data or {})
        except MissingFieldsError as exc:
            if not fac["name"] and self._uses_facility_name(info):
                raise FacilityNameMissing(exc.fields) from None
            raise
        if not fac["name"] and self._uses_facility_name(info):
            raise FacilityNameMissing()
        values = {k: v.replace(MARK, "") if isinstance(v, str) else v for k, v in values.items()}
        try:
            text = render_bounded(template, {**values, "facility": fac, "kind": info.kind, "title": info.title},
                                  budget or RenderBudget(limits))
        except RenderLimitError as exc:
            raise TemplateError(info.path, f"上限を超えたため中止しました: {exc}", _template_line(exc, info.path)) from exc
        except SecurityError as exc:
            raise TemplateError(info.path, f"テンプレートが許可されていない操作をしようとしました（{exc}）",
                                _template_line(exc, info.path)) from exc
        except jinja2.UndefinedError as exc:
            raise TemplateError(info.path, f"定義されていない項目を使っています（{exc.message}）",
                                _template_line(exc, info.path)) from exc
        except jinja2.TemplateError as exc:
            raise TemplateError(info.path, f"テンプレートの処理中に誤りがありました（{exc}）",
                                _template_line(exc, info.path)) from exc
        except ZeroDivisionError as exc:
            raise TemplateError(info.path, "0で割っています", _template_line(exc, info.path)) from exc
        except OverflowError as exc:
            raise TemplateError(info.path, f"数値が大きすぎます（{exc}）", _template_line(exc, info.path)) from exc
        except RecursionError as exc:
            raise TemplateError(info.path, "呼び出しの入れ子が深すぎます", _template_line(exc, info.path)) from exc
        except MemoryError as exc:
            raise TemplateError(info.path, "メモリが足りなくなりました", _template_line(exc, info.path)) from exc
        except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
            raise TemplateError(info.path, f"値を変換できませんでした（{exc}）", _template_line(exc, info.path)) from exc
        except Exception as exc:  # whatever a template does, the caller gets a TemplateError naming the file
            raise TemplateError(info.path, f"テンプレートの処理中に誤りがありました（{type(exc).__name__}: {exc}）",
                                _template_line(exc, info.path)) from exc
        return text

    def _uses_facility_name(self, info: TemplateInfo) -> bool:
        """Whether the letter prints the facility's name, in its own source or a partial it includes."""
        env = self._env(info)
        todo, seen = [info.path.name], {info.path.name}
        while todo:
            try:
                source = env.loader.get_source(env, todo.pop())[0]  # type: ignore[union-attr]
                if _FACILITY_NAME_RE.search(source):
                    return True
                refs = jinja2.meta.find_referenced_templates(env.parse(source))
            except jinja2.TemplateError:
                continue
            for ref in refs:
                if isinstance(ref, str) and ref not in seen:
                    seen.add(ref)
                    todo.append(ref)
        return False

    def check_context(self, template_id: str, data: dict, facility: Facility | dict | None = None) -> CheckContext:
        """The check's context from the form: who the letter goes to, is about, and is signed by."""
        info = self.get(template_id)
        fac = facility if isinstance(facility, Facility) else facility_from_dict(facility)
        people = {f.role: str(data[f.name]).strip() for f in info.fields
                  if f.type == "person" and f.role and str(data.get(f.name) or "").strip()}
        letter_date = None
        date_field = info.date_field()
        if date_field:
            try:
                letter_date = japanese.to_date(data.get(date_field.name) or dt.date.today())
            except ValueError:
                pass
        ctx = CheckContext(facility=fac, letter_type=(info.letter_type or "").strip() or None, letter_date=letter_date)
        return ctx.with_people(**{r: people.get(r) for r in ("recipient", "subject", "sender")})


def _to_number(v: Any, label: str, path: Path) -> int | float:
    """A number field: an int or a finite float within MAX_NUMBER; text may use commas and full-width digits."""
    bad = TemplateError(path, f"項目「{label}」は数値で入力してください（{str(v)[:40]!r}）")
    if isinstance(v, bool):
        raise bad
    if isinstance(v, str):
        s = unicodedata.normalize("NFKC", v).replace(",", "").strip()
        if len(s) > 40:
            raise bad
        try:
            v = int(s) if re.fullmatch(r"[-+]?\d+", s) else float(s)
        except ValueError as exc:
            raise bad from exc
    if not isinstance(v, (int, float)) or (isinstance(v, float) and not math.isfinite(v)):
        raise bad
    if abs(v) > MAX_NUMBER:
        raise TemplateError(path, f"項目「{label}」の数値が大きすぎます（{MAX_NUMBER:,}まで）")
    return v

