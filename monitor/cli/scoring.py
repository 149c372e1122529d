"""Scoring commands: `score` (with a what-if `--dry-run`), `calibrate`, and `inputs template|import`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from monitor.cli.output import lazy_console

console = lazy_console()
err = lazy_console(stderr=True)


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[red]error:[/red] {message}", markup=True, highlight=False)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add `score`, `calibrate` and the `inputs` group to the creditwatch CLI."""
    inputs_app = typer.Typer(
        help="Manual inputs of the index models (XLSX template and import).", no_args_is_help=True
    )
    app.add_typer(inputs_app, name="inputs")

    @inputs_app.command("template")
    def inputs_template(
        out: Annotated[Path, typer.Option("--out", help="XLSX file to write.", dir_okay=False)],
        model: Annotated[
            str, typer.Option("--model", help="Index model (config/index_models).")
        ] = "jiangsu2016",
    ) -> None:
        """Write an XLSX with one row per manual input of MODEL (code, name, unit, range, departments, value)."""
        from scoring.manual import write_template
        from scoring.model import ModelFileError, load_model

        try:
            m = load_model(model)
        except ModelFileError as exc:
            _fail(str(exc))
        rows = write_template(m, out)
        console.print(f"{out}: {rows} manual inputs of {m.name} {m.version}")

    @inputs_app.command("import")
    def inputs_import(
        file: Annotated[Path, typer.Argument(help="Filled template (.xlsx).", exists=True, dir_okay=False)],
        month: Annotated[str, typer.Option("--month", help="Month the figures describe, YYYY-MM.")],
        city: Annotated[
            str | None, typer.Option("--city", help="Division code (default: settings home_city).")
        ] = None,
        model: Annotated[
            str | None, typer.Option("--model", help="Override the model named in the file.")
        ] = None,
    ) -> None:
        """Validate FILE and store its values in one transaction: any bad row rejects the whole file."""
        from config.settings import get_settings
        from monitor.cli.checks import check_cities, check_month
        from monitor.cli.errors import refusals
        from monitor.cli.sniff import require
        from scoring.manual import ManualImportError, import_inputs
        from storage.db import session_scope

        with refusals():
            require(file, "xlsx")
            month = check_month(month)
        try:
            with session_scope() as session:
                with refusals():
                    (code,) = check_cities(session, [city or get_settings().home_city])
                m, n = import_inputs(session, file, month, code, model)
        except ManualImportError as exc:
            _fail(str(exc))
        console.print(f"{file.name}: {n} values of {m.name} stored for {code}, {month}")

    @app.command("score")
    def score(
        month: Annotated[str, typer.Option("--month", help="Month to score, YYYY-MM.")],
        model: Annotated[
            str | None, typer.Option("--model", help="Index model (default: settings index_model).")
        ] = None,
        version: Annotated[
            str | None, typer.Option("--version", help="Model version (archived in versions/).")
        ] = None,
        city: Annotated[
            list[str] | None, typer.Option("--city", help="Score these cities (default: configured peers).")
        ] = None,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="What-if: compute, compare with stored, store nothing.")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    ) -> None:
        """Compute the index for every configured city and store it per model version (re-scoring replaces)."""
        from config.settings import get_settings
        from monitor.cli.checks import check_cities, check_month
        from monitor.cli.errors import refusals
        from scoring.model import ModelFileError, load_model
        from scoring.store import compare, compute_month, configured_cities, store_results, stored_scores
        from storage.db import session_scope

        with refusals():
            month = check_month(month)
        try:
            m = load_model(model or get_settings().index_model, version)
        except (ValueError, ModelFileError) as exc:
            _fail(str(exc))
        peers = configured_cities()
        with session_scope() as session:
            with refusals():
                chosen = check_cities(session, city, peers) if city else peers
            # A rank only means something among the whole peer set: cities named with --city are ranked
            # among the configured peers too, and only theirs are kept, so a one-city run can never store a
            # one-city ranking (rank 1) over the real one.
            from monitor.cli.progress import spinner

            wanted = list(dict.fromkeys([*peers, *chosen]))
            with spinner(f"正在计算 {month} 指数（{len(wanted)} 个城市）"):
                ranked = compute_month(session, m, month, wanted)
            results = [r for r in ranked if r.division_code in set(chosen)]
            if len(ranked) > len(results) and not as_json:
                err.print(f"排名在 {len(ranked)} 个同组城市中计算，保存所选的 {len(results)} 个")
            if dry_run:
                stored = stored_scores(session, m.name, month)
                versions = sorted({row.model_version for row in stored if row.model_version != m.version})
                base_version = versions[-1] if versions else m.version
                changes = compare([row for row in stored if row.model_version == base_version], results)
                session.rollback()
            else:
                store_results(session, results)
        if as_json:
            print(json.dumps([{"division_code": r.division_code, "name": r.name, "total": r.total, "rank": r.rank,
                               "aspects": r.aspects_json()} for r in results], ensure_ascii=False, indent=1))  # fmt: skip
            return
        if dry_run:
            from rich.table import Table

            table = Table("rank", "city", "name", f"{base_version} total", f"{m.version} total", "Δ", "rank was",
                          title=f"what-if {m.name} {m.version} vs stored {base_version}, {month} (nothing stored)")  # fmt: skip
            for c in changes:
                table.add_row(
                    str(c.new_rank), c.division_code, c.name,
                    "—" if c.old_total is None else f"{c.old_total:.2f}", f"{c.new_total:.2f}",
                    "—" if c.delta is None else f"{c.delta:+.2f}", "—" if c.old_rank is None else str(c.old_rank),
                )  # fmt: skip
            console.print(table)
            return
        from rich.table import Table

        table = Table("rank", "city", "name", "total", "events", "missing",
                      title=f"{m.name} {m.version}, {month}: stored {len(results)} cities")  # fmt: skip
        for r in results:
            net = sum(e.net for e in r.events) + sum(t.bonus for t in r.trust_events)
            table.add_row(
                str(r.rank), r.division_code, r.name, f"{r.total:.2f}" + (" vetoed" if r.vetoed else ""),
                f"{net:+.2f}", str(len(r.missing)),
            )  # fmt: skip
        console.print(table)
        console.print(f"{len(m.assumptions())} parameters are assumptions (stored with every score).")

    @app.command("calibrate")
    def calibrate_cmd(
        model: Annotated[str, typer.Option("--model", help="A band model (free base/span).")] = "jiangsu2016",
        as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
    ) -> None:
        """Fit the model's free parameters to the published index values, using the inputs in the database."""
        from scoring.calibrate import calibrate, load_published
        from scoring.inputs import gather_inputs
        from scoring.model import ModelFileError, load_model
        from storage.db import session_scope

        try:
            m = load_model(model)
        except ModelFileError as exc:
            _fail(str(exc))
        published = load_published()
        observations = []
        with session_scope() as session:
            for month in dict.fromkeys(p.month for p in published):
                mine = [p for p in published if p.month == month]
                by_code = {
                    i.division_code: i for i in gather_inputs(session, m, month, [p.code for p in mine])
                }
                observations += [(p, by_code[p.code]) for p in mine]
        try:
            report = calibrate(m, observations)
        except ValueError as exc:
            _fail(str(exc))
        if as_json:
            print(json.dumps(report.as_json(), ensure_ascii=False, indent=1))
            return
        console.print(
            f"{m.name} {m.version}: {report.n} published values, {report.n_with_inputs} with inputs"
        )
        console.print(f"  base {report.base_before:g} → {report.base_after:g}; span {report.span_before:g} → "
                      f"{report.span_after:g}{'' if report.span_identifiable else ' (not identifiable: kept)'}")  # fmt: skip
        console.print(f"  RMSE {report.rmse_before:.3f} → {report.rmse_after:.3f} (MAE {report.mae_after:.3f}); "
                      f"with a base per list {report.rmse_per_list_base:.3f}")  # fmt: skip
        for key, figures in report.per_list.items():
            console.print(f"  {key}: {figures}")
        for note in report.notes:
            console.print(f"  note: {note}")
