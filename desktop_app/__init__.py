"""Care-facility letter writer: templates, a Japanese privacy/wording check, review and Word export."""

__version__ = "0.1.0"
