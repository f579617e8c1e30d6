// Checking configuration values: every check names the key (and the file) it refuses. The server's
// config (server/config.ts), each module's own keys (server/core/module.ts) and the call
// component's file (component/config.ts) use the same checks.
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
    readonly file?: string,
  ) {
    super(`${file ? `${file}: ` : ''}${key.startsWith('(') ? '' : `config key "${key}": `}${message}`);
    this.name = 'ConfigError';
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Value checks bound to one file: each takes the dotted key, the raw value and a default. */
export interface Checks {
  fail(key: string, msg: string): never;
  str(key: string, v: unknown, def: string): string;
  optStr(key: string, v: unknown): string | null;
  /** A string that must be there. */
  required(key: string, v: unknown): string;
  /** An integer in range, or undefined when absent. */
  optInt(key: string, v: unknown, min: number, max: number): number | undefined;
  bool(key: string, v: unknown, def: boolean): boolean;
  int(key: string, v: unknown, def: number, min: number, max: number): number;
  section(key: string, v: unknown): Record<string, unknown>;
  strList(key: string, v: unknown, def: string[]): string[];
  /** Refuses keys of `obj` that are not in `known`. */
  only(key: string, obj: Record<string, unknown>, known: string[]): void;
}

export function checks(file?: string): Checks {
  const fail = (key: string, msg: string): never => {
    throw new ConfigError(key, msg, file);
  };
  const str = (key: string, v: unknown, def: string): string => {
    if (v === undefined) return def;
    if (typeof v !== 'string' || v.length === 0) fail(key, 'must be a non-empty string');
    return v as string;
  };
  const int = (key: string, v: unknown, def: number, min: number, max: number): number => {
    if (v === undefined) return def;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(key, `must be an integer from ${min} to ${max}`);
    return v as number;
  };
  return {
    fail,
    str,
    required: (key, v) => (v === undefined ? fail(key, 'is required') : str(key, v, '')),
    optInt: (key, v, min, max) => (v === undefined ? undefined : int(key, v, 0, min, max)),
    optStr: (key, v) => (v === undefined || v === null ? null : str(key, v, '')),
    bool: (key, v, def) => {
      if (v === undefined) return def;
      if (typeof v !== 'boolean') fail(key, 'must be true or false');
      return v as boolean;
    },
    int,
    section: (key, v) => {
      if (v === undefined) return {};
      if (!isObject(v)) fail(key, 'must be an object');
      return v as Record<string, unknown>;
    },
    strList: (key, v, def) => {
      if (v === undefined) return def;
      if (!Array.isArray(v)) fail(key, 'must be a list of strings');
      (v as unknown[]).forEach((s, i) => {
        if (typeof s !== 'string' || s.length === 0) fail(`${key}[${i}]`, 'must be a non-empty string');
      });
      return v as string[];
    },
    only: (key, obj, known) => {
      for (const k of Object.keys(obj)) if (!known.includes(k)) fail(`${key}.${k}`, `unknown key (known: ${known.join(', ')})`);
    },
  };
}
