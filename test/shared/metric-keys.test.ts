import { describe, expect, it } from 'vitest';
import { bestRecorded, hyperSetting, lossDirection, metricName, metricSplit, parseMetricSplit, servedTrialNote } from '../../src-shared/metric-keys.ts';

describe('metric keys (one module for the engine that writes them and the pages that read them)', () => {
  it('parses every split it builds back into what it names', () => {
    expect(parseMetricSplit(metricSplit.train())).toEqual({ kind: 'train', trial: null });
    expect(parseMetricSplit(metricSplit.train(3))).toEqual({ kind: 'train', trial: 3 });
    expect(parseMetricSplit(metricSplit.val())).toEqual({ kind: 'val', trial: null });
    expect(parseMetricSplit(metricSplit.val(12))).toEqual({ kind: 'val', trial: 12 });
    expect(parseMetricSplit(metricSplit.valPair('image-text'))).toEqual({ kind: 'pair', split: 'val', pair: 'image-text', trial: null });
    expect(parseMetricSplit(metricSplit.valPair('audio-text', 2))).toEqual({ kind: 'pair', split: 'val', pair: 'audio-text', trial: 2 });
    expect(parseMetricSplit(metricSplit.trial(4))).toEqual({ kind: 'trial', trial: 4 });
    expect(parseMetricSplit(metricSplit.heldOut('test', 'image-text'))).toEqual({ kind: 'pair', split: 'test', pair: 'image-text', trial: null });
    expect(parseMetricSplit(metricSplit.heldOut('test', 'image-text', 'pred'))).toEqual({ kind: 'pred-head', split: 'test', pair: 'image-text' });
    expect(parseMetricSplit(metricSplit.baseline('val', 'image-audio', 'asif'))).toEqual({ kind: 'baseline', split: 'val', pair: 'image-audio', name: 'asif' });
    expect(parseMetricSplit(metricSplit.served('image-text'))).toEqual({ kind: 'served', pair: 'image-text' });
  });

  it('keeps the keys catalogs already hold (the strings earlier versions wrote)', () => {
    expect([metricSplit.train(1), metricSplit.val(1), metricSplit.valPair('image-text', 1), metricSplit.trial(1)]).toEqual(['trial1.train', 'trial1.val', 'trial1.val.image-text', 'trial1']);
    expect([metricSplit.heldOut('test', 'image-text'), metricSplit.baseline('test', 'image-text', 'cca'), metricSplit.served('image-text')]).toEqual(['test.image-text', 'test.image-text.baseline.cca', 'val.image-text.served']);
    expect([metricName.loss('image->text'), metricName.hyper('k'), metricName.weight('asif'), metricName.weightB2a('asif'), metricName.alone('knn')]).toEqual(['loss image->text', 'hp_k', 'w_asif', 'wb2a_asif', 'alone_knn']);
  });

  it('names nothing it does not know, and reads names back', () => {
    for (const s of ['', 'trial', 'trialx.val', 'val.image', 'test.image-text.baseline.', 'VAL', 'val.image-text.served.x']) expect(parseMetricSplit(s), s).toBeNull();
    expect(hyperSetting('hp_lambda')).toBe('lambda');
    expect(hyperSetting('rsum')).toBeNull();
    expect(lossDirection('loss text->image')).toBe('text->image');
    expect(lossDirection('lr')).toBeNull();
  });

  it("finds a split's first peak, in any order, and says when a pair is served from another trial", () => {
    const row = (split: string, step: number, value: number, name = 'score') => ({ split, step, name, value });
    const rows = [row('val', 300, 80), row('val', 100, 70), row('val', 200, 80), row('val', 400, 90, 'rsum'), row('val.image-text', 500, 99)];
    expect(bestRecorded(rows, 'val')).toEqual({ step: 200, value: 80 });
    expect(bestRecorded(rows, 'val', 'rsum')).toEqual({ step: 400, value: 90 });
    expect(bestRecorded(rows, 'trial1.val')).toEqual({ step: 0, value: -1 });
    expect([servedTrialNote(3, 2), servedTrialNote(2, 2), servedTrialNote(undefined, 2)]).toEqual([" (trial 3's checkpoint)", '', '']);
  });
});
