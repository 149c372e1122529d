"""Data entry: the index models' statistical inputs per city and month (monitor.entry)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from models import ManualInput, now
from monitor.corrections import city_choices
from monitor.entry import EntryError, enter_input, input_choices
from monitor.web.deps import Analyst, Db, PostAnalyst
from monitor.web.params import NoControls, NoLineControls
from monitor.web.templating import applied, refused, render

router = APIRouter()


@router.get("/entry/inputs", response_class=HTMLResponse)
def inputs_form(request: Request, *, user: Analyst, db: Db) -> HTMLResponse:
    settings = request.app.state.settings
    recent = list(
        db.scalars(
            select(ManualInput)
            .where(ManualInput.model_name == settings.index_model)
            .order_by(ManualInput.imported_at.desc(), ManualInput.id.desc())
            .limit(20)
        )
    )
    choices = input_choices(settings.index_model)
    return render(
        request,
        "entry_inputs.html",
        {
            "choices": choices,
            "labels": {c.code: c.label for c in choices},
            "city_options": city_choices(request.app.state.settings.scored_cities),
            "home_label": city_choices([settings.home_city])[0][1],
            "month": now().strftime("%Y-%m"),
            "recent": recent,
            "names": dict(city_choices(r.division_code for r in recent)),
            "model_name": settings.index_model,
        },
    )


@router.post("/entry/inputs")
def inputs_submit(
    request: Request,
    *,
    city: Annotated[str, Form(min_length=1, max_length=40), NoControls],
    month: Annotated[str, Form(min_length=7, max_length=7, pattern=r"^\d{4}-\d{2}$")],
    code: Annotated[str, Form(min_length=1, max_length=64), NoControls],
    value: Annotated[str, Form(min_length=1, max_length=32), NoControls],
    source: Annotated[str, Form(min_length=1, max_length=200), NoControls],
    note: Annotated[str, Form(max_length=500), NoLineControls] = "",
    user: PostAnalyst,
    db: Db,
) -> Response:
    settings = request.app.state.settings
    try:
        division, number, previous = enter_input(
            db,
            model_name=settings.index_model,
            city=city,
            month=month,
            code=code,
            value=value,
            source=source,
            note=note,
            user=user.username,
            cities=request.app.state.settings.scored_cities,
        )
    except EntryError as exc:
        return refused(request, db, exc, "/entry/inputs")
    was = f"（原值 {previous:g}）" if previous is not None else ""
    city_label = dict(city_choices([division])).get(division, division)
    return applied(
        request, db, f"已录入 {city_label} {month} {code} = {number:g}{was}，指数已重新计算", "/entry/inputs"
    )
