export type StoredHeaders = Readonly<Record<string, Buffer>>;

export const noHeaders: StoredHeaders = Object.freeze({});

/** Sets a header; a header named `__proto__` becomes an own property instead of a prototype change. */
export function defineHeader(target: Record<string, Buffer>, name: string, value: Buffer): void {
  if (name === '__proto__') {
    Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[name] = value;
  }
}
