"""Print pip constraints pinning every runtime dependency to the lowest version pyproject.toml
admits (its ">=" bounds), PostgreSQL's driver included. Used by .ci/run."""

import re
import tomllib
from pathlib import Path

project = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))["project"]
for dep in [*project["dependencies"], *project["optional-dependencies"]["postgres"]]:
    m = re.match(r"\s*([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*>=\s*([^,;\s]+)", dep)
    if m is None:
        raise SystemExit(f"no lower bound in {dep!r}: every dependency needs one")
    print(f"{m.group(1)}=={m.group(2)}")
