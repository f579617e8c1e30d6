// Logging: pino. On a terminal, lines are printed readably ("12:00:01 INFO  c2s listening port=5222");
// otherwise one JSON object per line, for log collectors.
import pino from 'pino';

export type Logger = pino.Logger;

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };

function readable(out: NodeJS.WritableStream): pino.DestinationStream {
  return {
    write(line: string) {
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line) as Record<string, unknown>;
      } catch {
        out.write(line);
        return;
      }
      const { time, level, msg, err, ...rest } = o;
      const t = typeof time === 'string' ? time.slice(11, 19) : '';
      const fields = Object.entries(rest)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      const e = err && typeof err === 'object' ? `\n  ${(err as { stack?: string }).stack ?? JSON.stringify(err)}` : '';
      out.write(`${t} ${LEVELS[level as number] ?? level} ${msg ?? ''}${fields ? `  ${fields}` : ''}${e}\n`);
    },
  };
}

export function createLogger(level: string, pretty = process.stdout.isTTY === true): Logger {
  const opts: pino.LoggerOptions = { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime };
  return pretty ? pino(opts, readable(process.stdout)) : pino(opts);
}
