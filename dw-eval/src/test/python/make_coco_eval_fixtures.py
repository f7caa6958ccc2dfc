"""Writes the extra COCO evaluation fixtures under ../resources/coco_eval with pycocotools' numbers.

Run by hand (needs numpy and pycocotools); the tests only read the committed JSON files.
    python3 make_coco_eval_fixtures.py
"""
import contextlib
import io
import json
import os
import random

from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

OUT = os.path.join(os.path.dirname(__file__), '..', 'resources', 'coco_eval')
CATS = [3, 17, 44, 90]


def box(rnd, w=640, h=480, smin=2, smax=400):
    bw, bh = rnd.uniform(smin, smax), rnd.uniform(smin, smax)
    return [round(rnd.uniform(0, w - bw), 1), round(rnd.uniform(0, h - bh), 1), round(bw, 1), round(bh, 1)]


def jitter(rnd, b, s=0.15):
    return [round(b[0] + rnd.uniform(-s, s) * b[2], 1), round(b[1] + rnd.uniform(-s, s) * b[3], 1),
            round(b[2] * (1 + rnd.uniform(-s, s)), 1), round(b[3] * (1 + rnd.uniform(-s, s)), 1)]


def case(seed, n_img, gts_per_img, crowd_p, score_digits, dets_per_gt, extra_dets, no_gt_every=0, no_dt_every=0):
    rnd = random.Random(seed)
    images, anns, dets = [], [], []
    for i in range(n_img):
        img_id = 1000 + 7 * i
        images.append({'id': img_id, 'width': 640, 'height': 480})
        n_gt = 0 if no_gt_every and i % no_gt_every == 0 else rnd.randint(0, gts_per_img)
        for _ in range(n_gt):
            b, crowd = box(rnd), int(rnd.random() < crowd_p)
            cat = rnd.choice(CATS[:3])
            area = round(b[2] * b[3] * rnd.uniform(0.4, 1.0), 1)
            if rnd.random() < 0.1:   # exactly on an area-range boundary
                area = rnd.choice([1024.0, 9216.0])
            anns.append({'id': len(anns) + 1, 'image_id': img_id, 'category_id': cat, 'bbox': b, 'area': area,
                         'iscrowd': crowd, 'ignore': int(rnd.random() < 0.2)})
            if no_dt_every and i % no_dt_every == 1:
                continue
            for _ in range(dets_per_gt):
                if rnd.random() < 0.8:
                    dets.append({'image_id': img_id, 'category_id': cat, 'bbox': jitter(rnd, b),
                                 'score': round(rnd.random(), score_digits)})
        if not (no_dt_every and i % no_dt_every == 1):
            for _ in range(extra_dets):
                dets.append({'image_id': img_id, 'category_id': rnd.choice(CATS), 'bbox': box(rnd),
                             'score': round(rnd.random() ** 2, score_digits)})
    cats = [{'id': c, 'name': 'cat%d' % c} for c in CATS]
    return {'images': images, 'annotations': anns, 'categories': cats}, dets


def evaluate(gt_path, dt_path):
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(gt_path)
        e = COCOeval(gt, gt.loadRes(dt_path), 'bbox')
        e.evaluate()
        e.accumulate()
        e.summarize()
    p = e.eval['precision']
    per_class = {}
    for k, cid in enumerate(e.params.catIds):
        out = []
        for s in (p[:, :, k, 0, -1], p[0, :, k, 0, -1], p[5, :, k, 0, -1]):
            s = s[s > -1]
            out.append(round(float(s.mean()), 6) if s.size else -1)
        per_class[str(cid)] = out
    return {'stats': [round(float(x), 6) for x in e.stats], 'per_class_ap_ap50_ap75': per_class}


CASES = {
    # scores with one decimal (many ties within and across images), duplicates of each GT
    'ties': dict(seed=1, n_img=30, gts_per_img=6, crowd_p=0.05, score_digits=1, dets_per_gt=3, extra_dets=4),
    # 130 to 200 detections per image, most of one category: the 100-per-(image, category) cut matters
    'many_dets': dict(seed=2, n_img=12, gts_per_img=20, crowd_p=0.05, score_digits=3, dets_per_gt=6, extra_dets=150),
    # half the GTs are crowd regions; area field != box area, some exactly 32^2 / 96^2
    'crowd_heavy': dict(seed=3, n_img=40, gts_per_img=6, crowd_p=0.5, score_digits=2, dets_per_gt=2, extra_dets=3),
    # images without GT, images without detections, category 90 never in the GT
    'sparse': dict(seed=4, n_img=40, gts_per_img=4, crowd_p=0.1, score_digits=2, dets_per_gt=1, extra_dets=2,
                   no_gt_every=3, no_dt_every=4),
}

if __name__ == '__main__':
    expected = {}
    for name, kw in CASES.items():
        gt, dt = case(**kw)
        if name == 'many_dets':   # two thirds of the detections in one category: 100 to 160 per image
            for j, d in enumerate(dt):
                d['category_id'] = CATS[0] if j % 3 else d['category_id']
        gp, dp = os.path.join(OUT, name + '_gt.json'), os.path.join(OUT, name + '_dt.json')
        with open(gp, 'w') as f:
            json.dump(gt, f)
        with open(dp, 'w') as f:
            json.dump(dt, f)
        expected[name] = evaluate(gp, dp)
    with open(os.path.join(OUT, 'extra_expected_stats.json'), 'w') as f:
        json.dump(expected, f, indent=1)
    print(json.dumps({k: v['stats'] for k, v in expected.items()}, indent=1))
