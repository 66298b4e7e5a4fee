"""The ``crisisdesk`` command."""

from __future__ import annotations

import typer

from crisisdesk.cli import (
    analysis_cmds,
    channels_cmds,
    cluster_cmds,
    config_cmds,
    demo_cmd,
    detection_cmds,
    ingest_cmds,
    query_cmd,
    reply_cmd,
    retrain_cmd,
    review_cmd,
    serve_cmd,
    situation_cmds,
    users_cmds,
    workspace_cmds,
)

app = typer.Typer(
    name="crisisdesk",
    help="Social-media crisis management hub: listen, understand, detect, escalate, respond.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

app.command("init")(workspace_cmds.init)
app.command("monitors")(workspace_cmds.monitors)
app.command("check-query")(query_cmd.check_query)
app.command("check-reply")(reply_cmd.check_reply_cmd)
app.command("import")(ingest_cmds.import_)
app.command("replay")(ingest_cmds.replay)
app.command("serve")(serve_cmd.serve)
app.command("worker")(cluster_cmds.worker)
app.command("status")(cluster_cmds.status)
app.command("migrate-to")(cluster_cmds.migrate_to)
app.add_typer(cluster_cmds.bus_app)
app.add_typer(channels_cmds.channels_app)
app.command("analyze")(analysis_cmds.analyze)
app.command("train")(analysis_cmds.train)
app.command("retrain")(retrain_cmd.retrain)
eval_app = typer.Typer(
    name="eval", no_args_is_help=True,
    help="Measure quality: the analysis against labelled posts, detection against labelled streams.",
)
for _task, _help in (("sentiment", "Score sentiment against labelled posts."),
                     ("insult", "Score the insult label against labelled posts."),
                     ("complaints", "Score complaint types against labelled posts.")):
    eval_app.command(_task, help=_help)(analysis_cmds.evaluate_task(_task))
eval_app.command("detection")(detection_cmds.eval_detection)
app.add_typer(eval_app)
app.command("label")(analysis_cmds.label)
app.command("demo")(demo_cmd.demo)
app.command("situations")(situation_cmds.situations)
app.command("ack")(situation_cmds.ack)
app.command("review")(review_cmd.review)
app.add_typer(users_cmds.users_app)
app.add_typer(config_cmds.config_app)

if __name__ == "__main__":
    app()
