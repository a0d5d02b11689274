/**
 * A store key as PostgreSQL `text` can hold it. Text cannot hold NUL, which the consumer uses to
 * join a group, a topic and a key; NUL becomes `\0` and a backslash `\\`, so that no two keys
 * meet. Keys without either are stored as they are.
 */
export function postgresKey(key: string): string {
  return /[\\\0]/.test(key) ? key.replace(/[\\\0]/g, (char) => (char === '\\' ? '\\\\' : '\\0')) : key;
}
