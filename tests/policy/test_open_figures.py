"""README lists every parameter whose value is marked open, so no default passes for the law."""

from pipelines.config import PROJECT_ROOT
from pipelines.policy import load_policy
from pipelines.policy.report import open_figures_table


def test_readme_lists_every_open_figure():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    policy = load_policy(PROJECT_ROOT / "rules")
    missing = [p.name + (f" ({p.district})" if p.district else "")
               for p in policy.params.open_parameters()
               if f"`{p.name}`" not in readme or (p.district and f"district {p.district}" not in readme)]
    assert not missing, f"open figures missing from README: {missing}"
    for row in open_figures_table().splitlines()[2:]:
        assert row in readme, f"README's open-figures table is out of date: {row}"


def test_readme_lists_every_flag_code():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    policy = load_policy(PROJECT_ROOT / "rules")
    missing = [r.flag_code for r in policy.flag_rules if f"| `{r.flag_code}` |" not in readme]
    assert not missing, f"flag codes missing from README's table: {missing}"
