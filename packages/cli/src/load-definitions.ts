import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TopicDefinition } from '@inlet/core';
import { UsageError } from './usage-error';

function isTopicDefinition(value: unknown): value is TopicDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as TopicDefinition).name === 'string' &&
    Array.isArray((value as TopicDefinition).events) &&
    typeof (value as TopicDefinition).find === 'function'
  );
}

/** The topic definition named `topic` among the exports of the given modules (`defineTopic`). */
export async function loadTopicDefinition(
  modules: readonly string[],
  topic: string,
  cwd: string,
): Promise<TopicDefinition> {
  const found: TopicDefinition[] = [];
  for (const module of modules) {
    const loaded = (await import(pathToFileURL(resolve(cwd, module)).href)) as Record<string, unknown>;
    found.push(...Object.values(loaded).filter(isTopicDefinition));
  }
  const definition = found.find((candidate) => candidate.name === topic);
  if (definition === undefined)
    throw new UsageError(
      `--definitions: no topic definition named "${topic}" (found: ${found.map((d) => d.name).join(', ') || 'none'})`,
    );
  return definition;
}
