import type { PartitionLag } from '@inlet/monitor';
import { describe, expect, it } from 'vitest';
import { formatLagReport, formatSeconds, lagReport } from './lag-report';

const lag = (topic: string, partition: number, lagEvents: number, lagSeconds: number): PartitionLag => ({
  topic,
  partition,
  committedOffset: partition === 9 ? null : '10',
  endOffset: String(10 + lagEvents),
  lagEvents,
  lagSeconds,
});

const none = { maxLag: undefined, maxLagSeconds: undefined };

describe('lagReport', () => {
  it('sorts partitions, sums events and takes the oldest record per topic and overall', () => {
    const report = lagReport(
      'g',
      [lag('b', 1, 3, 12.3456), lag('a', 0, 0, 0), lag('b', 0, 2, 40), lag('a', 9, 5, 7)],
      none,
    );
    expect(report.partitions.map((p) => `${p.topic}/${p.partition}`)).toEqual(['a/0', 'a/9', 'b/0', 'b/1']);
    expect(report.partitions[0]).toEqual({
      topic: 'a',
      partition: 0,
      committed: '10',
      end: '10',
      lag: 0,
      lagSeconds: null,
    });
    expect(report.partitions[1]?.committed).toBeNull();
    expect(report.partitions[3]?.lagSeconds).toBe(12.346);
    expect(report.topics).toEqual([
      { topic: 'a', lag: 5, lagSeconds: 7 },
      { topic: 'b', lag: 5, lagSeconds: 40 },
    ]);
    expect(report).toMatchObject({ group: 'g', totalLag: 10, lagSeconds: 40 });
    expect(report.thresholds).toEqual({ maxLag: null, maxLagSeconds: null, exceeded: [] });
  });

  it('reports null seconds when nothing is behind', () => {
    const report = lagReport('g', [lag('a', 0, 0, 0)], { maxLag: 0, maxLagSeconds: 0 });
    expect(report.lagSeconds).toBeNull();
    expect(report.topics).toEqual([{ topic: 'a', lag: 0, lagSeconds: null }]);
    expect(report.thresholds.exceeded).toEqual([]);
  });

  it('says which thresholds are exceeded (strictly above)', () => {
    const lags = [lag('a', 0, 5, 30)];
    expect(lagReport('g', lags, { maxLag: 5, maxLagSeconds: 30 }).thresholds.exceeded).toEqual([]);
    expect(lagReport('g', lags, { maxLag: 4, maxLagSeconds: 30 }).thresholds.exceeded).toEqual(['lag']);
    expect(lagReport('g', lags, { maxLag: undefined, maxLagSeconds: 29.5 }).thresholds).toEqual({
      maxLag: null,
      maxLagSeconds: 29.5,
      exceeded: ['lagSeconds'],
    });
  });
});

describe('formatting', () => {
  it('writes seconds as people read them', () => {
    expect(formatSeconds(null)).toBe('-');
    expect(formatSeconds(4.26)).toBe('4.3s');
    expect(formatSeconds(125)).toBe('2m05s');
    expect(formatSeconds(3723.9)).toBe('1h02m03s');
  });

  it('prints the table, per-topic totals when there are several topics, and the group total', () => {
    const text = formatLagReport(lagReport('g', [lag('a', 0, 2, 90), lag('b', 0, 0, 0)], none));
    expect(text.split('\n')).toEqual([
      'TOPIC  PARTITION  COMMITTED  END  LAG  LAG TIME',
      'a      0          10         12   2    1m30s',
      'b      0          10         10   0    -',
      'topic a: lag 2, oldest unconsumed 1m30s',
      'topic b: lag 0, oldest unconsumed -',
      'total lag 2, oldest unconsumed 1m30s',
      '',
    ]);
  });
});
