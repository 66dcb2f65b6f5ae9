#!/usr/bin/env python3
"""Print a digest of the synthesized dev template with asset hashes blanked out, to show that a change
(a refactor of the app package, say) leaves the deployed resources as they were: same digest, same stack.

Code assets are named after a hash of their source folder, so any edit to the layer's code changes their
names and nothing else; everything else in the template counts. `--write FILE` saves the normalised
template to compare with `diff`.

    .venv/bin/python infra/template_digest.py [--write /tmp/template.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from infra.app import REPO_ROOT, cdk
from infra.app import build as build_app

ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")


def normalised_template() -> dict:
    with tempfile.TemporaryDirectory() as out, tempfile.TemporaryDirectory() as deps:
        (Path(deps) / "python").mkdir()
        app = cdk.App(
            outdir=out,
            context={"stage": "dev", "deps_layer_dir": deps, "aws:cdk:disable-asset-staging": True},
        )
        stack = build_app(app)
        app.synth()
        text = (Path(out) / f"{stack.stack_name}.template.json").read_text()
    text = ASSET_HASH.sub("<asset-hash>", text).replace(str(REPO_ROOT), "<repo>")
    return json.loads(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", type=Path, help="also save the normalised template here")
    args = parser.parse_args()
    template = normalised_template()
    canonical = json.dumps(template, sort_keys=True, indent=1)
    if args.write:
        args.write.write_text(canonical + "\n")
    resources = template.get("Resources", {})
    print(f"{hashlib.sha256(canonical.encode()).hexdigest()}  {len(resources)} resources")


if __name__ == "__main__":
    main()
