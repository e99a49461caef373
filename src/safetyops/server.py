"""`safetyops serve` and `safetyops demo`: run the web/API server and load the demo project."""

from __future__ import annotations

import typer

from safetyops.clikit import console, say


def serve_command(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, help="port"),
    workers: int = typer.Option(1, help="server processes (each with its own connection pool)"),
    access_log: bool = typer.Option(False, help="log every request"),
) -> None:
    """Start the web/API server (migrating the database first).

    Example: safetyops serve --host 0.0.0.0 --port 8000 --workers 2
    """
    import uvicorn

    from safetyops.db.engine import get_engine
    from safetyops.db.migrate import upgrade

    engine = get_engine()
    upgrade(engine)
    engine.dispose()
    say(f"SafetyOps on http://{host}:{port}  (API docs: http://{host}:{port}/api/v1/docs)")
    uvicorn.run(
        "safetyops.api:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        log_level="warning",
    )


def demo_command(overlap: int = typer.Option(3, help="labels needed per item")) -> None:
    """Load the demo: users, a vendor, 8 labelers and the ConvAbuse project (skipped if it exists).

    Example: safetyops demo   (then sign in as 'ops' or 'annotator1', password 'safetyops-demo')
    """
    from safetyops import demo
    from safetyops.db.engine import get_engine
    from safetyops.db.migrate import upgrade

    engine = get_engine()
    upgrade(engine)
    if demo.demo_exists(engine):
        say(f"the demo project '{demo.DEMO_PROJECT}' is already loaded")
        return
    with console.status("loading the ConvAbuse demo…"):
        result = demo.load_demo(engine, overlap=overlap)
    run = result["aggregation"]
    say(
        f"demo project {result['project_id']}: {result['items']} items, {result['labels']} historical labels "
        f"from {len(result['labelers'])} annotators.\n"
        f"Dawid–Skene final labels for {run['n_items']} items ({run['iterations']} iterations, "
        f"{run['n_review']} sent to expert review).\nData: {demo.CREDIT}\n"
        f"Sign in as admin, ops, vendor.lead, qa, policy, requester or annotator1…8 "
        f"with password '{demo.DEMO_PASSWORD}'.\nAPI token for ops: {result['ops_token']}"
    )
