"""The letter check: one NLP pass (GiNZA), then many small rules."""

from desktop_app.core.checks.runner import CheckRunner, check_text

__all__ = ["CheckRunner", "check_text"]
