import type { TopicPartition, TopicPartitionOffset } from '@inlet/core';
import type { PostgresQueryable } from '@inlet/postgres';

/**
 * The sink's own table of the offsets it has written up to, per group and partition: with
 * `exactlyOnce`, rows and offset are written in one transaction, so after a crash the pipeline
 * resumes exactly after the last batch that landed.
 */
export class StoredOffsets {
  readonly #table: string;

  /** `table`: quoted, possibly schema-qualified. */
  constructor(table: string) {
    this.#table = table;
  }

  createStatement(): string {
    return `create table if not exists ${this.#table} (group_id text not null, topic text not null, partition integer not null, next_offset bigint not null, primary key (group_id, topic, partition))`;
  }

  /**
   * Moves a partition's offset forward (never back: a write of a member that lost the partition
   * and did not know yet cannot undo a newer one).
   */
  async store(
    queryable: PostgresQueryable,
    groupId: string,
    topic: string,
    partition: number,
    nextOffset: string,
  ): Promise<void> {
    await queryable.query(
      `insert into ${this.#table} as o (group_id, topic, partition, next_offset) values ($1, $2, $3, $4) on conflict (group_id, topic, partition) do update set next_offset = excluded.next_offset where o.next_offset < excluded.next_offset`,
      [groupId, topic, partition, nextOffset],
    );
  }

  /**
   * Inside the write's transaction: whether the partition's stored offset already covers the
   * batch (a retry after a commit whose answer was lost, or a member that lost the partition),
   * so that its rows are not written again. Locks the offset's row until the commit.
   */
  async covers(
    queryable: PostgresQueryable,
    groupId: string,
    topic: string,
    partition: number,
    nextOffset: string,
  ): Promise<boolean> {
    const { rows } = await queryable.query(
      `select next_offset >= $4::bigint as covered from ${this.#table} where group_id = $1 and topic = $2 and partition = $3 for update`,
      [groupId, topic, partition, nextOffset],
    );
    return rows[0]?.covered === true;
  }

  /** The stored offsets of these partitions; those without one are left out. */
  async read(
    queryable: PostgresQueryable,
    groupId: string,
    partitions: readonly TopicPartition[],
  ): Promise<TopicPartitionOffset[]> {
    if (partitions.length === 0) return [];
    const { rows } = await queryable.query(
      `select o.topic, o.partition, o.next_offset::text as next_offset from ${this.#table} o join unnest($2::text[], $3::integer[]) as p(topic, partition) on o.topic = p.topic and o.partition = p.partition where o.group_id = $1`,
      [groupId, partitions.map(({ topic }) => topic), partitions.map(({ partition }) => partition)],
    );
    return rows.map((row) => ({
      topic: String(row.topic),
      partition: Number(row.partition),
      offset: String(row.next_offset),
    }));
  }
}
