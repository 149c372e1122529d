"""Reprint clustering: articles about the same story across sites and days grouped into one event.

Two signals, as the reprint literature does it for Chinese news:
- character shingles of the normalised title + body, summarised as a MinHash signature (numpy, multiply-shift
  hashing) and indexed with LSH banding, so a new article only meets the few events that could match it;
- jieba keywords of the title (place names and one-character words dropped), the second check that separates a
  rewritten reprint or a follow-up from an unrelated story that shares a template or a city.

A candidate joins an event when, within the time window and with compatible cities, one of the event's
representative articles is a near duplicate (estimated Jaccard, or containment for a reprint wrapped in extra
boilerplate), or its title keywords overlap strongly with some shared text, or - for a follow-up in the same
city - its title keywords overlap strongly on their own. The in-memory `ClusterIndex` is the engine; the database
layer (`processing.clustering.cluster_articles`) keeps its state in `Event.signature` and rebuilds the index from
the events still inside the window, so clustering is incremental and survives restarts.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

# NumPy is imported inside the functions that compute with it: `creditwatch process` with nothing new to cluster
# imports this module for its types and rules only, and NumPy's import is a fifth of a second.

logger = logging.getLogger(__name__)

SIGNATURE_VERSION = 1
# Keep letters, digits and CJK; punctuation, spaces and full-width forms differ between reprints for no reason.
_DROP = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff]+")
# Reprint wrappers that say nothing about the story.
_WRAPPERS = re.compile(r"(原标题|来源|责任编辑|编辑|记者|本报讯|通讯员|新华社|中新网|央视网消息)")
_STOPWORDS = frozenset(
    "我们 你们 他们 这个 那个 一个 一些 什么 如何 为何 怎么 没有 可以 已经 进行 通过 表示 记者 今天 昨天 "
    "目前 有关 相关 情况 问题 工作 发布 通报 回应 网友 视频 曝光 最新 原标题 来源 新闻 消息 热点 快讯 独家 "
    "现场 官方 部门 当地 一名 一家 一起 多名 多人 其中 以及 同时 对于 因为 所以 但是 还是 或者 而且".split()
)


@dataclass(frozen=True)
class ClusterParams:
    """Tuned on the gathered reprint pairs (see docs/events.md); all of them are configuration."""

    shingle_k: int = 4
    num_perm: int = 128
    bands: int = 42
    rows: int = 3
    max_chars: int = 4000  # head of the body that is signed: reprints agree at the top, diverge in the tail
    window: timedelta = timedelta(days=7)
    jaccard: float = 0.45  # estimated Jaccard of shingle sets: a reprint
    containment: float = 0.7  # the smaller text is mostly inside the larger one: a reprint with extras
    containment_min_jaccard: float = 0.12
    title_sim: float = 0.75  # IDF-weighted title keywords overlap ...
    title_min_jaccard: float = 0.06  # ... and the texts share something beyond chance
    followup_title_sim: float = 0.5  # same city, strong keyword overlap, no text in common: a follow-up
    followup_min_keywords: int = 2  # also: shared title keywords that make an event a candidate
    max_keyword_postings: int = 200
    max_reps: int = 8  # representative articles kept per event (a story drifts as it is rewritten)
    rep_novelty: float = 0.8  # a member this close to a representative adds nothing as a representative
    kinds: tuple[str, ...] = ("trust", "distrust")

    @classmethod
    def from_mapping(cls, data: dict[str, Any] | None) -> ClusterParams:
        """Build from the `clustering` section of config/incidents.yaml (unknown keys are an error)."""
        data = dict(data or {})
        if "window_days" in data:
            data["window"] = timedelta(days=float(data.pop("window_days")))
        if "kinds" in data:
            data["kinds"] = tuple(data["kinds"])
        known = set(cls.__dataclass_fields__)
        bad = set(data) - known
        if bad:
            raise ValueError(f"unknown clustering parameters: {sorted(bad)}")
        params = cls(**data)
        if params.bands * params.rows > params.num_perm:
            raise ValueError("clustering: bands * rows must not exceed num_perm")
        return params


@dataclass(frozen=True)
class Signature:
    """What clustering keeps of an article: MinHash of its shingle set, the set's size, its title keywords."""

    minhash: np.ndarray  # uint32, length num_perm
    size: int
    keywords: frozenset[str]
    places: frozenset[str] = frozenset()  # division codes named in the title

    def to_json(self) -> dict[str, Any]:
        return {
            "mh": self.minhash.tolist(),
            "n": self.size,
            "kw": sorted(self.keywords),
            "pl": sorted(self.places),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Signature:
        import numpy as np

        return cls(
            np.asarray(data["mh"], dtype=np.uint32),
            int(data["n"]),
            frozenset(data.get("kw", ())),
            frozenset(data.get("pl", ())),
        )


@dataclass(frozen=True)
class Match:
    similarity: float  # estimated Jaccard of the best representative
    containment: float
    title_sim: float
    rule: str  # reprint | containment | title | follow-up


def normalise(text: str) -> str:
    """NFKC, lower case, reprint wrappers and everything but letters/digits/CJK removed."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return _DROP.sub("", _WRAPPERS.sub("", text))


class Signer:
    """Computes signatures; one instance holds the random permutations (seeded, so signatures are stable)."""

    def __init__(self, params: ClusterParams | None = None, seed: int = 20191) -> None:
        import numpy as np

        self.params = params or ClusterParams()
        rng = np.random.default_rng(seed)
        n = self.params.num_perm
        # Multiply-shift hashing: (a*x + b) mod 2^64, top 32 bits. a odd. A 2-universal family, fast in numpy.
        self._a = (rng.integers(0, 2**63, size=n, dtype=np.uint64) * np.uint64(2) + np.uint64(1))[:, None]
        self._b = rng.integers(0, 2**63, size=n, dtype=np.uint64)[:, None]
        k = self.params.shingle_k
        self._powers = np.array([pow(1_000_003, k - 1 - j, 2**64) for j in range(k)], dtype=np.uint64)

    def shingle_hashes(self, text: str) -> np.ndarray:
        """64-bit hashes of the k-character shingles of the normalised text (repeats kept: MinHash ignores them,
        and de-duplicating costs more than the hashing)."""
        import numpy as np

        norm = normalise(text)
        k = self.params.shingle_k
        if not norm:
            return np.empty(0, dtype=np.uint64)
        codes = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        if len(codes) < k:
            codes = np.concatenate([codes, np.zeros(k - len(codes), dtype=np.uint64)])
        windows = np.lib.stride_tricks.sliding_window_view(codes, k)
        with np.errstate(over="ignore"):
            h = (windows * self._powers).sum(axis=1, dtype=np.uint64)
            # splitmix64 finaliser: spreads the polynomial hash over all 64 bits.
            h ^= h >> np.uint64(30)
            h *= np.uint64(0xBF58476D1CE4E5B9)
            h ^= h >> np.uint64(27)
            h *= np.uint64(0x94D049BB133111EB)
            h ^= h >> np.uint64(31)
        return h

    def minhash(self, hashes: np.ndarray) -> np.ndarray:
        import numpy as np

        if hashes.size == 0:
            return np.full(self.params.num_perm, np.iinfo(np.uint32).max, dtype=np.uint32)
        with np.errstate(over="ignore"):
            mixed = (self._a * hashes[None, :] + self._b) >> np.uint64(32)
        return mixed.min(axis=1).astype(np.uint32)

    def sign(self, title: str, body: str, keywords: frozenset[str] | None = None) -> Signature:
        text = f"{title}\n{(body or '')[: self.params.max_chars]}"
        hashes = self.shingle_hashes(text)
        mh = self.minhash(hashes)
        kw, places = title_terms(title)
        return Signature(
            mh, min(int(hashes.size), cardinality(mh)), kw if keywords is None else keywords, places
        )

    def band_keys(self, minhash: np.ndarray) -> list[int]:
        """One 64-bit key per LSH band (the band's rows hashed together with the band number)."""
        import numpy as np

        b, r = self.params.bands, self.params.rows
        rows = minhash[: b * r].astype(np.uint64).reshape(b, r)
        with np.errstate(over="ignore"):
            key = np.arange(b, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
            for j in range(r):
                key = (key ^ rows[:, j]) * np.uint64(0x100000001B3)
        return [int(k) for k in key.tolist()]


def cardinality(minhash: np.ndarray) -> int:
    """Distinct shingles estimated from the MinHash itself: k minima of uniform 32-bit hashes, (k-1)/Σu."""
    import numpy as np

    u = (minhash.astype(np.float64) + 1.0) / 2.0**32
    return max(1, round((len(minhash) - 1) / float(u.sum())))


@lru_cache(maxsize=1)
def _place_names() -> frozenset[str]:
    from nlp.gazetteer import get_gazetteer

    return frozenset(get_gazetteer().names())


def title_terms(title: str) -> tuple[frozenset[str], frozenset[str]]:
    """Content words of a title (jieba: two or more characters, no stop words, no place names, no numbers) and
    the division codes of the place names it contains (a name shared by several divisions gives all of them)."""
    from nlp.gazetteer import get_gazetteer
    from nlp.tokens import tokenize

    names = _place_names()
    out: set[str] = set()
    places: set[str] = set()
    for w in tokenize(unicodedata.normalize("NFKC", title or "").lower()):
        w = w.strip()
        if w in names:
            places.update(d.code for d in get_gazetteer().lookup(w))
            continue
        if len(w) < 2 or w in _STOPWORDS or w.isdigit() or not _DROP.sub("", w):
            continue
        out.add(w)
    return frozenset(out), frozenset(places)


def title_keywords(title: str) -> frozenset[str]:
    return title_terms(title)[0]


def places_conflict(a: frozenset[str], b: frozenset[str]) -> bool:
    """Both titles name places and none of them is compatible: two local versions of a template, not one story."""
    if not a or not b:
        return False
    return not any(cities_compatible(x, y) for x in a for y in b)


def cities_compatible(a: str | None, b: str | None) -> bool:
    """Unknown cities never block; otherwise one division must contain the other (江阴 320281 ⊂ 无锡 320200)."""
    if not a or not b:
        return True

    def stem(code: str) -> str:
        if code.endswith("0000"):
            return code[:2]
        return code[:4] if code.endswith("00") else code

    sa, sb = stem(a), stem(b)
    return sa.startswith(sb) or sb.startswith(sa)


def same_city(a: str | None, b: str | None) -> bool:
    return bool(a and b and a[:4] == b[:4] and not a.endswith("0000"))


def estimate_jaccard(a: Signature, b: Signature) -> float:
    import numpy as np

    return float(np.count_nonzero(a.minhash == b.minhash)) / len(a.minhash)


def estimate_containment(a: Signature, b: Signature, jaccard: float) -> float:
    """|A∩B| / min(|A|,|B|) from the Jaccard estimate and the set sizes."""
    small = min(a.size, b.size)
    if small == 0:
        return 0.0
    inter = jaccard * (a.size + b.size) / (1.0 + jaccard)
    return min(1.0, inter / small)


Weights = Callable[[str], float]


def _unit(_: str) -> float:
    return 1.0


def keyword_sim(a: frozenset[str], b: frozenset[str], weight: Weights = _unit) -> float:
    """Weighted overlap of two keyword sets, relative to the smaller one (a rewritten title adds words)."""
    if not a or not b:
        return 0.0
    shared = sum(weight(w) for w in a & b)
    wa, wb = sum(weight(w) for w in a), sum(weight(w) for w in b)
    denom = min(wa, wb) if min(len(a), len(b)) >= 2 else max(wa, wb)
    return shared / denom if denom > 0 else 0.0


def compare(
    a: Signature, b: Signature, params: ClusterParams, *, same_city_known: bool, weight: Weights = _unit
) -> Match | None:
    """The decision for one pair of signatures: a Match when they tell the same story, else None."""
    if places_conflict(a.places, b.places):
        return None
    j = estimate_jaccard(a, b)
    c = estimate_containment(a, b, j)
    t = keyword_sim(a.keywords, b.keywords, weight)
    if j >= params.jaccard:
        return Match(j, c, t, "reprint")
    if c >= params.containment and j >= params.containment_min_jaccard:
        return Match(j, c, t, "containment")
    if t >= params.title_sim and j >= params.title_min_jaccard:
        return Match(j, c, t, "title")
    if (
        same_city_known
        and t >= params.followup_title_sim
        and len(a.keywords & b.keywords) >= params.followup_min_keywords
    ):
        return Match(j, c, t, "follow-up")
    return None


@dataclass
class EventState:
    """An event as the index sees it."""

    event_id: int
    reps: list[Signature]
    city: str | None
    first_seen: datetime
    last_seen: datetime

    def to_json(self) -> dict[str, Any]:
        return {"v": SIGNATURE_VERSION, "reps": [r.to_json() for r in self.reps], "city": self.city}


class ClusterIndex:
    """The incremental engine: events in the window, an LSH table over their representatives, a city table."""

    def __init__(self, params: ClusterParams | None = None, signer: Signer | None = None) -> None:
        self.params = params or ClusterParams()
        self.signer = signer or Signer(self.params)
        self.events: dict[int, EventState] = {}
        # Band key -> event id, or a list of ids when several share it: almost every key has one event, and
        # this table is most of the index's memory.
        self._lsh: dict[int, int | list[int]] = {}
        # Keyword document frequency over the representatives in the index: words of templates
        # (判决书, 投诉直通车, a site's name) are in many titles and weigh little in the title check.
        self._df: dict[str, int] = defaultdict(int)
        self._reps = 0
        # Title keyword -> events: finds rewrites whose texts share too little for the LSH bands.
        self._kw: dict[str, set[int]] = defaultdict(set)
        self.comparisons = 0

    def weight(self, word: str) -> float:
        """Smoothed inverse document frequency of a title keyword among the indexed representatives."""
        return math.log((1 + self._reps) / (1 + self._df.get(word, 0))) + 1.0

    def __len__(self) -> int:
        return len(self.events)

    def add_event(self, state: EventState) -> None:
        self.events[state.event_id] = state
        for rep in state.reps:
            self._index_rep(state, rep)

    def _index_rep(self, state: EventState, rep: Signature) -> None:
        self._reps += 1
        for w in rep.keywords:
            self._df[w] += 1
            self._kw[w].add(state.event_id)
        for key in self.signer.band_keys(rep.minhash):
            ids = self._lsh.get(key)
            if ids is None:
                self._lsh[key] = state.event_id
            elif isinstance(ids, int):
                if ids != state.event_id:
                    self._lsh[key] = [ids, state.event_id]
            elif state.event_id not in ids:
                ids.append(state.event_id)

    def remove(self, event_id: int) -> None:
        state = self.events.pop(event_id, None)
        if state is None:
            return
        for rep in state.reps:
            for key in self.signer.band_keys(rep.minhash):
                ids = self._lsh.get(key)
                if ids == event_id:
                    del self._lsh[key]
                elif isinstance(ids, list) and event_id in ids:
                    ids.remove(event_id)
                    if len(ids) == 1:
                        self._lsh[key] = ids[0]
        for rep in state.reps:
            self._reps -= 1
            for w in rep.keywords:
                self._df[w] -= 1
                if self._df[w] <= 0:
                    del self._df[w]
                posting = self._kw.get(w)
                if posting is not None:
                    posting.discard(event_id)
                    if not posting:
                        del self._kw[w]

    def evict_before(self, at: datetime) -> int:
        """Forget events last seen before `at` (outside any future window): bounded memory on a stream."""
        old = [eid for eid, s in self.events.items() if s.last_seen < at]
        for eid in old:
            self.remove(eid)
        return len(old)

    def find(self, sig: Signature, city: str | None, at: datetime) -> tuple[int, Match] | None:
        """The best event for a new article, or None."""
        candidates: set[int] = set()
        for key in self.signer.band_keys(sig.minhash):
            hit = self._lsh.get(key)
            if isinstance(hit, int):
                candidates.add(hit)
            elif hit:
                candidates.update(hit)
        shared: dict[int, int] = defaultdict(int)
        for w in sig.keywords:
            posting = self._kw.get(w)
            # A keyword in very many events is a template word: it cannot find a story.
            if posting and len(posting) <= self.params.max_keyword_postings:
                for eid in posting:
                    shared[eid] += 1
        candidates.update(eid for eid, n in shared.items() if n >= self.params.followup_min_keywords)
        best: tuple[int, Match] | None = None
        window = self.params.window
        for eid in candidates:
            state = self.events[eid]
            if at > state.last_seen + window or at < state.first_seen - window:
                continue
            if not cities_compatible(city, state.city):
                continue
            sc = same_city(city, state.city)
            for rep in state.reps:
                self.comparisons += 1
                m = compare(sig, rep, self.params, same_city_known=sc, weight=self.weight)
                if m is not None and (best is None or _rank(m) > _rank(best[1])):
                    best = (eid, m)
        return best

    def attach(
        self, event_id: int, sig: Signature, at: datetime, city: str | None, match: Match | None = None
    ) -> None:
        """Record a new member: widen the time span, keep it as a representative while there is room."""
        state = self.events[event_id]
        state.first_seen = min(state.first_seen, at)
        state.last_seen = max(state.last_seen, at)
        if state.city is None and city:
            state.city = city
        novel = match is None or match.similarity < self.params.rep_novelty
        if novel and len(state.reps) < self.params.max_reps:
            state.reps.append(sig)
            self._index_rep(state, sig)


def _rank(m: Match) -> tuple[float, float]:
    return (m.similarity + 0.5 * m.title_sim, m.containment)


def article_time(article: Any) -> datetime:
    """When an article entered the world: its publication time, else when it was stored."""
    return article.published_at or article.created_at


def event_state(ev: Any) -> EventState | None:
    sig = ev.signature or {}
    if sig.get("v") != SIGNATURE_VERSION or not sig.get("reps"):
        return None
    reps = [Signature.from_json(r) for r in sig["reps"]]
    return EventState(ev.id, reps, sig.get("city") or ev.division_code, ev.first_seen, ev.last_seen)
