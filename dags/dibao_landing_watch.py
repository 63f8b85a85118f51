"""低保数据到达 / announce each registry's new extracts in landing as Airflow asset events.

One task per source (its asset as outlet): a new or changed as-of folder under
`<data>/landing/<source>/` updates the source's asset, with the as-of date in the event; nothing
new skips the task and updates nothing. The monthly DAG runs once every source has delivered.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import dag, task

from pipelines.jobs import airflow_support as wv

DOC = """
## 低保数据到达 · Landing watch

**中文**：每 30 分钟检查各部门数据在 landing 目录下是否有新的批次（日期文件夹），有则更新该来源的
资产（asset），事件中带有数据截至日期；没有新数据的来源跳过。月度核对在全部来源更新后自动运行。

**English**: every 30 minutes, looks for new extract folders under `landing/<source>/`; a new one
updates that source's asset (the event carries the as-of date); a source with nothing new is
skipped. The monthly verification runs once every source's asset has been updated.
"""


@dag(
    dag_id="dibao_landing_watch",
    schedule="*/30 * * * *",
    start_date=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    default_args={**wv.default_args(), "retries": 1, "execution_timeout": dt.timedelta(minutes=10),
                  "on_failure_callback": None},
    tags=["dibao", "低保", "landing", "assets"],
    doc_md=DOC,
)
def dibao_landing_watch():
    for source in wv.configured_sources():
        asset = wv.landing_asset(source)

        @task(task_id=f"watch_{source}", outlets=[asset])
        def watch(source: str = source, asset=asset, **context) -> dict:
            from airflow.sdk.exceptions import AirflowSkipException

            found = wv.new_extract(source)
            if found is None:
                raise AirflowSkipException(f"{source}: no new extract in landing")
            context["outlet_events"][asset].extra = found
            return found

        watch()


dibao_landing_watch()
