import { InletError, InletErrorCode, Redacted } from '@inlet/core';

const hidden = '***';

/** A registry base URL taken apart: where requests go, what may be shown, and any credentials. */
export interface RegistryUrl {
  /** Origin and path without credentials or trailing slashes; request paths are appended to it. */
  readonly baseUrl: string;
  /** The URL as it may appear in errors and logs: the password replaced by `***`. */
  readonly shownUrl: string;
  /** User and password from the URL (percent-decoded), for basic auth. */
  readonly credentials: { readonly username: string; readonly password: Redacted } | undefined;
}

function invalidUrl(problem: string): InletError {
  return new InletError(InletErrorCode.invalidOption, `url: ${problem}`);
}

/**
 * The text of a URL as it may be shown, whether or not it parses: what lies before the last `@`
 * keeps only its user name, and query values and fragments are hidden. The last `@` is taken
 * because a password with an unencoded `@` or `/` still ends there; when the `@` belongs to the
 * path instead, more is hidden than needed, never less.
 */
export function redactUrlText(text: string): string {
  let shown = text;
  const at = shown.lastIndexOf('@');
  if (at >= 0) {
    const slashes = shown.indexOf('//');
    const start = slashes >= 0 && slashes < at ? slashes + 2 : 0;
    const userinfo = shown.slice(start, at);
    const colon = userinfo.indexOf(':');
    const user = colon >= 0 ? `${userinfo.slice(0, colon)}:${hidden}` : userinfo;
    shown = `${shown.slice(0, start)}${user}${shown.slice(at)}`;
  }
  const fragment = shown.indexOf('#');
  const fragmentShown = fragment >= 0 ? `#${hidden}` : '';
  if (fragment >= 0) shown = shown.slice(0, fragment);
  const query = shown.indexOf('?');
  if (query >= 0) {
    const parameters = shown
      .slice(query + 1)
      .split('&')
      .map((parameter) => {
        if (parameter === '') return parameter;
        const equals = parameter.indexOf('=');
        return equals >= 0 ? `${parameter.slice(0, equals)}=${hidden}` : hidden;
      });
    shown = `${shown.slice(0, query)}?${parameters.join('&')}`;
  }
  return `${shown}${fragmentShown}`;
}

function decodedPassword(encoded: string): Redacted {
  try {
    return Redacted.make(decodeURIComponent(encoded));
  } catch {
    // URIError's message does not repeat the input, but say nothing of it either.
    throw invalidUrl('the password in the URL is not validly percent-encoded (e.g. "@" as %40)');
  }
}

/**
 * Checks a registry base URL and takes any `user:password@` out of it. Every error names the
 * problem and shows the URL only through {@link redactUrlText}; Node's own URL error is not kept
 * as the cause, as it carries the whole input.
 */
export function parseRegistryUrl(text: unknown): RegistryUrl {
  if (typeof text !== 'string' || text.trim() === '') {
    throw invalidUrl('must be a non-empty string, e.g. "http://localhost:8081"');
  }
  const shownText = redactUrlText(text);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    const hint = text.includes('@') ? ' (percent-encode "@", ":" and "/" in a user name or password)' : '';
    throw invalidUrl(
      `"${shownText}" is not a valid URL; expected http(s)://host[:port][/path] with a numeric port${hint}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalidUrl(`"${shownText}" must start with http:// or https://`);
  }
  // `href` keeps a bare "?" or "#" that `search` and `hash` report as empty.
  const afterHost = url.href.slice(url.origin.length);
  if (afterHost.includes('?')) {
    throw invalidUrl(
      `"${shownText}" has a query string; the base URL may not have one, because request paths ` +
        'are appended to it (the query would end up in the middle of each). Pass a token as ' +
        "auth: { type: 'bearer', token }",
    );
  }
  if (afterHost.includes('#')) {
    throw invalidUrl(
      `"${shownText}" has a fragment; the base URL may not have one, because request paths are ` +
        'appended to it',
    );
  }
  let credentials: RegistryUrl['credentials'];
  if (url.username !== '' || url.password !== '') {
    if (url.username === '' || url.password === '') {
      throw invalidUrl(`"${shownText}" needs both a user name and a password before the @, or neither`);
    }
    let username: string;
    try {
      username = decodeURIComponent(url.username);
    } catch {
      throw invalidUrl('the user name in the URL is not validly percent-encoded');
    }
    credentials = { username, password: decodedPassword(url.password) };
  }
  const baseUrl = `${url.origin}${url.pathname}`.replace(/\/+$/, '');
  const shownUrl =
    credentials === undefined ? baseUrl : baseUrl.replace('://', `://${url.username}:${hidden}@`);
  return { baseUrl, shownUrl, credentials };
}
