/**
 * Where Inlet writes what it has to say. Library code never writes to the console: pass a
 * logger (pino, console, anything with these four methods) to see it. `fields` never holds
 * secrets; Inlet redacts them before they get here.
 */
export interface InletLogger {
  debug(message: string, fields?: Readonly<Record<string, unknown>>): void;
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

const ignore = (): void => undefined;

/** The default logger: says nothing. */
export const silentLogger: InletLogger = Object.freeze({
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
});
