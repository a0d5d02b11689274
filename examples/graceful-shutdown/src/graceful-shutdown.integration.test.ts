import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createKafkaJsTransport } from '@inlet/kafkajs';
import { testEnvironment, uniqueName } from '@inlet/test-support';
import { expect, it } from 'vitest';

it('delivers every accepted event when the service gets SIGTERM', async () => {
  const { kafkaBrokers } = testEnvironment();
  const topic = uniqueName('graceful');
  const transport = createKafkaJsTransport({ brokers: kafkaBrokers });
  try {
    await transport.admin().createTopics([{ topic, partitions: 3 }]);
    const service = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@inlet/source', fileURLToPath(new URL('./main.ts', import.meta.url))],
      {
        env: { ...process.env, KAFKA_BROKERS: kafkaBrokers.join(','), TOPIC: topic },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    service.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    await new Promise<void>((resolve, reject) => {
      service.stdout.on('data', () => {
        if (output.includes('READY')) resolve();
      });
      service.once('exit', (code) => reject(new Error(`service exited early (${code}): ${output}`)));
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    service.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => service.once('exit', resolve));
    const summary = JSON.parse(output.trim().split('\n').at(-1) as string) as {
      accepted: number;
      acknowledged: number;
      failed: number;
    };
    expect(code).toBe(0);
    expect(summary.accepted).toBeGreaterThan(100);
    expect(summary.acknowledged).toBe(summary.accepted);
    expect(summary.failed).toBe(0);
    const offsets = await transport.admin().topicOffsets(topic);
    expect(offsets.reduce((sum, partition) => sum + Number(partition.high), 0)).toBe(summary.acknowledged);
  } finally {
    await transport.close();
  }
});
