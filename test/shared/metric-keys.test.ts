import { describe, expect, it } from 'vitest';
import { hyperSetting, lossDirection, metricName, metricSplit, parseMetricSplit } from '../../src-shared/metric-keys.ts';

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
});
