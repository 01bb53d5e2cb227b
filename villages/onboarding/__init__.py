"""A county's first steps: divisions from the official list (start here), the county's checklist, users and scopes."""
