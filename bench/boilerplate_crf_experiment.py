"""Would a CRF over lines beat the rules on real pages? A measurement, not a shipped model.

    .venv/bin/python -m bench.boilerplate_crf_experiment /path/to/realpages [--shape-only]

Body vs boilerplate per line, python-crfsuite, non-lexical features only (the line's length,
punctuation, position, repetition, header position; with the rules' labels and markers as
votes unless --shape-only). Trained on the project's own labelled articles (seeds, devset,
heldout, realpatterns) plus four fifths of the real DEV pages, scored on the remaining fifth
(5 folds), next to the rules on the same pages; then trained on our own articles alone and
scored on every dev page. Reads the dev batch only; prints figures only.
"""
import glob
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import pycrfsuite  # noqa: E402
from nlp.boilerplate import clean
from nlp.boilerplate.lines import split_lines
from nlp.boilerplate import rules

def own():
    out = []
    for d in ('seeds', 'devset', 'devset/heldout', 'devset/realpatterns'):
        for gp in sorted(glob.glob(f'{ROOT}/{d}/*.gold.json')):
            g = json.load(open(gp)); t = open(gp.replace('.gold.json', '.txt')).read()
            out.append((gp, t, g))
    return out

def dev():
    out = []
    for gp in sorted(glob.glob(f'{REAL}/labels/*.gold.json')):
        g = json.load(open(gp))
        if g.get('batch') != 'dev': continue
        t = json.load(open(gp.replace('/labels/', '/pages/').replace('.gold.json', '.json')))['text']
        out.append((gp, t, g))
    return out

def b(x, cuts):
    for c in cuts:
        if x <= c: return str(c)
    return 'big'

def feats(text):
    lines = split_lines(text)
    c = clean(text)
    labs = [lab for _, _, lab in c.labels] if c.labels else ['body'] * len(lines)
    marks = [rules.marker(l) for l in lines]
    norms = {}
    for l in lines: norms[l.norm] = norms.get(l.norm, 0) + 1
    fp = rules._first_prose(lines, marks, lambda l: False)
    X = []
    n = len(lines)
    for i, l in enumerate(lines):
        f = {} if SHAPE_ONLY else {'rule=' + labs[i]: 1, 'rulebody': labs[i] == 'body',
                                   'mark=' + (marks[i].kind if marks[i] else 'none'): 1}
        f.update({
             'nw=' + b(l.n_words, (1, 3, 6, 10, 14, 24, 40)): 1, 'end': l.ends_sentence, 'colon': l.ends_colon,
             'bullet': l.bullet, 'pos=' + b(i / max(n, 1), (0.1, 0.3, 0.7, 0.9)): 1, 'header': i < fp,
             'digit': bool(re.search(r'\d', l.text)), 'rep': norms[l.norm] > 1,
             'punct=' + b(len(re.findall(r'[،,.؛:]', l.text)), (0, 1, 3)): 1, 'prose': l.prose, 'hl': l.headline_like})
        X.append({k: (1.0 if v is True else 0.0 if v is False else float(v)) for k, v in f.items()})
    for i in range(n):
        if i > 0: X[i].update({'p_' + k: v for k, v in X[i - 1].items() if k.startswith(CONTEXT)})
        if i + 1 < n: X[i].update({'n_' + k: v for k, v in X[i + 1].items() if k.startswith(CONTEXT)})
    return lines, X, labs

def gold_seq(lines, g):
    gl = {x['line']: x['label'] for x in g['lines']}
    return ['body' if gl.get(l.number, 'body') == 'body' else 'bp' for l in lines]

def prep(items):
    out = []
    for gp, t, g in items:
        lines, X, labs = feats(t)
        out.append((X, gold_seq(lines, g), ['body' if x == 'body' else 'bp' for x in labs]))
    return out

REAL = sys.argv[1] if len(sys.argv) > 1 else '/work/realpages'
SHAPE_ONLY = '--shape-only' in sys.argv
CONTEXT = ('nw=', 'end', 'punct=') if SHAPE_ONLY else ('rule=', 'nw=', 'mark=')
import tempfile  # noqa: E402
TMP = Path(tempfile.mkdtemp())
O = prep(own()); D = prep(dev())
random.seed(0); idx = list(range(len(D))); random.shuffle(idx)
folds = [idx[k::5] for k in range(5)]
def f1(pairs):
    tp = fp = fn = 0; perfect = 0
    for y, p in pairs:
        ok = True
        for a, b_ in zip(y, p):
            tp += a == 'body' and b_ == 'body'; fp += a != 'body' and b_ == 'body'; fn += a == 'body' and b_ != 'body'
            ok &= a == b_
        perfect += ok
    P = tp / (tp + fp); R = tp / (tp + fn); return round(2 * P * R / (P + R), 4), round(P, 3), round(R, 3), perfect
crf_pairs, rule_pairs = [], []
for k in range(5):
    tr = O + [D[i] for i in idx if i not in folds[k]]
    t = pycrfsuite.Trainer(verbose=False)
    for X, y, _ in tr: t.append(X, y)
    t.set_params({'c1': 0.1, 'c2': 0.01, 'max_iterations': 200})
    t.train(str(TMP / 'crf.model'))
    tg = pycrfsuite.Tagger(); tg.open(str(TMP / 'crf.model'))
    for i in folds[k]:
        X, y, r = D[i]
        crf_pairs.append((y, tg.tag(X))); rule_pairs.append((y, r))
print('rules (dev, same pages):', f1(rule_pairs))
print('crf 5-fold over dev pages (+ own articles in every train fold):', f1(crf_pairs))
# own-only training, all dev as test
t = pycrfsuite.Trainer(verbose=False)
for X, y, _ in O: t.append(X, y)
t.set_params({'c1': 0.1, 'c2': 0.01, 'max_iterations': 200}); t.train(str(TMP / 'crf_own.model'))
tg = pycrfsuite.Tagger(); tg.open(str(TMP / 'crf_own.model'))
print('crf trained on own articles only, all dev pages:', f1([(y, tg.tag(X)) for X, y, _ in D]))
