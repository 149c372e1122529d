"""Judging a long item by its body sentences, when its title says nothing.

A report whose title is a neutral first line (a market check, a seizure, a failed inspection) carries its facts in
the body, and the classifier, which reads the title and a short body lead, calls it `other`. Body sentences have the
shape of headlines — short statements of fact — so the same classifier reads them as titles: when enough of the
first sentences of a long body are confidently one credit kind, the body's verdict (kind and domain) replaces the
title's. Every threshold below was chosen on training-side items only (docs/labelling.md, "Reading the body").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from nlp import lexicon
from nlp.tokens import tokens_shared

if TYPE_CHECKING:
    from nlp.classifier import CreditClassifier, Prediction

# On by default: with it every quality floor held (out of source, in split, cities) and the whole `creditwatch
# classify` process stays at 169-196 full articles/s (docs/performance.md). False keeps the title-and-lead verdict
# alone.
BODY_READING = True

# Every threshold was chosen on two training-side development sets, never on the out-of-source yardstick: the 332
# pending Tencent full articles judged by their body (nlp/data/handpicked_pending/qqnews_body.tsv and
# qqnews_long_incidents.tsv, never trained on) and the 345 train items with a body of 200+ characters, each predicted
# by leave-one-source-out models that never saw its source. The grid (body 200/250/300 characters, 4-12 sentences,
# sentence confidence 0.3-0.7, 1-3 sentences, share 0-0.5, title confidence 0/0.3/0.5) and its figures are in
# docs/labelling.md, "Reading the body".
#
# Bodies from this length are read: 200 beat 300 on the leave-one-source-out items (kind 0.511 against 0.486, 15
# items put right against 3) at one item more put wrong on the Tencent set. The classifier reads a 300-character lead,
# but as one text; its sentences read one by one as headlines say more.
MIN_BODY_CHARS = 200
# The title's verdict is revisited only when it is `other`: also revisiting credit kinds under 0.3 confidence fixed
# a few Tencent items and broke more (Tencent set: 4 right, 12 wrong at the best such setting).
TITLE_CONFIDENCE = 0.0
# Sentences read, from the start of the body (the event is told first): 5 put the fewest items wrong (Tencent set
# +2/-1 at 5, +2/-3 at 6, +3/-4 at 8, +3/-3 at 10; 15 right on the leave-one-source-out items at each).
MAX_SENTENCES = 5
# Shorter pieces are bylines, captions or fragments; longer ones are cut (a headline is rarely longer). Set by reading
# how the Tencent bodies split, not tuned.
MIN_SENTENCE_CHARS = 8
MAX_SENTENCE_CHARS = 80
# A sentence votes for a kind when the classifier gives that kind (its pick after the prior adjustment) at least
# this calibrated probability: 0.35 and 0.4 were level (0.35 one item more right on each set, kind and domain within
# 0.005), 0.4 is the stricter; 0.3 lost domain on the leave-one-source-out items (0.530 against 0.577), and from 0.5
# up fewer bodies get a verdict and that domain falls too (0.536 against 0.582 at six sentences).
SENTENCE_CONFIDENCE = 0.4
# The body's verdict needs at least MIN_SENTENCES votes for its kind and at least this share of the sentences read:
# a quarter means two of five sentences (one when the body has four or fewer). One vote of five moved as many items
# wrong as right (Tencent set +4/-17); a third (two of four) was as clean on the Tencent set and found fewer
# institution documents among the leave-one-source-out items (9 against 15 right).
MIN_SENTENCES = 1
SENTENCE_SHARE = 0.25

_SENTENCE_END = re.compile(r"[。！？；!?;\n]+")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_URL = re.compile(r"https?://\S+")
_MARKUP = re.compile(r"[*_#>`|]+")
# A dateline at the head of a sentence: 新华社北京5月3日电（记者 张三）, 本报讯, 【环球网报道 记者 …】.
_DATELINE = re.compile(
    r"^(?:[^，。]{0,16}?\d{1,2}月\d{1,2}日(?:电|讯)|本[报网刊台]讯)\s*(?:[（(][^）)]{0,30}[）)])?\s*"
    r"|^【[^】]{0,40}】\s*|^[（(](?:记者|通讯员)[^）)]{0,30}[）)]\s*"
)
# Bylines, sources, picture captions and reader notices: no event in them. Only short pieces are skipped for these
# words (a sentence of an event may well say 记者从警方获悉).
BOILERPLATE_CHARS = 30
_BOILERPLATE = re.compile(
    r"记者|编辑|来源[：:]|原标题|图源|图片来源|资料图|责任编辑|校对|审核|报料|转载|版权|二维码|点击|关注我们|"
    r"扫码|下载|客户端|公众号"
)


@dataclass(frozen=True, slots=True)
class BodyVerdict:
    """What the body's sentences say: the kind they agree on, how many sentences and how sure."""

    kind: str
    sentences: int
    confidence: float


