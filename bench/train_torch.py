#!/usr/bin/env python3
"""PyTorch reference for `npm run bench:train`: the same 2-layer MoE regression model as ours
(input projection, residual MoE blocks with LayerNorm, softmax router, top-k renormalised gates,
per-expert GELU FFN on only the routed rows, output projection, MSE + load-balancing loss), trained
with AdamW and global-norm clipping. Prints one JSON line: steps per second."""
import json
import sys
import time

import torch
import torch.nn.functional as F

from blas_info import blas_info

cfg = json.loads(sys.argv[1])
threads = int(sys.argv[2])
torch.set_num_threads(threads)
torch.manual_seed(0)
d, h, E, k, L = cfg["dim"], cfg["hidden"], cfg["experts"], cfg["topK"], cfg["layers"]
B, din, dout = cfg["batch"], cfg["inDim"], cfg["outDim"]


class MoeLayer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.ln = torch.nn.LayerNorm(d)
        self.router = torch.nn.Linear(d, E, bias=False)
        self.w1 = torch.nn.ModuleList(torch.nn.Linear(d, h) for _ in range(E))
        self.w2 = torch.nn.ModuleList(torch.nn.Linear(h, d) for _ in range(E))

    def forward(self, x):
        n = self.ln(x)
        logits = self.router(n)
        probs = logits.softmax(-1)
        top = logits.topk(k, dim=-1).indices
        chosen = torch.zeros_like(probs).scatter_(-1, top, 1.0)
        picked = probs * chosen
        gates = picked / (picked.sum(-1, keepdim=True) + 1e-9)
        out = torch.zeros_like(x)
        for e in range(E):
            rows = chosen[:, e].nonzero(as_tuple=True)[0]
            ye = self.w2[e](F.gelu(self.w1[e](n[rows])))
            out = out.index_add(0, rows, ye * gates[rows, e : e + 1])
        balance = E * ((chosen.mean(0) / k) * probs.mean(0)).sum()
        return x + out, balance


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = torch.nn.Linear(din, d)
        self.layers = torch.nn.ModuleList(MoeLayer() for _ in range(L))
        self.out = torch.nn.Linear(d, dout)

    def forward(self, x):
        h_ = self.inp(x)
        bal = 0.0
        for layer in self.layers:
            h_, b = layer(h_)
            bal = bal + b
        return self.out(h_), bal


model = Model()
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
x = torch.randn(B, din)
y = torch.randn(B, dout)


def step():
    pred, bal = model(x)
    loss = F.mse_loss(pred, y) + cfg["balanceWeight"] * bal
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()


for _ in range(cfg["warmup"]):
    step()
t = time.perf_counter()
for _ in range(cfg["steps"]):
    step()
elapsed = time.perf_counter() - t
print(json.dumps({"threads": threads, "steps_per_s": cfg["steps"] / elapsed, "torch": torch.__version__, "blas": blas_info()}))
