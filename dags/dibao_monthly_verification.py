"""低保月度核对 / the monthly check of the whole roster, as an Airflow DAG.

Thin: every task calls a stage of `pipelines.jobs`; see pipelines/jobs/airflow_support.py for the
configuration (data directory, schemas, Spark cluster connection).
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import AssetAll, AssetOrTimeSchedule, CronTriggerTimetable, Param, dag, task

from pipelines.jobs import airflow_support as wv

LANDING = [wv.landing_asset(s) for s in wv.configured_sources()]

DOC = """
## 低保月度核对 · Monthly roster verification

**中文**：每月 5 日 06:00（北京时间）核对上月在保的全部低保家庭；各部门数据全部送达（每个来源的
资产更新）时也会自动运行。按来源并行：取数（pull）→ 读入（ingest）→ 质量关（validate，Great
Expectations）。取数只用足够新的数据：每个来源的截至日期须在其 schema 的 `freshness` 期限内（如户籍、
火化、羁押不早于上月末，银行、证券、不动产、车辆不早于三个月前的月末）；过旧时该来源的取数任务
等待新数据（默认自运行日期起 72 小时，WV_EXTRACT_WAIT_HOURS），仍无则失败并说明来源、截至日期、期限
与核对月份，不重试，也不用旧数据核对。某一来源被质量关拒收时，只有该来源的任务失败，并在日志中给出报告路径，后续阶段
不再运行，其他来源的结果保留。之后依次：比对关联（link）→ 家庭收入财产（household）→ 规则判定
（evaluate）→ 待核实事项（flags）→ 漏保线索（outreach）→ 发布（publish，写运行清单）→ 报告（report）。
重跑同一月份会替换该月的结果，不影响其他月份。结果只是需要工作人员核实的事项，不是对任何家庭的决定。

**English**: on the 5th of each month at 06:00 Asia/Shanghai, checks every household of the roster
for the previous month; also runs when every registry has delivered a fresh extract (its asset
updated). Per source, in parallel: pull → ingest → validate (Great Expectations). Pull takes
only an extract within the source's freshness limit (`freshness:` in its schema: 户籍, cremation
and custody no older than the previous month's close; bank, securities, real estate and vehicles
within three months); a staler one makes the pull wait for a new extract (72 hours from the run's
date by default, WV_EXTRACT_WAIT_HOURS), then fail without retries, naming the source, its as-of
date, the limit and the month — the month is never checked against old data. A critical
failure fails only that source's validate task, with the report's path in the log; downstream
stages do not run and the other sources' work is kept. Then link → household → evaluate → flags →
outreach (漏保) → publish (the run's manifest) → report. Tasks pass paths, never data; a rerun of a
month replaces that month's outputs and nothing else. Flags are points for staff to review.

**Params**: `month` (YYYY-MM) to check a given month; empty = the month before the run date, or
the month of the extracts that triggered it. Outputs: `<data>/runs/<month>-monthly/`.
"""


@dag(
    dag_id="dibao_monthly_verification",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 6 5 * *", timezone=wv.TIMEZONE),
        assets=AssetAll(*LANDING),
    ),
    start_date=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    default_args=wv.default_args(),
    tags=["dibao", "低保", "monthly", "verification"],
    doc_md=DOC,
    params={"month": Param(None, type=["null", "string"], pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                           description="month checked, YYYY-MM (empty: the previous month)")},
)
def dibao_monthly_verification():
    @task(retries=0)
    def plan(**context) -> dict:
        month = wv.monthly_month(context["params"], context.get("triggering_asset_events"),
                                 context["dag_run"].run_after)
        return wv.make_plan("monthly", month)

    wv.wire_stages("monthly", plan())


dibao_monthly_verification()