def sentences(body: str, limit: int = MAX_SENTENCES) -> list[str]:
    """The body's first `limit` sentences that can carry an event: split on 。！？； and line breaks, markup, links
    and datelines removed, bylines, sources and captions skipped, each cut to MAX_SENTENCE_CHARS."""
    text = _URL.sub("", _LINK.sub(r"\1", _IMAGE.sub("", body)))
    out: list[str] = []
    for piece in _SENTENCE_END.split(text):
        s = _DATELINE.sub("", _MARKUP.sub("", piece).strip()).strip()
        if len(s) < MIN_SENTENCE_CHARS or (len(s) < BOILERPLATE_CHARS and _BOILERPLATE.search(s)):
            continue
        out.append(s[:MAX_SENTENCE_CHARS])
        if len(out) == limit:
            break
    return out


def due(prediction: Prediction, body: str) -> bool:
    """Whether this item's body is read: a long body under a title read as `other` (or as an unsure credit kind)."""
    if len(body.strip()) < MIN_BODY_CHARS:
        return False
    return prediction.kind == "other" or prediction.confidence < TITLE_CONFIDENCE


def verdict(kinds: Sequence[str], proba: np.ndarray, picks: np.ndarray) -> BodyVerdict | None:
    """The body's kind from its sentences' kind probabilities (`picks`: each sentence's prior-adjusted choice),
    or None when fewer than MIN_SENTENCES sentences, or fewer than SENTENCE_SHARE of them, are confidently one
    credit kind."""
    votes: dict[str, list[float]] = {}
    for row, pick in zip(proba, picks, strict=True):
        kind, p = str(kinds[int(pick)]), float(row[int(pick)])
        if kind != "other" and p >= SENTENCE_CONFIDENCE:
            votes.setdefault(kind, []).append(p)
    if not votes:
        return None
    # most sentences first, then the surer ones
    kind, ps = max(votes.items(), key=lambda kv: (len(kv[1]), sum(kv[1])))
    if len(ps) < max(MIN_SENTENCES, SENTENCE_SHARE * len(picks)):
        return None
    return BodyVerdict(kind, len(ps), float(np.mean(ps)))


def revise(
    model: CreditClassifier, items: Sequence[dict[str, Any]], predictions: list[Prediction]
) -> list[Prediction]:
    """The predictions with each due item's verdict replaced by its body's, where the body gives one."""
    from nlp.classifier import Prediction, to_matrix

    due_items: list[tuple[int, list[str]]] = []
    for n, (item, pred) in enumerate(zip(items, predictions, strict=True)):
        body = str(item.get("body") or "")
        if due(pred, body):
            found = sentences(body)
            if len(found) >= MIN_SENTENCES:
                due_items.append((n, found))
    if not due_items:
        return predictions
    flat = [s for _, found in due_items for s in found]
    # each sentence read as a title with no body, the shape the classifier learnt headlines in
    x = to_matrix((s, "") for s in flat)
    out = list(predictions)
    with tokens_shared():  # the kind and domain pipelines segment each sentence once between them
        kp = model.kind_model.predict_proba(x)
        kinds = model.kind_model.classes_
        k_pick = (kp / model._priors("kind_priors", kinds)).argmax(axis=1)
        found_verdicts: list[tuple[int, BodyVerdict, np.ndarray]] = []
        start = 0
        for n, found in due_items:
            rows = np.arange(start, start + len(found))
            start += len(found)
            v = verdict(list(kinds), kp[rows], k_pick[rows])
            if v is not None:
                kind_at = list(kinds).index(v.kind)
                agree = rows[(k_pick[rows] == kind_at) & (kp[rows, kind_at] >= SENTENCE_CONFIDENCE)]
                found_verdicts.append((n, v, agree))
        if not found_verdicts:
            return out
        agreeing = np.concatenate([a for _, _, a in found_verdicts])
        dp = model.domain_model.predict_proba(x[agreeing])
    domains = model.domain_model.classes_
    d_priors = model._priors("domain_priors", domains, "domain_prior_alpha")
    start = 0
    for n, v, agree in found_verdicts:
        mean = dp[start : start + len(agree)].mean(axis=0)
        start += len(agree)
        pick = int((mean / d_priors).argmax())
        domain = str(domains[pick])
        item = items[n]
        text = f"{item.get('title') or ''} {' '.join(str(x[i, 0]) for i in agree)}"
        sub = lexicon.subdomain_for(domain, text)
        conf = round(v.confidence * float(mean[pick]), 4)
        out[n] = Prediction(predictions[n].id, v.kind, domain, sub, conf)
    return out
