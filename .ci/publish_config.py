"""Point the published book at its repository: `python .ci/publish_config.py OWNER/REPO [BRANCH]`.

Run by .github/workflows/publish.yml before `make book`, with GitHub's own repository name, so the
rendered pages get a repository button, "open an issue" links and, on every notebook page, a
Colab launch button.  BRANCH (default `colab`) is the branch the Colab buttons open: the
workflow pushes the Colab-ready copies of the notebooks there (.ci/colab.py), because Colab opens
a notebook as committed on GitHub.  _config.yml itself names no repository: this project's
public address is decided where it is published, and Jupyter Book would otherwise link to its
own default repository, and the local build has no launch button that would need the network.
"""

import re
import sys
from pathlib import Path

import yaml

if len(sys.argv) not in (2, 3) or not re.fullmatch(r"[\w.-]+/[\w.-]+", sys.argv[1]):
    sys.exit("usage: python .ci/publish_config.py OWNER/REPO [BRANCH]")
path = Path(__file__).resolve().parents[1] / "_config.yml"
config = yaml.safe_load(path.read_text())
config["repository"] = {"url": f"https://github.com/{sys.argv[1]}",
                        "branch": sys.argv[2] if len(sys.argv) == 3 else "colab"}
config["html"] = {**config.get("html", {}), "use_repository_button": True,
                  "use_issues_button": True}
config["launch_buttons"] = {"colab_url": "https://colab.research.google.com"}
path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
print(f"_config.yml: repository {config['repository']['url']}; Colab buttons open its branch "
      f"{config['repository']['branch']}")
