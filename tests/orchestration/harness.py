"""Run one DAG with `dag.test()` in this process and print the outcome as JSON on the last line.

The Airflow tests start it as a subprocess, so each run has its own AIRFLOW_HOME (SQLite),
configuration and Spark session: `python tests/orchestration/harness.py DAG_ID '{"month": "2025-07"}'`.
"""

from __future__ import annotations

import json
import sys

MARK = "HARNESS-RESULT "


def main() -> None:
    dag_id, conf = sys.argv[1], json.loads(sys.argv[2])
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag()
    if bag.import_errors:
        raise SystemExit(f"import errors: {bag.import_errors}")
    run = bag.dags[dag_id].test(run_conf=conf)
    tis = {}
    for ti in run.get_task_instances():
        key = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
        tis[key] = {"state": str(ti.state), "rendered_map_index": ti.rendered_map_index}
    print(MARK + json.dumps({"state": str(run.state), "tasks": tis}, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
