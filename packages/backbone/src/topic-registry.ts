import { missingTopicError, type TopicSpec } from '@inlet/core';
import type { ResolvedBackboneOptions } from './backbone-options';
import { invalidTopicError, unknownTopicError } from './broker-errors';
import { checkIntegerInRange, checkPositiveInteger, invalidOption } from './option-checks';
import { PartitionLog } from './partition-log';

/** Kafka's limit: longer names cannot be used as log directory names. */
const maxTopicNameLength = 249;
const legalTopicName = /^[a-zA-Z0-9._-]+$/;

/** The topic settings the model honours, from the topic's config or the broker defaults. */
export interface TopicSettings {
  readonly maxRecordBytes: number;
  readonly maxTimestampAheadMs: number;
}

export class Topic {
  readonly partitions: readonly PartitionLog[];

  constructor(
    readonly name: string,
    partitionCount: number,
    readonly settings: TopicSettings,
    readonly config: Readonly<Record<string, string>>,
  ) {
    this.partitions = Object.freeze(
      Array.from({ length: partitionCount }, (_, partition) => new PartitionLog(name, partition)),
    );
  }
}

export type TopologyChange = 'created' | 'deleted';
type TopologyListener = (topic: string, change: TopologyChange) => void;

interface CheckedSpec {
  readonly name: string;
  readonly partitions: number;
  readonly settings: TopicSettings;
  readonly config: Readonly<Record<string, string>>;
}

export function checkTopicName(name: unknown, path: string): string {
  if (typeof name !== 'string' || name.length === 0) throw invalidTopicError(path, 'expected a topic name');
  if (name === '.' || name === '..') throw invalidTopicError(path, `"${name}" is not a legal topic name`);
  if (name.length > maxTopicNameLength) {
    throw invalidTopicError(path, `topic names have at most ${maxTopicNameLength} characters`);
  }
  if (!legalTopicName.test(name)) {
    throw invalidTopicError(path, `"${name}" may only contain ASCII letters, digits, ".", "_" and "-"`);
  }
  return name;
}

export class TopicRegistry {
  private readonly topics = new Map<string, Topic>();
  private readonly listeners = new Set<TopologyListener>();

  constructor(private readonly options: ResolvedBackboneOptions) {}

  get(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  /** The topic, for calls that never create one (admin reads, commits). */
  require(name: unknown, path: string): Topic {
    const topic = this.topics.get(checkTopicName(name, path));
    if (topic === undefined) throw unknownTopicError(name as string);
    return topic;
  }

  /**
   * The topic, created with the default partitions when unknown and auto-creation is on; when it
   * is off, the same refusal as the kafkajs transport's: not retryable, naming the topic.
   */
  obtain(name: unknown, path: string): Topic {
    const checked = checkTopicName(name, path);
    const existing = this.topics.get(checked);
    if (existing !== undefined) return existing;
    if (!this.options.autoCreateTopics) throw missingTopicError(checked);
    return this.add({
      name: checked,
      partitions: this.options.defaultPartitions,
      settings: this.settingsFrom({}, path),
      config: {},
    });
  }

  /** Creates the topics that do not exist yet; validates every spec before creating any. */
  create(specs: readonly TopicSpec[]): string[] {
    if (!Array.isArray(specs)) throw invalidOption('topics', 'expected an array of topic specs');
    const checked = specs.map((spec, index) => this.checkSpec(spec, `topics[${index}]`));
    const names = new Set<string>();
    for (const spec of checked) {
      if (names.has(spec.name)) throw invalidOption('topics', `"${spec.name}" is listed twice`);
      names.add(spec.name);
    }
    return checked.filter((spec) => !this.topics.has(spec.name)).map((spec) => this.add(spec).name);
  }

  /** Deletes topics; every one must exist, and none is deleted when one does not. */
  delete(names: readonly string[]): void {
    if (!Array.isArray(names)) throw invalidOption('topics', 'expected an array of topic names');
    const topics = names.map((name, index) => this.require(name, `topics[${index}]`));
    for (const topic of topics) {
      if (this.topics.get(topic.name) !== topic) continue;
      this.topics.delete(topic.name);
      for (const log of topic.partitions) log.markDeleted();
      this.emit(topic.name, 'deleted');
    }
  }

  names(): string[] {
    return [...this.topics.keys()].sort();
  }

  partitionCount(name: string): number | undefined {
    return this.topics.get(name)?.partitions.length;
  }

  onTopologyChange(listener: TopologyListener): void {
    this.listeners.add(listener);
  }

  private add(spec: CheckedSpec): Topic {
    const topic = new Topic(spec.name, spec.partitions, spec.settings, spec.config);
    this.topics.set(spec.name, topic);
    this.emit(spec.name, 'created');
    return topic;
  }

  private emit(topic: string, change: TopologyChange): void {
    for (const listener of [...this.listeners]) listener(topic, change);
  }

  private checkSpec(spec: TopicSpec, path: string): CheckedSpec {
    if (typeof spec !== 'object' || spec === null) throw invalidOption(path, 'expected a topic spec');
    const name = checkTopicName(spec.topic, `${path}.topic`);
    const partitions = checkPositiveInteger(spec.partitions, `${path}.partitions`);
    // Any replication factor is accepted: the model stands for a whole cluster, not a single broker.
    if (spec.replicationFactor !== undefined && spec.replicationFactor !== -1) {
      checkPositiveInteger(spec.replicationFactor, `${path}.replicationFactor`);
    }
    const config = { ...(spec.config ?? {}) };
    for (const [key, value] of Object.entries(config)) {
      if (typeof value !== 'string') throw invalidOption(`${path}.config.${key}`, 'expected a string');
    }
    return { name, partitions, settings: this.settingsFrom(config, `${path}.config`), config };
  }

  private settingsFrom(config: Readonly<Record<string, string>>, path: string): TopicSettings {
    return {
      maxRecordBytes: configNumber(config, 'max.message.bytes', path, 1) ?? this.options.maxRecordBytes,
      maxTimestampAheadMs:
        configNumber(config, 'message.timestamp.after.max.ms', path, 0) ?? this.options.maxTimestampAheadMs,
    };
  }
}

function configNumber(
  config: Readonly<Record<string, string>>,
  key: string,
  path: string,
  min: number,
): number | undefined {
  const text = config[key];
  if (text === undefined) return undefined;
  const value = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  return checkIntegerInRange(value, `${path}["${key}"]`, min, Number.MAX_SAFE_INTEGER);
}
