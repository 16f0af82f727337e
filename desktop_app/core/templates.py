"""Letter templates: Jinja2 sandbox rendering, TOML field schemas, discovery with user overrides."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from desktop_app.core import japanese
from desktop_app.core.letter_roles import LAYOUTS, MARK, StructuredText, role_marker, tidy_structured

FIELD_TYPES = ("text", "multiline", "date", "choice", "person", "number")
KINDS = ("formal", "notice", "reply", "condolence", "card", "urgent", "brief", "respectful")
# ビジネス文書 (number and date top right, sender block under the 宛名) or 手紙 (後付け at the end)
DEFAULT_LAYOUT = {"notice": "business"}
PERSON_ROLES = ("recipient", "subject", "sender")


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


def parse_schema(path: Path, source: str) -> TemplateInfo:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(path, f"設定ファイルの書式が正しくありません（{exc}）", _toml_line(exc)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(path, f"設定ファイルを読み込めません（{exc}）") from exc
    tid = path.stem
    for key in ("title",):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise TemplateError(path, f"「{key}」がありません")
    kind = raw.get("kind", "formal")
    if kind not in KINDS:
        raise TemplateError(path, f"kind「{kind}」は使えません（{', '.join(KINDS)}）")
    fields = []
    names = set()
    for i, f in enumerate(raw.get("fields", []), 1):
        if not isinstance(f, dict) or not isinstance(f.get("name"), str) or not isinstance(f.get("label"), str):
            raise TemplateError(path, f"{i}番目の項目（fields）に name と label が必要です")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", f["name"]):
            raise TemplateError(path, f"項目名「{f['name']}」は半角英数字と _ で書いてください")
        if f["name"] in names:
            raise TemplateError(path, f"項目名「{f['name']}」が重複しています")
        names.add(f["name"])
        ftype = f.get("type", "text")
        if ftype not in FIELD_TYPES:
            raise TemplateError(path, f"項目「{f['name']}」の type「{ftype}」は使えません（{', '.join(FIELD_TYPES)}）")
        if ftype == "choice" and not f.get("choices"):
            raise TemplateError(path, f"項目「{f['name']}」は choice なので choices が必要です")
        role = f.get("role")
        if role is not None and role not in PERSON_ROLES:
            raise TemplateError(path, f"項目「{f['name']}」の role「{role}」は使えません")
        fields.append(FieldSpec(name=f["name"], label=f["label"], type=ftype, required=bool(f.get("required", False)),
                                default=f.get("default"), help=f.get("help", ""), choices=list(f.get("choices", [])),
                                role=role))
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
    env = SandboxedEnvironment(loader=loader, undefined=jinja2.StrictUndefined, autoescape=False,
                               keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update({
        "wareki": japanese.wareki, "jikou": japanese.season_greeting, "season": japanese.season_greeting,
        "tougo": japanese.opening, "ketsugo": japanese.closing, "sama": japanese.sama,
        "given_name": japanese.given_name, "surname": japanese.surname, "yen": japanese.yen,
        "youbi": japanese.youbi, "wareki_youbi": japanese.wareki_youbi, "md_youbi": japanese.month_day_youbi,
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
        try:
            source = info.path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise TemplateError(info.path, f"テンプレートを読み込めません（{exc}）") from exc
        env = self._env(info)
        try:
            code = env.compile(source, name=info.path.name, filename=str(info.path))
            return env.template_class.from_code(env, code, env.make_globals(None))
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(info.path, f"テンプレートの書き方に誤りがあります（{exc.message}）", exc.lineno) from exc

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
            if f.type == "date":
                if v in (None, "", "today") and f.default == "today":
                    v = dt.date.today()
                if v not in (None, ""):
                    try:
                        v = japanese.to_date(v)
                    except ValueError as exc:
                        raise TemplateError(info.schema_path, f"項目「{f.label}」: {exc}") from exc
            if f.type == "number" and v not in (None, ""):
                try:
                    v = int(str(v).replace(",", "")) if re.fullmatch(r"-?[\d,]+", str(v)) else float(v)
                except ValueError as exc:
                    raise TemplateError(info.schema_path, f"項目「{f.label}」は数値で入力してください（{v!r}）") from exc
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

    def render(self, template_id: str, data: dict | None = None, facility: dict | None = None) -> str:
        return tidy_structured(self._render_raw(template_id, data, facility)).text

    def render_structured(self, template_id: str, data: dict | None = None,
                          facility: dict | None = None) -> StructuredText:
        """The letter and the role of each line (from the template's `role()` markers), for the Word layout."""
        return tidy_structured(self._render_raw(template_id, data, facility))

    def _render_raw(self, template_id: str, data: dict | None = None, facility: dict | None = None) -> str:
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
            text = template.render(**values, facility=fac, kind=info.kind, title=info.title)
        except SecurityError as exc:
            raise TemplateError(info.path, f"テンプレートが許可されていない操作をしようとしました（{exc}）",
                                _template_line(exc, info.path)) from exc
        except jinja2.UndefinedError as exc:
            raise TemplateError(info.path, f"定義されていない項目を使っています（{exc.message}）",
                                _template_line(exc, info.path)) from exc
        except jinja2.TemplateError as exc:
            raise TemplateError(info.path, f"テンプレートの処理中に誤りがありました（{exc}）",
                                _template_line(exc, info.path)) from exc
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise TemplateError(info.path, f"値を変換できませんでした（{exc}）", _template_line(exc, info.path)) from exc
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

    def check_context(self, template_id: str, data: dict, facility: dict | None = None) -> dict:
        """The check's context from the form: who the letter goes to, is about, and is signed by."""
        info = self.get(template_id)
        ctx: dict[str, Any] = {"facility": dict(facility or {}), "kind": info.letter_type}
        for f in info.fields:
            if f.type == "person" and f.role and str(data.get(f.name) or "").strip():
                ctx[f.role] = {"name": str(data[f.name]).strip()}
        date_field = info.date_field()
        if date_field:
            try:
                ctx["date"] = japanese.to_date(data.get(date_field.name) or dt.date.today()).isoformat()
            except ValueError:
                pass
        return ctx


def tidy(text: str) -> str:
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").split("\n")]
    out = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return out + "\n"
