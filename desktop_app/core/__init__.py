"""Pure-Python core of the app: templates, the check, review, storage and export. Never imports Qt."""
