# Experiment (not a product path; docs/decisions.md, "Spectral coordinates from every item"): a copy
# of bench:curve's clipart catalog with four more encoders built from MobileNetV2 and GloVe. For
# each modality, a kNN graph (K neighbours, cosine of the standardised vectors, Gaussian weights)
# over every train-split item with a vector (pairing unused: the curve's unpaired rest and pairs
# alike; never val or test), the leading M nontrivial eigenvectors of its normalised affinity by
# Lanczos (scipy eigsh), random-walk normalised, and Nystrom-extended to every other item from its K
# nearest graph nodes. 'mobsue' / 'glosue': the standardised raw vector beside its spectral
# coordinates (standardised, scaled to the raw block's total variance); 'mobspec' / 'glospec': the
# spectral coordinates alone (SUE, arXiv 2505.21524, before its CCA step).
#   python3 bench/spectral_catalog.py bench/data/clipart-6500.db /tmp/altmoe-spectral/c.db 10 64
# (bench/spectral-ab.ts runs it so on first use.)
import os
import shutil
import sqlite3
import sys

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sla

src, dst = sys.argv[1], sys.argv[2]
K, M = int(sys.argv[3]), int(sys.argv[4])
# A fixed creation time, so two builds of the same data are the same bytes.
NOW = 1796497555107


def unit(x):
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def vectors(db, enc, side):
    """Every item with a vector of `enc`: ids, vectors, and the split of its pair ('' when it has none)."""
    rows = db.execute(f'''SELECT e.item_id, e.vector, (SELECT p.split FROM pairs p WHERE p.{side}_item_id = e.item_id LIMIT 1)
        FROM embeddings e JOIN encoders n ON n.id = e.encoder_id WHERE n.name = ? ORDER BY e.item_id''', (enc,)).fetchall()
    ids = np.array([r[0] for r in rows])
    x = np.stack([np.frombuffer(r[1], np.float32) for r in rows])
    split = np.array([r[2] or '' for r in rows])
    return ids, x, split


def features(x, train):
    """(raw beside spectral, spectral alone) for every row of x; the graph holds the rows where train is true."""
    mu, sd = x[train].mean(0), x[train].std(0) + 1e-6
    z = (x - mu) / sd
    u = unit(z)
    nodes = u[train]
    n = len(nodes)
    s = nodes @ nodes.T
    np.fill_diagonal(s, -np.inf)
    idx = np.argpartition(-s, K, axis=1)[:, :K]
    rows = np.repeat(np.arange(n), K)
    v = np.maximum(s[rows, idx.ravel()], 0)
    # The kernel width is the mean distance to a neighbour, not the median: duplicate GloVe titles put
    # most neighbours at distance 0, which would make the median 0.
    sig = np.mean(1 - v) + 1e-3
    W = sp.csr_matrix((np.exp(-(1 - v) / sig), (rows, idx.ravel())), shape=(n, n))
    W = W.maximum(W.T)
    deg = np.asarray(W.sum(1)).ravel()
    Dm = sp.diags(1 / np.sqrt(deg))
    # A seeded start, so the basis chosen inside repeated eigenvalues (duplicate titles) is the same each time.
    lam, vec = sla.eigsh(Dm @ W @ Dm, k=M + 1, which='LA', v0=np.random.default_rng(1).standard_normal(n))
    order = np.argsort(-lam)
    lam, vec = lam[order], vec[:, order]
    psi = vec / np.sqrt(deg)[:, None]
    out = np.zeros((len(x), M + 1))
    out[train] = psi
    rest = np.where(~train)[0]
    for b in range(0, len(rest), 1024):
        r = rest[b:b + 1024]
        sq = u[r] @ nodes.T
        ii = np.argpartition(-sq, K, axis=1)[:, :K]
        ww = np.exp(-(1 - np.maximum(np.take_along_axis(sq, ii, 1), 0)) / sig)
        ww /= ww.sum(1, keepdims=True)
        out[r] = np.einsum('nk,nkm->nm', ww, psi[ii]) / lam[None, :]
    # The leading eigenvector is left out, as SUE does: on a connected graph it is constant.
    spec = out[:, 1:]
    smu, ssd = spec[train].mean(0), spec[train].std(0) + 1e-12
    spec = (spec - smu) / ssd * np.sqrt(x.shape[1] / M)
    print(f'{len(x)} items, {n} graph nodes, eigenvalues {lam[1]:.3f} .. {lam[-1]:.3f}', flush=True)
    return np.concatenate([z, spec], axis=1).astype(np.float32), spec.astype(np.float32)


def add(db, name, modality, source, ids, f):
    h = f'sha256:spectral-k{K}-m{M}-{name}'
    eid = db.execute('INSERT INTO encoders (name, modality, dim, file_hash, source, meta, created_at) VALUES (?,?,?,?,?,?,?)',
                     (name, modality, f.shape[1], h, source, '{}', NOW)).lastrowid
    db.executemany('INSERT INTO embeddings (encoder_id, item_id, encoder_hash, dim, vector, created_at) VALUES (?,?,?,?,?,?)',
                   [(eid, int(i), h, f.shape[1], f[j].tobytes(), NOW) for j, i in enumerate(ids)])


os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
shutil.copyfile(src, dst)
db = sqlite3.connect(dst)
for enc, (both, alone), modality, side in (('mobilenet', ('mobsue', 'mobspec'), 'image', 'a'), ('glove', ('glosue', 'glospec'), 'text', 'b')):
    ids, x, split = vectors(db, enc, side)
    f, spec = features(x, split == 'train')
    add(db, both, modality, f'{enc} beside its spectral coordinates (k {K}, m {M})', ids, f)
    add(db, alone, modality, f'spectral coordinates of {enc} (k {K}, m {M})', ids, spec)
db.commit()
db.close()
