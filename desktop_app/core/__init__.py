"""Pure-Python core of the app: templates, the check, review, the workflow database and export. Never imports Qt."""
