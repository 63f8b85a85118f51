"""低保申请核对 / the daily check of new applications, as an Airflow DAG.

Thin: every task calls a stage of `pipelines.jobs`; see pipelines/jobs/airflow_support.py for the
configuration (data directory, schemas, Spark cluster connection).
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import CronTriggerTimetable, Param, dag, task

from pipelines.jobs import airflow_support as wv

DOC = """
## 低保申请核对 · Daily application check

**中文**：每天 07:00（北京时间）核对前一天受理的低保申请（受理、审核中、公示中）：与月度核对相同的
各阶段——按来源取数、读入、质量关，然后比对关联、家庭收入财产、规则判定、待核实事项——只针对当天
的申请家庭（各来源数据须在 schema 的 `freshness` 期限内，过旧则取数任务等待后失败），并为每份申请生成《最低生活保障家庭经济状况核对报告》（HTML 与 JSON）：每个部门的数据对
每位家庭成员说了什么（包括"无记录"），以及每条规则的结果。报告供工作人员审核，不是审批决定。

**English**: every day at 07:00 Asia/Shanghai, checks the applications received the day before
(still pending): the same stages as the monthly check (each source's extract within its freshness
limit, else its pull waits and then fails), restricted to the applying households, then
each application's verification report (核对报告) as HTML and JSON — what each registry says about
each member (including "no record") and the outcome of each rule. For staff review; not a decision.

**Params**: `day` (YYYY-MM-DD) to check a given day; empty = the day before the run date.
Outputs: `<data>/runs/<day>-applications/reports/`.
"""


@dag(
    dag_id="dibao_application_check",
    schedule=CronTriggerTimetable("0 7 * * *", timezone=wv.TIMEZONE),
    start_date=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    default_args=wv.default_args(),
    tags=["dibao", "低保", "daily", "applications"],
    doc_md=DOC,
    params={"day": Param(None, type=["null", "string"], pattern=r"^\d{4}-\d{2}-\d{2}$",
                         description="day whose applications are checked, YYYY-MM-DD (empty: yesterday)")},
)
def dibao_application_check():
    @task(retries=0)
    def plan(**context) -> dict:
        day = wv.application_day(context["params"], context["dag_run"].run_after)
        return wv.make_plan("applications", day[:7], day)

    wv.wire_stages("applications", plan())


dibao_application_check()
