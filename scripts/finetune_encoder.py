"""Measure a fine-tuned Chinese BERT encoder as the classifier (kind and domain heads), beside the shipped model.

A research measurement, not part of the installed system: it needs PyTorch and transformers (BSD / Apache-2.0) and
a BERT folder (config.json, tokenizer.json, weights). The shipped classifier reads no encoder; this script is how
the figures in docs/labelling.md ("Fine-tuning an encoder") were made, and how a licence-clean encoder can be
measured the day one can be obtained (none can be here: docs/labelling.md, "Licence status").

    pip install torch==2.13.0 transformers onnxruntime onnx
    python scripts/finetune_encoder.py --model-dir BERT_DIR --out DIR [--random-init] [--outofsource] [--onnx]

It fits on the train split of the labelled corpus (the references in nlp/data, texts from ../shared), prints the
in-split test figures (fit), and with --outofsource scores the held-out yardstick (nlp/data/outofsource: a read of
the held-out set — count it in docs/quality.md). With --onnx it exports the fine-tuned net, quantises it to int8
and times both on one thread.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import torch
from torch import nn
from transformers import AutoConfig, AutoModel, AutoTokenizer

from nlp.classifier import Prediction
from nlp.evaluation import evaluate, evaluate_outofsource, outofsource_markdown
from nlp.evaluation_data import load_labelled
from nlp.lexicon import DOMAINS, KINDS


class Net(nn.Module):
    """The encoder, mean-pooled over the tokens, with one linear head for the kind and one for the domain."""

    def __init__(self, model_dir: str, random_init: bool) -> None:
        super().__init__()
        config = AutoConfig.from_pretrained(model_dir)
        self.bert = AutoModel.from_config(config) if random_init else AutoModel.from_pretrained(model_dir)
        self.drop = nn.Dropout(0.1)
        self.kind = nn.Linear(config.hidden_size, len(KINDS))
        self.domain = nn.Linear(config.hidden_size, len(DOMAINS))

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.bert(input_ids=ids, attention_mask=mask).last_hidden_state
        m = mask.unsqueeze(-1).float()
        pooled = self.drop((out * m).sum(1) / m.sum(1).clamp(min=1))
        return self.kind(pooled), self.domain(pooled)


def text_of(title: str, body: str, lead: int) -> str:
    body = (body or "").strip()
    return (title or "").strip() + ("。" + body[:lead] if body else "")


def pad(ids: list[list[int]], idx: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(ids[n]) for n in idx)
    a = torch.zeros((len(idx), width), dtype=torch.long)
    m = torch.zeros((len(idx), width), dtype=torch.long)
    for r, n in enumerate(idx):
        a[r, : len(ids[n])] = torch.tensor(ids[n])
        m[r, : len(ids[n])] = 1
    return a, m


def by_length(ids: list[list[int]], size: int) -> list[list[int]]:
    """Batches in order of length, for prediction: little padding."""
    order = sorted(range(len(ids)), key=lambda n: len(ids[n]))
    return [order[s : s + size] for s in range(0, len(order), size)]


def batches(ids: list[list[int]], size: int) -> list[list[int]]:
    """Shuffled batches of similar lengths (chunks of 50 batches sorted by length), so padding stays small."""
    order = list(range(len(ids)))
    random.shuffle(order)
    out = []
    for s in range(0, len(order), size * 50):
        part = sorted(order[s : s + size * 50], key=lambda n: len(ids[n]))
        out += [part[k : k + size] for k in range(0, len(part), size)]
    random.shuffle(out)
    return out


def balanced_weights(y: np.ndarray, classes: int) -> torch.Tensor:
    """Inverse square-root class frequency, mean 1: macro-F1 counts the rare kinds (feedback, trust) as much."""
    counts = np.bincount(y, minlength=classes).astype(float)
    w = (counts.sum() / counts) ** 0.5
    return torch.tensor(w / w.mean(), dtype=torch.float)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--epochs", type=float, default=2.0)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--max-tokens", type=int, default=96)
    ap.add_argument("--lead", type=int, default=160, help="body characters read after the title")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument(
        "--random-init", action="store_true", help="the same architecture, no pre-trained weights"
    )
    ap.add_argument("--outofsource", action="store_true", help="also score the held-out yardstick (a read)")
    ap.add_argument("--onnx", action="store_true", help="export, quantise to int8 and time on one thread")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    random.seed(0)
    args.out.mkdir(parents=True, exist_ok=True)

    tok = AutoTokenizer.from_pretrained(args.model_dir)

    def encode(texts: list[str]) -> list[list[int]]:
        return list(tok(texts, truncation=True, max_length=args.max_tokens)["input_ids"])

    items = load_labelled()
    train = [i for i in items if i.split == "train"]
    ids = encode([text_of(i.title, i.body, args.lead) for i in train])
    yk = np.array([KINDS.index(i.kind) for i in train])
    yd = np.array([DOMAINS.index(i.domain) if i.kind != "other" and i.domain else -100 for i in train])

    net = Net(args.model_dir, args.random_init)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=0.01)
    total = int(math.ceil(len(train) / args.batch) * args.epochs)
    warm = max(1, total // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (total - s) / max(1, total - warm))
    )
    ce_kind = nn.CrossEntropyLoss(weight=balanced_weights(yk, len(KINDS)))
    ce_domain = nn.CrossEntropyLoss(weight=balanced_weights(yd[yd >= 0], len(DOMAINS)), ignore_index=-100)
    step, t0 = 0, time.time()
    net.train()
    while step < total:
        for b in batches(ids, args.batch):
            if step >= total:
                break
            lk, ld = net(*pad(ids, b))
            loss = ce_kind(lk, torch.tensor(yk[b]))
            gold_domain = torch.tensor(yd[b])
            if (gold_domain >= 0).any():
                loss = loss + ce_domain(ld, gold_domain)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            if step % 100 == 0:
                print(f"step {step}/{total} loss {loss.item():.3f} {time.time() - t0:.0f} s", flush=True)
    net.eval()
    torch.save(net.state_dict(), args.out / "net.pt")

    @torch.no_grad()
    def probs(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        enc = encode(texts)
        pk, pd = np.zeros((len(enc), len(KINDS))), np.zeros((len(enc), len(DOMAINS)))
        for b in by_length(enc, 64):
            lk, ld = net(*pad(enc, b))
            pk[b], pd[b] = torch.softmax(lk, -1).numpy(), torch.softmax(ld, -1).numpy()
        return pk, pd

    class Tuned:
        """The fine-tuned net behind the classifier's predict(), for the project's scorers."""

        def predict(self, rows: list[dict[str, str]]) -> list[Prediction]:
            pk, pd = probs([text_of(r["title"], r["body"], args.lead) for r in rows])
            out = []
            for r, k, d in zip(rows, pk, pd, strict=True):
                kind = KINDS[int(k.argmax())]
                domain = None if kind == "other" else DOMAINS[int(d.argmax())]
                out.append(Prediction(r["id"], kind, domain, None, float(k.max())))
            return out

    # The project's own scorers, so the figures are counted as the shipped model's are.
    tuned = Tuned()
    in_split = evaluate(tuned, items)  # type: ignore[arg-type]
    figures: dict[str, Any] = {"in_split": in_split.figures()}
    if args.outofsource:
        report = evaluate_outofsource(tuned)  # type: ignore[arg-type]
        (args.out / "outofsource.md").write_text(outofsource_markdown(report), encoding="utf-8")
        figures["outofsource"] = {k: f.value for k, f in report.model.groups["all"].items()}
    if args.onnx:
        test = [text_of(i.title, i.body, args.lead) for i in items if i.split == "test"]
        figures["onnx"] = export_and_time(net, args.out, encode(test))
    print(json.dumps(figures, indent=1, default=float))


def export_and_time(net: Net, out: Path, enc: list[list[int]]) -> dict[str, float]:
    """ONNX export (fp32), int8 dynamic quantisation, and items/s of each on one thread over `enc`."""
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    class Probabilities(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            lk, ld = self.net(ids, mask)
            return torch.softmax(lk, -1), torch.softmax(ld, -1)

    dummy = (torch.ones((2, 16), dtype=torch.long), torch.ones((2, 16), dtype=torch.long))
    axes = {"ids": {0: "b", 1: "t"}, "mask": {0: "b", 1: "t"}, "kind": {0: "b"}, "domain": {0: "b"}}
    fp32, int8 = out / "net.onnx", out / "net.int8.onnx"
    torch.onnx.export(
        Probabilities().eval(),
        dummy,
        str(fp32),
        input_names=["ids", "mask"],
        output_names=["kind", "domain"],
        dynamic_axes=axes,
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    timings = {}
    for path in (fp32, int8):
        so = ort.SessionOptions()
        so.intra_op_num_threads = so.inter_op_num_threads = 1
        session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        t = time.perf_counter()
        for b in by_length(enc, 32):
            a, m = pad(enc, b)
            session.run(None, {"ids": a.numpy(), "mask": m.numpy()})
        timings[f"{path.name} items/s, one thread"] = len(enc) / (time.perf_counter() - t)
        timings[f"{path.name} MB"] = path.stat().st_size / 1e6
    return timings


if __name__ == "__main__":
    main()
